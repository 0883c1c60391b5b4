using System;
using System.Buffers;
using System.Diagnostics;
using System.IO;
using System.IO.Pipelines;
using System.Threading;
using System.Threading.Tasks;
using Kakashi.Writers;

namespace Kakashi;

/// <summary>When an <see cref="AsyncFileWriter"/> asks the OS to persist written bytes to the device (fsync).</summary>
public enum FsyncPolicy
{
    /// <summary>Never: the OS writes its page cache back on its own schedule (fastest; survives a process crash, not a power loss).</summary>
    None,
    /// <summary>After every flush.</summary>
    EveryFlush,
    /// <summary>At most once per <see cref="AsyncFileWriter.FsyncInterval"/>, after a flush.</summary>
    Interval,
}

/// <summary>
/// Appends formatted records to a file through a System.IO.Pipelines <see cref="PipeWriter"/> (Kakashi's file pipe: the
/// drain formats straight into its buffer; a flush is one synchronous write on the drain thread, so nothing is allocated
/// and no thread-pool hop is taken per batch). Bytes reach the file when <see cref="BatchSize"/> bytes are pending, when
/// <see cref="FlushInterval"/> has elapsed since the last flush, and on <see cref="AsyncPipeline.FlushAllAsync"/> and
/// shutdown. Missing folders are created.
/// </summary>
public sealed class AsyncFileWriter : LogWriter
{
    private FileStream? _stream;
    private FilePipeWriter? _pipe;
    private long _lastFlush;
    private long _lastFsync;

    public AsyncFileWriter(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        Path = System.IO.Path.GetFullPath(path);
    }

    /// <summary>Full path of the file.</summary>
    public string Path { get; }

    /// <summary>Longest time written bytes wait before they are flushed to the file. Default 1 s.</summary>
    public TimeSpan FlushInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Pending bytes that trigger a flush. Default 256 KiB.</summary>
    public int BatchSize { get; init; } = 256 * 1024;

    /// <summary>When to fsync. Default <see cref="FsyncPolicy.None"/>.</summary>
    public FsyncPolicy Fsync { get; init; } = FsyncPolicy.None;

    /// <summary>With <see cref="FsyncPolicy.Interval"/>: the longest time between fsyncs. Default 1 s.</summary>
    public TimeSpan FsyncInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Flushes done (for tests and metrics).</summary>
    public long FlushCount { get; private set; }

    /// <summary>Bytes handed to the file.</summary>
    public long BytesWritten { get; private set; }

    public override string Name => $"file:{Path}";

    protected internal override IBufferWriter<byte> Output => _pipe ?? throw new InvalidOperationException("The writer is not open.");

    protected internal override void Open()
    {
        if (FlushInterval <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(FlushInterval), FlushInterval, "FlushInterval must be greater than zero.");
        if (BatchSize < 4096 || BatchSize > 64 * 1024 * 1024) throw new ArgumentOutOfRangeException(nameof(BatchSize), BatchSize, "BatchSize must be between 4 KiB and 64 MiB.");
        if (Fsync == FsyncPolicy.Interval && FsyncInterval <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(FsyncInterval), FsyncInterval, "FsyncInterval must be greater than zero.");
        if (_pipe is not null) throw new InvalidOperationException($"The writer for '{Path}' is already open (a writer belongs to one pipeline).");

        string? folder = System.IO.Path.GetDirectoryName(Path);
        if (!string.IsNullOrEmpty(folder)) Directory.CreateDirectory(folder);
        _stream = new FileStream(Path, new FileStreamOptions
        {
            Mode = FileMode.Append,
            Access = FileAccess.Write,
            Share = FileShare.ReadWrite | FileShare.Delete,
            BufferSize = 0, // the pipe is the buffer
        });
        _pipe = new FilePipeWriter(_stream, BatchSize + 64 * 1024);
        _lastFlush = _lastFsync = Stopwatch.GetTimestamp();
    }

    protected internal override ValueTask OnBatchWrittenAsync(CancellationToken cancellationToken)
    {
        var pipe = _pipe!;
        long pending = pipe.UnflushedBytes;
        if (pending == 0) return ValueTask.CompletedTask;
        if (pending >= BatchSize || Stopwatch.GetElapsedTime(_lastFlush) >= FlushInterval) return FlushAsync(cancellationToken);
        return ValueTask.CompletedTask;
    }

    protected internal override ValueTask FlushAsync(CancellationToken cancellationToken)
    {
        var pipe = _pipe;
        if (pipe is null) return ValueTask.CompletedTask;
        long pending = pipe.UnflushedBytes;
        if (pending > 0)
        {
            pipe.WriteOut();
            BytesWritten += pending;
            FlushCount++;
        }
        _lastFlush = Stopwatch.GetTimestamp();
        if (Fsync == FsyncPolicy.EveryFlush || (Fsync == FsyncPolicy.Interval && Stopwatch.GetElapsedTime(_lastFsync) >= FsyncInterval))
        {
            _stream!.Flush(flushToDisk: true);
            _lastFsync = Stopwatch.GetTimestamp();
        }
        return ValueTask.CompletedTask;
    }

    public override async ValueTask DisposeAsync()
    {
        if (_pipe is null) return;
        try
        {
            await FlushAsync(CancellationToken.None).ConfigureAwait(false);
            if (Fsync != FsyncPolicy.None) _stream!.Flush(flushToDisk: true);
        }
        finally
        {
            _pipe.Complete();
            await _stream!.DisposeAsync().ConfigureAwait(false);
            _pipe = null;
            _stream = null;
        }
    }
}
