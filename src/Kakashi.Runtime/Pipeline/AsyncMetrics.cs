using System;

namespace Kakashi;

/// <summary>A snapshot of an <see cref="AsyncPipeline"/>'s counters (<see cref="AsyncPipeline.GetMetrics"/>).</summary>
public sealed class AsyncMetrics
{
    /// <summary>Logging calls that passed the level check while the pipeline accepted records (written to a ring, or dropped by the strategy).</summary>
    public long LogsAccepted { get; init; }

    /// <summary>Records formatted and handed to the writers.</summary>
    public long LogsProcessed { get; init; }

    /// <summary>Records lost to the callers' backpressure strategy: <see cref="DroppedAtCaller"/> + <see cref="DroppedInRing"/>.</summary>
    public long LogsDropped { get; init; }

    /// <summary>Records the strategy dropped on the calling thread (drop-newest, priority shedding).</summary>
    public long DroppedAtCaller { get; init; }

    /// <summary>Records the drain skipped in a ring at the caller's request (drop-oldest, priority making room for errors).</summary>
    public long DroppedInRing { get; init; }

    /// <summary>Drops by <see cref="Microsoft.Extensions.Logging.LogLevel"/> (index = level).</summary>
    public System.Collections.Generic.IReadOnlyList<long> DroppedByLevel { get; init; } = new long[7];

    /// <summary>Total time callers spent waiting for space (Block, and Priority for Error/Critical).</summary>
    public TimeSpan BlockedTime { get; init; }

    /// <summary>When the first file writer last flushed, if it has.</summary>
    public DateTimeOffset? LastFlushTime { get; init; }

    /// <summary>Each writer's counters, in configuration order.</summary>
    public System.Collections.Generic.IReadOnlyList<WriterMetrics> Writers { get; init; } = [];

    /// <summary>Records the drain-side filters rejected (rate limits, sampling, custom filters).</summary>
    public long LogsFiltered { get; init; }

    /// <summary>Logging calls made after shutdown began (ignored, never thrown).</summary>
    public long LogsRejected { get; init; }

    /// <summary>Logging calls that threw while capturing arguments (a user ToString, say): skipped and reported on stderr.</summary>
    public long LoggingErrors { get; init; }

    /// <summary>Records whose strings were cut because the record was larger than half a buffer.</summary>
    public long LogsTruncated { get; init; }

    /// <summary>Times a producer found its buffer full and waited for the drain.</summary>
    public long ProducerWaits { get; init; }

    /// <summary>Bytes currently held in ring buffers.</summary>
    public long BufferSize { get; init; }

    /// <summary>Total ring capacity (all thread buffers).</summary>
    public long BufferCapacity { get; init; }

    /// <summary>Thread buffers currently registered.</summary>
    public int ThreadBuffers { get; init; }

    /// <summary>Flushes the writers reported (<see cref="WriterContext.Flushed"/>): the sum of their <see cref="WriterMetrics.Flushes"/>.</summary>
    public long FlushCount { get; init; }

    /// <summary>Each distinct formatter: the records it formatted and failed on (a formatter shared by several writers formats each record once).</summary>
    public System.Collections.Generic.IReadOnlyList<FormatterMetrics> Formatters { get; init; } = [];

    /// <summary>
    /// Values that could not be formatted (written as a <c>{Name format failed: Reason}</c> marker in their record) plus records
    /// a formatter failed outside any value (taken back whole, counted in each writer's <see cref="WriterMetrics.Failed"/>);
    /// each is reported on stderr.
    /// </summary>
    public long FormatErrors { get; init; }

    /// <summary>Records accepted into the rings and not yet read by the drain (0 once the pipeline has shut down).</summary>
    public long LogsQueued { get; init; }

    /// <summary>
    /// Records accepted that will never be written because the pipeline shut down first: published by a thread that was
    /// inside a logging call for longer than <see cref="AsyncPipelineConfig.ShutdownTimeout"/> after shutdown began. With
    /// <see cref="LogsQueued"/>: <c>LogsAccepted = LogsProcessed + LogsFiltered + LogsDropped + LogsQueued + LogsLost</c> (records a formatter failed on are in <see cref="LogsProcessed"/>).
    /// </summary>
    public long LogsLost { get; init; }

    /// <summary>Mean duration of a flush.</summary>
    public TimeSpan AverageFlushTime { get; init; }
}

