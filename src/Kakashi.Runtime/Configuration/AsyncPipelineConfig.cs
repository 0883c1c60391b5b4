using System;
using System.Collections.Generic;
using Microsoft.Extensions.Logging;

namespace Kakashi;

/// <summary>How the drain thread waits when every ring buffer is empty.</summary>
public enum DrainWaitStrategy
{
    /// <summary>Spin, then yield, then sleep 1 ms, then park up to 5 ms at a time (20 ms after a quarter second of idleness): lowest idle CPU (&lt; 1 %). Default.</summary>
    Park,
    /// <summary>Sleep 1 ms between polls.</summary>
    Sleep,
    /// <summary>Yield the core between polls (a core stays busy when others are idle).</summary>
    Yield,
    /// <summary>Busy-spin: lowest drain latency, burns a core. Only with a core to spare.</summary>
    Spin,
}

/// <summary>Configuration of an <see cref="AsyncPipeline"/>; validated when the pipeline is built.</summary>
public sealed class AsyncPipelineConfig
{
    /// <summary>Smallest accepted <see cref="BufferSize"/> (4 KiB).</summary>
    public const int MinBufferSize = Kakashi.Shared.ConfigurationLimits.MinBufferSize;

    /// <summary>Largest accepted <see cref="BufferSize"/> (1 GiB).</summary>
    public const int MaxBufferSize = Kakashi.Shared.ConfigurationLimits.MaxBufferSize;

    /// <summary>The pipeline's name in metrics (the <c>pipeline</c> tag of the <c>Kakashi</c> meter) and reports. Default "default".</summary>
    public string Name { get; set; } = "default";

    /// <summary>Records below this level are discarded on the calling thread by a load and a compare. Default Information.</summary>
    public LogLevel MinLevel { get; set; } = LogLevel.Information;

    /// <summary>How records become bytes. Default <see cref="TextFormatter"/> with <see cref="TextFormatter.DefaultTemplate"/>.</summary>
    public LogFormatter? Formatter { get; set; }

    /// <summary>Where the bytes go. At least one writer.</summary>
    public IList<LogWriter> Writers { get; set; } = new List<LogWriter>();

    /// <summary>
    /// Bytes of the ring buffer each logging thread gets (a power of two, 4 KiB to 1 GiB). Default 1 MiB. A record may use up to
    /// half of it; larger records have their strings cut with a visible marker and are counted as truncated.
    /// </summary>
    public int BufferSize
    {
        get => _bufferSize;
        set
        {
            _bufferSize = value;
            _bufferSizeSet = true;
        }
    }

    private int _bufferSize = Kakashi.Shared.ConfigurationLimits.DefaultBufferSize;
    private bool _bufferSizeSet;

    /// <summary>
    /// Minimum levels per category prefix ("Microsoft" = Warning, "Trading.Orders" = Debug): the longest matching prefix
    /// wins, else <see cref="MinLevel"/>. Applied when a logger is created, so the call's check stays one compare.
    /// </summary>
    public IDictionary<string, LogLevel> CategoryLevels { get; set; } = new Dictionary<string, LogLevel>(StringComparer.Ordinal);

    /// <summary>Drain-side filters, in order (rate limits, sampling, custom <see cref="IRecordFilter"/>s).</summary>
    public IList<IRecordFilter> Filters { get; set; } = new List<IRecordFilter>();

    /// <summary>
    /// Properties added to every record (<c>{Properties}</c> in text): process-wide ones on the drain
    /// (<see cref="MachineNameEnricher"/>, <see cref="ProcessEnricher"/>, <see cref="ApplicationEnricher"/>, <see cref="PropertiesEnricher"/>,
    /// <see cref="ThreadEnricher"/>) and the caller's context, captured without allocation only when configured
    /// (<see cref="ScopeEnricher"/>, <see cref="ActivityEnricher"/>).
    /// </summary>
    public IList<ILogEnricher> Enrichers { get; set; } = new List<ILogEnricher>();

    /// <summary>
    /// Code that sees every record on the drain after filters and enrichers and before the formatters (metrics such as
    /// <see cref="AsyncMetricsWriter"/>, sampling statistics). Called on the drain thread: keep it cheap; an observer that
    /// throws is reported and the record goes on.
    /// </summary>
    public IList<IRecordObserver> Observers { get; set; } = new List<IRecordObserver>();

