using System;
using System.Diagnostics;
using System.IO;
using System.IO.Pipelines;
using System.Runtime.InteropServices;
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
/// <para>Rolling (Serilog.Sinks.File's options and file names): <see cref="RollingInterval"/> starts a file per period
/// (<c>logs/app.log</c> → <c>logs/app20261201.log</c>), <see cref="FileSizeLimitBytes"/> with <see cref="RollOnFileSizeLimit"/>
/// one more per size limit (<c>app20261201_001.log</c>); files roll only between records, so a record is never split and a
/// record that would cross the limit goes whole into the next file. <see cref="RetainedFileCountLimit"/>,
/// <see cref="RetainedFileTimeLimit"/> and <see cref="CompressRolledFiles"/> act on a thread-pool task, never on the
/// writer's loop. A file moved or deleted under the writer (logrotate) is noticed within a second and the path reopened;
/// <see cref="Reopen"/> (or SIGHUP with <see cref="ReopenOnSigHup"/>) does it at once.</para>
/// </remarks>
public class AsyncFileWriter : LogWriter
{
    private AppendFile? _file;
    private FilePipeWriter? _pipe;
    private long _lastFlush;
    private long _lastFsync;
    private long _flushCount;
    private long _retryAt;
    private int _failures;
    private TimeSpan _defaultFlushInterval = TimeSpan.FromSeconds(1);

    // rolling, reopening
    private RollingFileNames? _names;   // null: one file (the path), no rolling
    private RollingMaintenance? _maintenance;
    private long _limit = long.MaxValue; // effective file size limit
    private DateTime _period;           // start of the current file's period (UTC, or local with UseLocalTime)
    private DateTime _periodEnd = DateTime.MaxValue;
    private int _sequence;
    private string? _currentPath;
    private int _reopenRequested;
    private long _nextCheck;            // Stopwatch time of the next look at the path (rotation) and the file's size
    private long _switchRetryAt;        // after a failed roll or reopen: not before this Stopwatch time
    private int _switchFailures;
    private bool _capped;               // at the size limit without RollOnFileSizeLimit: records are discarded until the next period
    private bool _orphaned;             // the open file was deleted and the path cannot be reopened: nothing is written to it
    private PosixSignalRegistration? _sigHup;
    private long _rolls, _reopens, _fileErrors, _discarded, _compressed, _deleted;

    /// <summary>The size limit that applies when <see cref="RollOnFileSizeLimit"/> is set without <see cref="FileSizeLimitBytes"/>: 1 GiB (Serilog's default).</summary>
    public const long DefaultRollingFileSizeLimit = 1L << 30;

    /// <summary>Smallest accepted <see cref="FileSizeLimitBytes"/>: 1 KiB.</summary>
    public const long MinFileSizeLimit = Kakashi.Shared.ConfigurationLimits.MinFileSizeLimit;

    /// <summary>A writer to the file at <paramref name="path"/> (made absolute; the base name of the rolled files when it rolls).</summary>
    public AsyncFileWriter(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        Path = System.IO.Path.GetFullPath(path);
        Backpressure = DropStrategy.Block; // the local ground truth: wait rather than lose records while the file can be written
    }

    /// <summary>Full path of the file, as configured: the base of the rolled files' names when the writer rolls (see <see cref="CurrentPath"/>).</summary>
    public string Path { get; }

    /// <summary>
    /// The file being written now: <see cref="Path"/> when the writer does not roll, else the current period's file
    /// (<c>app20261201_002.log</c>). Before the writer opens, <see cref="Path"/>. Thread-safe.
    /// </summary>
    public string CurrentPath => Volatile.Read(ref _currentPath) ?? Path;

    /// <summary>
    /// Start a new file per period (Serilog's <c>rollingInterval</c>): the period, in UTC unless <see cref="UseLocalTime"/>,
    /// goes into the file name before the extension — <c>app2026.log</c>, <c>app202612.log</c>, <c>app20261201.log</c>,
    /// <c>app2026120113.log</c>, <c>app202612011305.log</c>. The roll happens when a record is written after the period
    /// ended (what was waiting to be written is first written to the ending period's file); no empty files are made for
    /// quiet periods. At start the latest file of the current period is continued. Default <see cref="RollingInterval.Infinite"/>.
    /// </summary>
    public RollingInterval RollingInterval { get; init; } = RollingInterval.Infinite;

