using System;
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
/// Appends formatted records to a file through a System.IO.Pipelines <see cref="PipeWriter"/> (Kakashi's file pipe:
/// one reusable buffer, and a flush is one synchronous <c>write</c> on the writer's loop, so nothing is allocated per
/// batch). Bytes reach the file when <see cref="BatchSize"/> bytes are pending, when <see cref="FlushInterval"/> has
/// elapsed since the last flush, and on <see cref="AsyncPipeline.FlushAllAsync"/> and shutdown. Missing folders are created.
/// </summary>
public sealed class AsyncFileWriter : LogWriter
{
    private FileStream? _stream;
    private FilePipeWriter? _pipe;
    private long _lastFlush;
    private long _lastFsync;
    private long _flushTicks;
    private long _flushCount;
    private long _lastFlushUtcTicks;

    public AsyncFileWriter(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        Path = System.IO.Path.GetFullPath(path);
    }

    /// <summary>Full path of the file.</summary>
    public string Path { get; }

    /// <summary>Longest time written bytes wait before they are flushed to the file. Default: the pipeline's <see cref="AsyncPipelineConfig.FlushInterval"/>, else 1 s.</summary>
    public TimeSpan FlushInterval
    {
        get => _flushInterval ?? DefaultFlushInterval;
        init => _flushInterval = value;
    }

    private TimeSpan? _flushInterval;

    internal TimeSpan DefaultFlushInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Pending bytes that trigger a flush. Default 256 KiB.</summary>
    public int BatchSize { get; init; } = 256 * 1024;

    /// <summary>When to fsync. Default <see cref="FsyncPolicy.None"/>.</summary>
    public FsyncPolicy Fsync { get; init; } = FsyncPolicy.None;

    /// <summary>With <see cref="FsyncPolicy.Interval"/>: the longest time between fsyncs. Default 1 s.</summary>
    public TimeSpan FsyncInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Flushes done.</summary>
    public long FlushCount => Volatile.Read(ref _flushCount);

    internal long FlushTicks => Volatile.Read(ref _flushTicks);

    internal DateTimeOffset? LastFlush
    {
        get
        {
            long ticks = Volatile.Read(ref _lastFlushUtcTicks);
            return ticks == 0 ? null : new DateTimeOffset(ticks, TimeSpan.Zero);
        }
    }

    /// <summary>Bytes handed to the file.</summary>
    public long BytesWritten { get; private set; }

    public override string Name => $"file:{Path}";

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

    protected internal override ValueTask WriteAsync(ReadOnlyMemory<byte> batch, CancellationToken cancellationToken)
    {
        var pipe = _pipe ?? throw new InvalidOperationException("The writer is not open.");
        var span = batch.Span;
        if (pipe.UnflushedBytes == 0 && span.Length >= Math.Min(BatchSize, 64 * 1024))
        {
            // a big batch already: straight to the file, no copy
            long start = Stopwatch.GetTimestamp();
            _stream!.Write(span);
            BytesWritten += span.Length;
            Flushed(start);
            return ValueTask.CompletedTask;
        }
        span.CopyTo(pipe.GetSpan(span.Length));
        pipe.Advance(span.Length);
        if (pipe.UnflushedBytes >= BatchSize || Stopwatch.GetElapsedTime(_lastFlush) >= FlushInterval) return FlushAsync(cancellationToken);
        return ValueTask.CompletedTask;
    }

    protected internal override ValueTask OnIdleAsync(CancellationToken cancellationToken)
    {
        var pipe = _pipe;
        if (pipe is not null && pipe.UnflushedBytes > 0 && Stopwatch.GetElapsedTime(_lastFlush) >= FlushInterval) return FlushAsync(cancellationToken);
        if (Fsync == FsyncPolicy.Interval && _stream is not null && Stopwatch.GetElapsedTime(_lastFsync) >= FsyncInterval && _lastFsync < _lastFlush) FsyncNow();
        return ValueTask.CompletedTask;
    }

    protected internal override ValueTask FlushAsync(CancellationToken cancellationToken)
    {
        var pipe = _pipe;
        if (pipe is null) return ValueTask.CompletedTask;
        long pending = pipe.UnflushedBytes;
        long start = Stopwatch.GetTimestamp();
        if (pending > 0)
        {
            pipe.WriteOut();
            BytesWritten += pending;
            Flushed(start);
        }
        else
        {
            _lastFlush = start;
        }
        if (Fsync == FsyncPolicy.EveryFlush || (Fsync == FsyncPolicy.Interval && Stopwatch.GetElapsedTime(_lastFsync) >= FsyncInterval)) FsyncNow();
        return ValueTask.CompletedTask;
    }

    private void Flushed(long start)
    {
        long now = Stopwatch.GetTimestamp();
        _lastFlush = now;
        Interlocked.Add(ref _flushTicks, now - start);
        Interlocked.Increment(ref _flushCount);
        Volatile.Write(ref _lastFlushUtcTicks, DateTime.UtcNow.Ticks);
    }

    private void FsyncNow()
    {
        _stream!.Flush(flushToDisk: true);
        _lastFsync = Stopwatch.GetTimestamp();
    }

    public override async ValueTask DisposeAsync()
    {
        if (_pipe is null) return;
        try
        {
            await FlushAsync(CancellationToken.None).ConfigureAwait(false);
            if (Fsync != FsyncPolicy.None) FsyncNow();
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