    /// <summary>What a logging call does when its thread's ring is (nearly) full. Default: block, nothing lost.</summary>
    public BackpressureConfig Backpressure { get; set; } = new();

    /// <summary>
    /// Bytes of formatted records each writer's stage may hold before the writer's own policy applies (its
    /// <see cref="LogWriter.Backpressure"/>); a writer's <see cref="LogWriter.QueueLimit"/> overrides it. At least
    /// <see cref="BufferSize"/>. Default 4 MiB.
    /// </summary>
    public long BackpressureLimit { get; set; } = 4 * 1024 * 1024;

    /// <summary>Default flush interval of the file writers that do not set their own. Default 1 s.</summary>
    public TimeSpan? FlushInterval { get; set; }

    /// <summary>The clock of retries, circuit breakers and rate limits (tests inject a fake one). Default <see cref="TimeProvider.System"/>.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>Exception references (one per exception argument) each thread may have in flight (a power of two). Default 1024.</summary>
    public int ObjectSlots { get; set; } = 1024;

    /// <summary>How the drain waits when idle. Default <see cref="DrainWaitStrategy.Park"/>.</summary>
    public DrainWaitStrategy WaitStrategy { get; set; } = DrainWaitStrategy.Park;

    /// <summary>Most records the drain processes in one pass before it looks at flush requests, writer problems and housekeeping again. Default 8192.</summary>
    public int MaxBatchRecords { get; set; } = 8192;

    /// <summary>
    /// False (default): records are formatted and written by the drain thread and the writers' loops, off the callers.
    /// True: a synchronous pipeline (<c>KakashiLogging.Setup(..., asyncLogging: false)</c>) — each record is formatted,
    /// written and flushed on the calling thread before the logging call returns, through the same formatters and writers
    /// (deterministic output for command-line tools and tests). Safe from many threads: calls take turns on one lock, so a
    /// slow writer (and its retries) slows the callers. The capture of the arguments is the same as in the asynchronous
    /// pipeline (no allocation); the drain thread remains for the pipeline's own records, flush requests and shutdown.
    /// </summary>
    public bool Synchronous { get; set; }

    /// <summary>
    /// Formats a few thousand synthetic records with each built-in formatter when the drain starts (a few milliseconds,
    /// nothing written), so the tiered JIT has the formatting path optimized sooner: the first second of a process logs
    /// faster. Default true; false skips it (docs/benchmarks.md has the measured trade-off).
    /// </summary>
    public bool WarmUp { get; set; } = true;

    /// <summary>Longest accepted <see cref="ShutdownTimeout"/> (1 hour).</summary>
    public static readonly TimeSpan MaxShutdownTimeout = Limits.MaxInterval;

    /// <summary>
    /// How long <see cref="AsyncPipeline.DisposeAsync"/> waits for threads still inside a logging call, and then for the
    /// writers. Default 5 s; from 1 ms to <see cref="MaxShutdownTimeout"/>.
    /// </summary>
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Flush and close on <see cref="AppDomain.ProcessExit"/> and SIGTERM, and flush what the rings hold on an unhandled
    /// exception (best effort, bounded by <see cref="ShutdownTimeout"/>). Default true.
    /// </summary>
    public bool FlushOnProcessExit { get; set; } = true;