    /// <summary>Periods (<see cref="RollingInterval"/>) and retention by age follow the local time zone instead of UTC. Default false.</summary>
    public bool UseLocalTime { get; init; }

    /// <summary>
    /// Largest size of a file, in bytes (Serilog's <c>fileSizeLimitBytes</c>); null (default) for none. The size is the
    /// file's size when it was opened (or last measured, every second) plus what this writer wrote to it. A file is filled
    /// only with whole records that fit: the record that would cross the limit goes into the next file
    /// (<see cref="RollOnFileSizeLimit"/>), and one larger than the limit goes alone into a file of its own. Without
    /// <see cref="RollOnFileSizeLimit"/>, records that do not fit are discarded (counted <see cref="WriterMetrics.Failed"/>,
    /// reported once) until the next period, as Serilog does. At least <see cref="MinFileSizeLimit"/> (1 KiB).
    /// </summary>
    public long? FileSizeLimitBytes { get; init; }

    /// <summary>
    /// At the size limit, continue in the next file of the period (<c>app20261201_001.log</c>, <c>_002</c>, ...;
    /// <c>app_001.log</c> with <see cref="RollingInterval.Infinite"/>) instead of discarding records. Without
    /// <see cref="FileSizeLimitBytes"/> the limit is <see cref="DefaultRollingFileSizeLimit"/> (1 GiB, Serilog's). Default false.
    /// </summary>
    public bool RollOnFileSizeLimit { get; init; }

    /// <summary>
    /// Most files of this writer kept, the current one included (Serilog's <c>retainedFileCountLimit</c>): after a roll the
    /// oldest beyond it are deleted, compressed ones too, on a background task; only files named by this writer's pattern
    /// are touched. Null keeps every file. At least 1. Default 31.
    /// </summary>
    public int? RetainedFileCountLimit { get; init; } = 31;

    /// <summary>
    /// Rolled files are deleted once their period ended more than this long ago (with <see cref="RollingInterval.Infinite"/>:
    /// once last written more than this long ago), and so is every older one. Null (default) for no age limit. Greater than zero.
    /// </summary>
    public TimeSpan? RetainedFileTimeLimit { get; init; }

    /// <summary>
    /// gzip each file once it is rolled, to <c>name.log.gz</c> (through <c>name.log.gz.tmp</c>, renamed when complete, so a
    /// crash never leaves a partial .gz), then delete the original; on a background task. Default false.
    /// </summary>
    public bool CompressRolledFiles { get; init; }

    /// <summary>
    /// Reopen the file on SIGHUP (Unix; what logrotate's <c>postrotate</c> usually sends). Registering a SIGHUP handler
    /// replaces the signal's default action — terminating the process — for the whole process while the writer is open.
    /// Default false.
    /// </summary>
    public bool ReopenOnSigHup { get; init; }

    /// <summary>The writer's clock for periods and retention (tests); null takes the pipeline's <see cref="WriterContext.TimeProvider"/>.</summary>
    internal Func<DateTime>? UtcNow { get; init; }

    /// <summary>Files rolled to (by period or size).</summary>
    public long RollCount => Volatile.Read(ref _rolls);

    /// <summary>Reopens of the file's path (<see cref="Reopen"/>, SIGHUP, or the file noticed moved or deleted).</summary>
    public long ReopenCount => Volatile.Read(ref _reopens);

    /// <summary>Failed rolls, reopens, deletions and compressions (each also reported through the pipeline's error records).</summary>
    public long FileErrors => Volatile.Read(ref _fileErrors);

    /// <summary>Records discarded at the size limit without <see cref="RollOnFileSizeLimit"/> (also counted failed in the writer's metrics).</summary>
    public long DiscardedAtSizeLimit => Volatile.Read(ref _discarded);

    internal long CompressedFiles => Volatile.Read(ref _compressed);
    internal long DeletedFiles => Volatile.Read(ref _deleted);