/// <summary>
/// One writer's counters, in the application's records. Every snapshot balances:
/// <c>Received = Written + Dropped + Filtered + Failed + Queued</c> (a record being written, or awaiting the writer's
/// confirmation, is in <see cref="Queued"/>); at quiescent points (after <see cref="AsyncPipeline.FlushAllAsync"/>, at
/// shutdown) <c>Received</c> also equals the pipeline's <see cref="AsyncMetrics.LogsAccepted"/>.
/// </summary>
public sealed class WriterMetrics
{
    /// <summary>The writer's name (<see cref="LogWriter.Name"/>).</summary>
    public string Name { get; init; } = "";

    /// <summary>Records that reached this writer's stage, plus records dropped or filtered before it (so the books balance per writer).</summary>
    public long Received { get; init; }

    /// <summary>Records the writer wrote successfully.</summary>
    public long Written { get; init; }

    /// <summary>Records dropped by backpressure (callers' rings, this stage's policy, an open circuit).</summary>
    public long Dropped { get; init; }

    /// <summary>Records the pipeline's filters rejected.</summary>
    public long Filtered { get; init; }

    /// <summary>Records in batches whose write failed after every retry, that the writer reported lost, or that could not be formatted.</summary>
    public long Failed { get; init; }

    /// <summary>Retries made.</summary>
    public long Retries { get; init; }

    /// <summary>Records in the stage: waiting, being written, or taken by the writer and not yet confirmed (<see cref="InFlight"/>).</summary>
    public long Queued { get; init; }

    /// <summary>
    /// The part of <see cref="Queued"/> held in the writer's <see cref="LogWriter.Spool"/> (records of this run waiting on disk
    /// for the destination to come back; still there at shutdown, the next run replays them).
    /// </summary>
    public long Spooled { get; init; }

    /// <summary>Bytes in the spool not yet replayed (this run's and earlier runs' entries).</summary>
    public long SpoolBytes { get; init; }

    /// <summary>Records an earlier run left in the spool that this run delivered (not in this run's books).</summary>
    public long SpoolReplayed { get; init; }

    /// <summary>Records an earlier run left in the spool that this run could not deliver: the destination refused them for good, or the full spool deleted them.</summary>
    public long SpoolEarlierLost { get; init; }

    /// <summary>This run's records the spool could not hold (it was full, or the disk failed): part of <see cref="Dropped"/>.</summary>
    public long SpoolDropped { get; init; }

    /// <summary>Bytes of corrupted or torn spool entries skipped (their records are lost; each skip is reported).</summary>
    public long SpoolLostBytes { get; init; }

    /// <summary>The part of <see cref="Queued"/> the writer has: the batch being written, and records it took and has not confirmed.</summary>
    public long InFlight { get; init; }

    /// <summary>Memory held by the queued batches (their buffers), which is what <see cref="QueueLimit"/> bounds.</summary>
    public long QueueBytes { get; init; }

    /// <summary>The most memory the writer's queued batches may hold (<see cref="LogWriter.QueueLimit"/>).</summary>
    public long QueueLimit { get; init; }

    /// <summary>The state of the writer's circuit breaker.</summary>
    public BreakerState BreakerState { get; init; }

    /// <summary>The pipeline's own records (drop reports, buffer warnings, other writers' failures) this writer received; not in the books above.</summary>
    public long InternalReceived { get; init; }

    /// <summary>The pipeline's own records this writer wrote.</summary>
    public long InternalWritten { get; init; }

    /// <summary>Flushes the writer reported (write-outs, requests, fsyncs: what it calls a flush).</summary>
    public long Flushes { get; init; }

    /// <summary>Time spent in those flushes.</summary>
    public TimeSpan FlushTime { get; init; }

    /// <summary>When the writer last reported a flush.</summary>
    public DateTimeOffset? LastFlush { get; init; }
}

/// <summary>One distinct formatter instance's counters.</summary>
public sealed class FormatterMetrics
{
    /// <summary>The formatter's type name.</summary>
    public string Name { get; init; } = "";

    /// <summary>The writers it formats for (their <see cref="LogWriter.Name"/>s).</summary>
    public System.Collections.Generic.IReadOnlyList<string> Writers { get; init; } = [];

    /// <summary>Records (application and the pipeline's own) it formatted.</summary>
    public long Formatted { get; init; }

    /// <summary>Records it threw on (taken back whole; counted failed in its writers' books).</summary>
    public long Failed { get; init; }
}