    internal PipelineSettings Validate()
    {
        if (MinLevel < LogLevel.Trace || MinLevel > LogLevel.None)
            throw new ArgumentOutOfRangeException(nameof(MinLevel), MinLevel, "MinLevel must be a LogLevel from Trace to None.");
        if (BufferSize < MinBufferSize || BufferSize > MaxBufferSize || (BufferSize & (BufferSize - 1)) != 0)
            throw new ArgumentOutOfRangeException(nameof(BufferSize), BufferSize, $"BufferSize must be a power of two from {MinBufferSize} to {MaxBufferSize} bytes.");
        ArgumentException.ThrowIfNullOrWhiteSpace(Name, nameof(Name));
        ArgumentNullException.ThrowIfNull(Backpressure, nameof(Backpressure));
        ArgumentNullException.ThrowIfNull(CategoryLevels, nameof(CategoryLevels));
        ArgumentNullException.ThrowIfNull(Filters, nameof(Filters));
        ArgumentNullException.ThrowIfNull(Enrichers, nameof(Enrichers));
        foreach (var pair in CategoryLevels)
            if (pair.Value < LogLevel.Trace || pair.Value > LogLevel.None)
                throw new ArgumentOutOfRangeException(nameof(CategoryLevels), pair.Value, $"CategoryLevels[\"{pair.Key}\"] must be a LogLevel from Trace to None.");
        for (int i = 0; i < Filters.Count; i++) if (Filters[i] is null) throw new ArgumentException($"Filters[{i}] is null.", nameof(Filters));
        for (int i = 0; i < Enrichers.Count; i++) if (Enrichers[i] is null) throw new ArgumentException($"Enrichers[{i}] is null.", nameof(Enrichers));
        ArgumentNullException.ThrowIfNull(Observers, nameof(Observers));
        for (int i = 0; i < Observers.Count; i++) if (Observers[i] is null) throw new ArgumentException($"Observers[{i}] is null.", nameof(Observers));
        ArgumentNullException.ThrowIfNull(TimeProvider, nameof(TimeProvider));
        var (buffer, warning, drop) = Backpressure.Resolve(BufferSize, _bufferSizeSet);
        if (BackpressureLimit < buffer)
            throw new ArgumentOutOfRangeException(nameof(BackpressureLimit), BackpressureLimit, $"BackpressureLimit must be at least the buffer size ({buffer} bytes): a writer's stage must hold a ring's worth of records.");
        if (FlushInterval is { } interval) Limits.CheckDuration(nameof(FlushInterval), interval, Limits.MinInterval, Limits.MaxInterval);
        if (ObjectSlots < Kakashi.Shared.ConfigurationLimits.MinObjectSlots || ObjectSlots > Kakashi.Shared.ConfigurationLimits.MaxObjectSlots || (ObjectSlots & (ObjectSlots - 1)) != 0)
            throw new ArgumentOutOfRangeException(nameof(ObjectSlots), ObjectSlots, $"ObjectSlots must be a power of two from {Kakashi.Shared.ConfigurationLimits.MinObjectSlots} to {Kakashi.Shared.ConfigurationLimits.MaxObjectSlots}.");
        if (MaxBatchRecords < Kakashi.Shared.ConfigurationLimits.MinBatchRecords)
            throw new ArgumentOutOfRangeException(nameof(MaxBatchRecords), MaxBatchRecords, $"MaxBatchRecords must be at least {Kakashi.Shared.ConfigurationLimits.MinBatchRecords}.");
        Limits.CheckDuration(nameof(ShutdownTimeout), ShutdownTimeout, Limits.MinInterval, MaxShutdownTimeout);
        if (!Enum.IsDefined(WaitStrategy))
            throw new ArgumentOutOfRangeException(nameof(WaitStrategy), WaitStrategy, "Unknown DrainWaitStrategy.");
        if (Writers is null || Writers.Count == 0)
            throw new ArgumentException("Writers must contain at least one writer (for example new AsyncFileWriter(\"logs/app.log\")).", nameof(Writers));
        for (int i = 0; i < Writers.Count; i++)
        {
            if (Writers[i] is null) throw new ArgumentException($"Writers[{i}] is null.", nameof(Writers));
            for (int j = 0; j < i; j++)
                if (ReferenceEquals(Writers[i], Writers[j])) throw new ArgumentException($"Writers[{i}] is the same writer as Writers[{j}].", nameof(Writers));
            Writers[i].ValidateStage($"Writers[{i}]");
            for (int j = 0; j < i; j++)
                if (Writers[i].Spool is { } spool && Writers[j].Spool is { } other
                    && string.Equals(System.IO.Path.GetFullPath(spool.Directory), System.IO.Path.GetFullPath(other.Directory), StringComparison.Ordinal))
                    throw new ArgumentException($"Writers[{i}].Spool uses the same folder as Writers[{j}].Spool ({spool.Directory}): each writer needs its own.", $"Writers[{i}].Spool.Directory");
        }
        return new PipelineSettings { BufferSize = buffer, WarningThreshold = warning, DropThreshold = drop, Strategy = Backpressure.DropStrategy };
    }
}