    /// <summary>
    /// Asks the writer to close and reopen its file by path (after logrotate moved it away, say). Thread-safe: it sets a
    /// flag the writer's loop acts on at its next batch or idle tick (within about 100 ms); records not yet written go
    /// into the reopened file. A file moved or deleted under the writer is also noticed without it, within a second.
    /// </summary>
    public void Reopen() => Volatile.Write(ref _reopenRequested, 1);

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

    /// <inheritdoc/>
    public override string Name => $"file:{Path}";

    /// <summary>Records count as written when their bytes are in the file, not when a batch is buffered.</summary>
    protected internal sealed override bool ConfirmsDelivery => true;

    /// <inheritdoc/>
    protected internal sealed override void Validate(string property)
    {
        if (_flushInterval is { } interval) Limits.CheckDuration(property + "." + nameof(FlushInterval), interval, Limits.MinInterval, Limits.MaxInterval);
        if (BatchSize < Kakashi.Shared.ConfigurationLimits.MinFileBatchSize || BatchSize > Kakashi.Shared.ConfigurationLimits.MaxFileBatchSize)
            throw new ArgumentOutOfRangeException(property + "." + nameof(BatchSize), BatchSize, $"{property}.{nameof(BatchSize)} must be from 4096 (4 KiB) to 67108864 (64 MiB) bytes.");
        if (Fsync == FsyncPolicy.Interval) Limits.CheckDuration(property + "." + nameof(FsyncInterval), FsyncInterval, Limits.MinInterval, Limits.MaxInterval);
        if (!Enum.IsDefined(Fsync)) throw new ArgumentOutOfRangeException(property + "." + nameof(Fsync), Fsync, "Unknown FsyncPolicy.");
        if (!Enum.IsDefined(RollingInterval)) throw new ArgumentOutOfRangeException(property + "." + nameof(RollingInterval), RollingInterval, $"{property}.{nameof(RollingInterval)} must be Infinite, Year, Month, Day, Hour or Minute.");
        if (FileSizeLimitBytes < MinFileSizeLimit)
            throw new ArgumentOutOfRangeException(property + "." + nameof(FileSizeLimitBytes), FileSizeLimitBytes, $"{property}.{nameof(FileSizeLimitBytes)} must be at least {MinFileSizeLimit} bytes (1 KiB), or null for no limit.");
        if (RetainedFileCountLimit < 1)
            throw new ArgumentOutOfRangeException(property + "." + nameof(RetainedFileCountLimit), RetainedFileCountLimit, $"{property}.{nameof(RetainedFileCountLimit)} must be at least 1 (the current file), or null to keep every file.");
        if (RetainedFileTimeLimit <= TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(property + "." + nameof(RetainedFileTimeLimit), RetainedFileTimeLimit, $"{property}.{nameof(RetainedFileTimeLimit)} must be greater than zero, or null for no age limit.");
        if (_pipe is not null) throw new ArgumentException($"{property} ({Name}) is already open: a writer belongs to one pipeline.", property);
        ValidateFormat(property);
    }

    /// <summary>A derived writer's checks of its own options (<see cref="BinaryLogWriter"/>: its formatter).</summary>
    private protected virtual void ValidateFormat(string property)
    {
    }

    /// <summary>What every file must start with (a .klog header), built when it is about to be written; null: nothing.</summary>
    private protected virtual Func<byte[]>? Preamble => null;

    /// <summary>Buffers a batch in the file pipe: its records as units (a .klog writer: its frames, and the metadata they need).</summary>
    private protected virtual void AppendBatch(FilePipeWriter pipe, LogBatch batch) => pipe.Append(batch.Bytes.Span, batch.RecordEnds);

    /// <inheritdoc/>
    protected internal sealed override void Open(WriterContext context)
    {
        if (_pipe is not null) throw new InvalidOperationException($"The writer for '{Path}' is already open (a writer belongs to one pipeline).");
        if (context.DefaultFlushInterval is { } interval) _defaultFlushInterval = interval;
        _limit = FileSizeLimitBytes ?? (RollOnFileSizeLimit ? DefaultRollingFileSizeLimit : long.MaxValue);
        string path = Path;
        _names = null;
        _maintenance = null;
        _periodEnd = DateTime.MaxValue;
        _sequence = 0;
        if (RollingInterval != RollingInterval.Infinite || RollOnFileSizeLimit)
        {
            _names = new RollingFileNames(Path, RollingInterval);
            _period = _names.PeriodStart(Now());
            _periodEnd = _names.PeriodEnd(_period);
            _sequence = _names.LatestSequence(_names.PeriodKey(_period)); // continue the latest file of this period
            path = _names.PathFor(_period, _sequence);
            if (RetainedFileCountLimit is not null || RetainedFileTimeLimit is not null || CompressRolledFiles) _maintenance = new RollingMaintenance(_names, this, Now);
        }
        _file = OpenFile(path);
        _pipe = new FilePipeWriter(_file, _file.Length, BatchSize + 64 * 1024) { Preamble = Preamble };
        Volatile.Write(ref _currentPath, path);
        _capped = _orphaned = false;
        _switchFailures = 0;
        _switchRetryAt = 0;
        _lastFlush = _lastFsync = Stopwatch.GetTimestamp();
        _nextCheck = _lastFlush + Stopwatch.Frequency;
        if (ReopenOnSigHup && (OperatingSystem.IsLinux() || OperatingSystem.IsMacOS() || OperatingSystem.IsFreeBSD()))
            _sigHup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, OnSigHup);
        _maintenance?.Request(); // files left beyond the limits, or uncompressed, by an earlier run
    }

