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
/// Appends formatted records to a file through a System.IO.Pipelines <see cref="PipeWriter"/> (Kakashi's file pipe: one
/// reusable buffer of whole records, and a write-out is one synchronous <c>write</c> on the writer's loop, so nothing is
/// allocated per batch). Bytes reach the file when <see cref="BatchSize"/> bytes are pending, when <see cref="FlushInterval"/>
/// has elapsed since the last write-out, and on <see cref="AsyncPipeline.FlushAllAsync"/> and shutdown. Missing folders are
/// created; a new file gets <see cref="UnixCreateMode"/> (0640).
/// </summary>
/// <remarks>
/// <para>The file is opened with O_APPEND: every write lands at the file's current end, so several writers (in one process or
/// several) append to one file without overwriting each other, and a file truncated by someone else is continued at its new
/// end, with no hole.</para>
/// <para>A record counts as written only once its last byte is in the file (the writer confirms delivery itself): a disk that
/// fills part way through a write leaves the records before it written, cuts the torn one back out of the file, and keeps the
/// rest buffered for the next attempt, which resumes exactly there — nothing is written twice. While the file cannot be
/// written the stage treats the writer as failing, so the callers are never held; past its buffer limit (four batch sizes)
/// new batches fail, counted.</para>
/// <para>A symbolic link at the path is followed only when it belongs to the process's user or root.</para>
/// </remarks>
public sealed class AsyncFileWriter : LogWriter
{
    private AppendFile? _file;
    private FilePipeWriter? _pipe;
    private long _lastFlush;
    private long _lastFsync;
    private long _flushCount;
    private long _retryAt;
    private int _failures;
    private TimeSpan _defaultFlushInterval = TimeSpan.FromSeconds(1);

    public AsyncFileWriter(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        Path = System.IO.Path.GetFullPath(path);
        Backpressure = DropStrategy.Block; // the local ground truth: wait rather than lose records while the file can be written
    }

    /// <summary>Full path of the file.</summary>
    public string Path { get; }

    /// <summary>Longest time written bytes wait before they are written to the file. Default: the pipeline's <see cref="AsyncPipelineConfig.FlushInterval"/>, else 1 s.</summary>
    public TimeSpan FlushInterval
    {
        get => _flushInterval ?? _defaultFlushInterval;
        init => _flushInterval = value;
    }

    private TimeSpan? _flushInterval;

    /// <summary>Pending bytes that trigger a write-out. Default 256 KiB; from 4 KiB to 64 MiB.</summary>
    public int BatchSize { get; init; } = 256 * 1024;

    /// <summary>When to fsync. Default <see cref="FsyncPolicy.None"/>.</summary>
    public FsyncPolicy Fsync { get; init; } = FsyncPolicy.None;

    /// <summary>With <see cref="FsyncPolicy.Interval"/>: the longest time between fsyncs. Default 1 s.</summary>
    public TimeSpan FsyncInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Permissions of a file this writer creates (Unix; the umask still applies). Default 0640: owner read/write, group read.</summary>
    public UnixFileMode UnixCreateMode { get; init; } = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead;

    /// <summary>Write-outs done.</summary>
    public long FlushCount => Volatile.Read(ref _flushCount);

    /// <summary>Bytes that reached the file.</summary>
    public long BytesWritten => _pipe?.BytesFlushed ?? _bytesWrittenClosed;

    private long _bytesWrittenClosed;

    public override string Name => $"file:{Path}";

    /// <summary>Records count as written when their bytes are in the file, not when a batch is buffered.</summary>
    protected internal override bool ConfirmsDelivery => true;

    protected internal override void Validate(string property)
    {
        if (_flushInterval is { } interval) Limits.CheckDuration(property + "." + nameof(FlushInterval), interval, Limits.MinInterval, Limits.MaxInterval);
        if (BatchSize < Kakashi.Shared.ConfigurationLimits.MinFileBatchSize || BatchSize > Kakashi.Shared.ConfigurationLimits.MaxFileBatchSize)
            throw new ArgumentOutOfRangeException(property + "." + nameof(BatchSize), BatchSize, $"{property}.{nameof(BatchSize)} must be from 4096 (4 KiB) to 67108864 (64 MiB) bytes.");
        if (Fsync == FsyncPolicy.Interval) Limits.CheckDuration(property + "." + nameof(FsyncInterval), FsyncInterval, Limits.MinInterval, Limits.MaxInterval);
        if (!Enum.IsDefined(Fsync)) throw new ArgumentOutOfRangeException(property + "." + nameof(Fsync), Fsync, "Unknown FsyncPolicy.");
        if (_pipe is not null) throw new ArgumentException($"{property} ({Name}) is already open: a writer belongs to one pipeline.", property);
    }