    private void OnSigHup(PosixSignalContext signal)
    {
        signal.Cancel = true; // handled: the process goes on
        Reopen();
    }

    /// <summary>Opens <paramref name="path"/> for appending, creating its folder when missing (a vanished folder is recreated).</summary>
    private AppendFile OpenFile(string path)
    {
        string? folder = System.IO.Path.GetDirectoryName(path);
        if (!string.IsNullOrEmpty(folder)) Directory.CreateDirectory(folder);
        return AppendFile.Open(path, UnixCreateMode);
    }

    private DateTime Now()
    {
        DateTime utc = UtcNow is { } clock ? clock() : Context is { } context ? context.TimeProvider.GetUtcNow().UtcDateTime : DateTime.UtcNow;
        if (utc.Kind != DateTimeKind.Utc) utc = DateTime.SpecifyKind(utc, DateTimeKind.Utc);
        return UseLocalTime ? utc.ToLocalTime() : utc;
    }

    /// <inheritdoc/>
    protected internal sealed override ValueTask WriteAsync(LogBatch batch, CancellationToken cancellationToken)
    {
        var pipe = _pipe ?? throw new InvalidOperationException("The writer is not open.");
        PrepareFile(pipe, writing: true);
        if (_capped && pipe.PendingRecords == 0)
        {
            // at the size limit, not rolling: discarded until the next period (reported when the limit was reached)
            Interlocked.Add(ref _discarded, batch.Count);
            Context?.Failed(batch.Count, null);
            return ValueTask.CompletedTask;
        }
        if (pipe.Held + batch.Length > MaxHeld && pipe.Held > 0)
        {
            // earlier records are still not in the file (it keeps failing): try once more, else refuse this batch (the
            // stage retries it, then counts it failed); what is buffered is bounded
            WriteOut(pipe);
            if (pipe.Held + batch.Length > MaxHeld) throw new IOException($"{Name}: {pipe.PendingRecords} earlier records are still waiting for the file; this batch is refused.");
        }
        AppendBatch(pipe, batch);
        // the batch is taken: from here a failure to write it keeps it buffered and is reported, never thrown (a retry would copy it twice)
        if (pipe.UnflushedBytes >= BatchSize || Stopwatch.GetElapsedTime(_lastFlush) >= FlushInterval) TryWriteOut(pipe);
        return ValueTask.CompletedTask;
    }

    private int MaxHeld => BatchSize * 4 + LogBatch.DefaultSize;

    /// <inheritdoc/>
    protected internal sealed override ValueTask OnIdleAsync(CancellationToken cancellationToken)
    {
        var pipe = _pipe;
        if (pipe is not null) PrepareFile(pipe, writing: false);
        if (pipe is not null && pipe.UnflushedBytes > 0 && Stopwatch.GetElapsedTime(_lastFlush) >= FlushInterval) TryWriteOut(pipe);
        if (Fsync == FsyncPolicy.Interval && _file is not null && Stopwatch.GetElapsedTime(_lastFsync) >= FsyncInterval && _lastFsync < _lastFlush) FsyncNow();
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc/>
    protected internal sealed override ValueTask FlushAsync(CancellationToken cancellationToken)
    {
        var pipe = _pipe;
        if (pipe is null) return ValueTask.CompletedTask;
        PrepareFile(pipe, writing: false);
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
            if (_orphaned) throw new IOException($"{Name}: '{CurrentPath}' was deleted and cannot be created again: records are kept until it can.");
            if (pending > 0) WriteRecords(pipe);
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

    /// <summary>Writes the buffered records, rolling to the next file at the size limit, or discarding what does not fit when it may not roll.</summary>
    private void WriteRecords(FilePipeWriter pipe)
    {
        if (_limit == long.MaxValue)
        {
            pipe.WriteOut();
            return;
        }
        if (_capped && pipe.AtRecordBoundary)
        {
            Discard(pipe);
            return;
        }
        while (pipe.WriteOut(_limit))
        {
            // the next record does not fit in the current file
            if (!RollOnFileSizeLimit || _names is null)
            {
                Discard(pipe);
                return;
            }
            if (!TryRoll(pipe, _period, NextSequence()))
            {
                pipe.WriteOut(); // the roll failed (reported, retried later): the records go on into this file rather than wait
                return;
            }
        }
    }

    /// <summary>At the size limit without rolling: the records that do not fit are failed (after those written), reported the first time.</summary>
    private void Discard(FilePipeWriter pipe)
    {
        int done = pipe.TakeCompletedRecords();
        if (done > 0) Context?.Delivered(done);
        int n = pipe.DiscardWholeRecords();
        if (n == 0) return;
        Interlocked.Add(ref _discarded, n);
        bool first = !_capped;
        _capped = true;
        string until = _names is null ? "the file is moved away or reopened" : "the next period";
        Context?.Failed(n, first ? new IOException($"{Name}: '{CurrentPath}' reached FileSizeLimitBytes ({_limit} bytes) and RollOnFileSizeLimit is false: records are discarded until {until}.") : null);
    }

    private int NextSequence()
    {
        int next = _sequence + 1;
        while (File.Exists(_names!.PathFor(_period, next) + ".gz")) next++; // already rolled and compressed (a clock set back)
        return next;
    }

    /// <summary>
    /// Cheap unless something is due: a reopen asked for (<see cref="Reopen"/>, SIGHUP), the once-a-second look at the path
    /// (moved or deleted by logrotate: reopen; the file's size measured again), and the end of the period (roll, when there
    /// is something to write).
    /// </summary>
    private void PrepareFile(FilePipeWriter pipe, bool writing)
    {
        if (Volatile.Read(ref _reopenRequested) != 0 && Interlocked.Exchange(ref _reopenRequested, 0) != 0 && !TryReopen(pipe))
            Volatile.Write(ref _reopenRequested, 1); // not now (a record part way into the file, or the reopen failed): later
        long now = Stopwatch.GetTimestamp();
        if (now >= _nextCheck)
        {
            _nextCheck = now + Stopwatch.Frequency;
            CheckPath(pipe);
        }
        if (_periodEnd != DateTime.MaxValue && (writing || pipe.UnflushedBytes > 0) && Now() >= _periodEnd) RollPeriod(pipe, writing);
    }

    private void CheckPath(FilePipeWriter pipe)
    {
        var file = _file!;
        switch (file.CheckPath(out long length))
        {
            case FileIdentity.Same:
                if (length < pipe.FileLength) pipe.RequirePreamble(); // truncated: a .klog file starts with its header again
                pipe.FileLength = length; // truncated (copytruncate) or appended to by others: the limit counts what is there
                break;
            case FileIdentity.Moved:
                TryReopen(pipe); // failing, the records go on into the moved file
                break;
            case FileIdentity.Deleted:
                if (!TryReopen(pipe)) _orphaned = true; // what is written to a deleted file is lost: keep it until the path opens
                break;
        }
    }

    private void RollPeriod(FilePipeWriter pipe, bool writing)
    {
        if (Stopwatch.GetTimestamp() < _switchRetryAt) return;
        if (pipe.UnflushedBytes > 0) TryWriteOut(pipe); // what is waiting belongs to the ending period: into its file first
        if (!writing && pipe.UnflushedBytes == 0) return; // nothing for the new period yet: no empty file, roll with the next record
        if (!pipe.AtRecordBoundary) return;
        var start = _names!.PeriodStart(Now());
        if (TryRoll(pipe, start, _names.LatestSequence(_names.PeriodKey(start))))
        {
            _periodEnd = _names.PeriodEnd(start);
            _capped = false;
        }
    }

    private bool TryRoll(FilePipeWriter pipe, DateTime period, int sequence)
    {
        if (Stopwatch.GetTimestamp() < _switchRetryAt) return false;
        string path = _names!.PathFor(period, sequence);
        if (!SwitchFile(pipe, path, "roll to")) return false;
        _period = period;
        _sequence = sequence;
        Interlocked.Increment(ref _rolls);
        _maintenance?.Request();
        return true;
    }

    private bool TryReopen(FilePipeWriter pipe)
    {
        if (!pipe.AtRecordBoundary || Stopwatch.GetTimestamp() < _switchRetryAt) return false;
        if (!SwitchFile(pipe, CurrentPath, "reopen")) return false;
        Interlocked.Increment(ref _reopens);
        _orphaned = false;
        _capped = false; // a fresh file has room again (one still full caps again at the next record)
        return true;
    }

    /// <summary>Opens <paramref name="path"/> and moves the pipe to it (at a record boundary), closing the old file; a failure is reported, counted, and retried with backoff (1 s doubling to 30 s).</summary>
    private bool SwitchFile(FilePipeWriter pipe, string path, string what)
    {
        AppendFile file;
        try
        {
            file = OpenFile(path);
            pipe.SwitchTo(file, file.Length);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _switchFailures++;
            _switchRetryAt = Stopwatch.GetTimestamp() + (long)(Math.Min(30.0, Math.Pow(2, Math.Min(_switchFailures - 1, 5))) * Stopwatch.Frequency);
            Interlocked.Increment(ref _fileErrors);
            Context?.ReportError(new IOException($"{Name}: cannot {what} '{path}' ({e.Message}); retrying", e));
            return false;
        }
        var old = _file!;
        _file = file;
        Volatile.Write(ref _currentPath, path);
        _switchFailures = 0;
        _switchRetryAt = 0;
        try
        {
            if (Fsync != FsyncPolicy.None) old.Sync(); // what was written to the old file is as durable as the policy says
        }
        catch (IOException e)
        {
            Interlocked.Increment(ref _fileErrors);
            Context?.ReportError(e);
        }
        finally
        {
            old.Dispose();
        }
        return true;
    }

    /// <summary>From the background maintenance: a deletion or compression failed.</summary>
    internal void MaintenanceFailed(Exception error)
    {
        Interlocked.Increment(ref _fileErrors);
        Context?.ReportError(error);
    }

    internal void CountCompressed() => Interlocked.Increment(ref _compressed);

    internal void CountDeleted() => Interlocked.Increment(ref _deleted);

    /// <summary>Completes when the background retention and compression are done (tests).</summary>
    internal Task WaitForMaintenanceAsync() => _maintenance?.WaitIdleAsync(TimeSpan.FromSeconds(60)) ?? Task.CompletedTask;

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

    /// <inheritdoc/>
    public sealed override async ValueTask DisposeAsync()
    {
        GC.SuppressFinalize(this);
        var pipe = _pipe;
        if (pipe is null) return;
        _sigHup?.Dispose();
        _sigHup = null;
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
        // a compression under way finishes (bounded: one cut short leaves only a .tmp, removed by the next run)
        if (_maintenance is { } maintenance) await maintenance.WaitIdleAsync(TimeSpan.FromSeconds(2)).ConfigureAwait(false);
    }
}