    protected internal override void Open(WriterContext context)
    {
        if (_pipe is not null) throw new InvalidOperationException($"The writer for '{Path}' is already open (a writer belongs to one pipeline).");
        if (context.DefaultFlushInterval is { } interval) _defaultFlushInterval = interval;
        string? folder = System.IO.Path.GetDirectoryName(Path);
        if (!string.IsNullOrEmpty(folder)) Directory.CreateDirectory(folder);
        _file = AppendFile.Open(Path, UnixCreateMode);
        _pipe = new FilePipeWriter(_file, BatchSize + 64 * 1024);
        _lastFlush = _lastFsync = Stopwatch.GetTimestamp();
    }

    protected internal override ValueTask WriteAsync(LogBatch batch, CancellationToken cancellationToken)
    {
        var pipe = _pipe ?? throw new InvalidOperationException("The writer is not open.");
        if (pipe.Held + batch.Length > MaxHeld && pipe.Held > 0)
        {
            // earlier records are still not in the file (it keeps failing): try once more, else refuse this batch (the
            // stage retries it, then counts it failed); what is buffered is bounded
            WriteOut(pipe);
            if (pipe.Held + batch.Length > MaxHeld) throw new IOException($"{Name}: {pipe.PendingRecords} earlier records are still waiting for the file; this batch is refused.");
        }
        pipe.Append(batch.Bytes.Span, batch.RecordEnds);
        // the batch is taken: from here a failure to write it keeps it buffered and is reported, never thrown (a retry would copy it twice)
        if (pipe.UnflushedBytes >= BatchSize || Stopwatch.GetElapsedTime(_lastFlush) >= FlushInterval) TryWriteOut(pipe);
        return ValueTask.CompletedTask;
    }

    private int MaxHeld => BatchSize * 4 + LogBatch.DefaultSize;

    protected internal override ValueTask OnIdleAsync(CancellationToken cancellationToken)
    {
        var pipe = _pipe;
        if (pipe is not null && pipe.UnflushedBytes > 0 && Stopwatch.GetElapsedTime(_lastFlush) >= FlushInterval) TryWriteOut(pipe);
        if (Fsync == FsyncPolicy.Interval && _file is not null && Stopwatch.GetElapsedTime(_lastFsync) >= FsyncInterval && _lastFsync < _lastFlush) FsyncNow();
        return ValueTask.CompletedTask;
    }

    protected internal override ValueTask FlushAsync(CancellationToken cancellationToken)
    {
        var pipe = _pipe;
        if (pipe is null) return ValueTask.CompletedTask;
        WriteOut(pipe); // a failure goes to the stage, which reports it; the records stay buffered and counted as queued
        if (Fsync == FsyncPolicy.EveryFlush || (Fsync == FsyncPolicy.Interval && Stopwatch.GetElapsedTime(_lastFsync) >= FsyncInterval)) FsyncNow();
        return ValueTask.CompletedTask;
    }

    /// <summary>A write-out whose failure is reported, not thrown; after a failure, retried with backoff (100 ms doubling to 5 s).</summary>
    private void TryWriteOut(FilePipeWriter pipe)
    {
        if (_failures > 0 && Stopwatch.GetTimestamp() < _retryAt) return;
        try
        {
            WriteOut(pipe);
        }
        catch (Exception e)
        {
            Context?.ReportError(e);
        }
    }

    private void WriteOut(FilePipeWriter pipe)
    {
        long pending = pipe.UnflushedBytes;
        long start = Stopwatch.GetTimestamp();
        try
        {
            if (pending > 0) pipe.WriteOut();
            _failures = 0;
        }
        catch (Exception)
        {
            _failures++;
            _retryAt = Stopwatch.GetTimestamp() + (long)(Math.Min(5.0, 0.1 * Math.Pow(2, Math.Min(_failures - 1, 10))) * Stopwatch.Frequency);
            throw;
        }
        finally
        {
            int done = pipe.TakeCompletedRecords();
            if (done > 0) Context?.Delivered(done);
        }
        if (pending > 0) Flushed(start);
        else _lastFlush = start;
    }

    private void Flushed(long start)
    {
        long now = Stopwatch.GetTimestamp();
        _lastFlush = now;
        Interlocked.Increment(ref _flushCount);
        Context?.Flushed(Stopwatch.GetElapsedTime(start, now));
    }

    private void FsyncNow()
    {
        _file!.Sync();
        _lastFsync = Stopwatch.GetTimestamp();
    }

    public override ValueTask DisposeAsync()
    {
        var pipe = _pipe;
        if (pipe is null) return ValueTask.CompletedTask;
        try
        {
            WriteOut(pipe);
            if (Fsync != FsyncPolicy.None) FsyncNow();
        }
        catch (Exception e)
        {
            // what could not be written stays unconfirmed: the stage counts it failed
            Context?.ReportError(e);
        }
        finally
        {
            _bytesWrittenClosed = pipe.BytesFlushed;
            _file?.Dispose();
            _pipe = null;
            _file = null;
        }
        return ValueTask.CompletedTask;
    }
}
