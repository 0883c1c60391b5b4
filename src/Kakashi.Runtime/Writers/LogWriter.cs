using Microsoft.Extensions.Logging;
using System;
using System.Threading;
using System.Threading.Tasks;

namespace Kakashi;

/// <summary>
/// A destination for formatted records. Each writer runs behind its own bounded stage, at its own pace: the drain
/// formats records once into shared batches (<see cref="LogBatch"/>) and queues them to every writer; the writer's loop
/// calls <see cref="WriteAsync"/> with retries, a timeout and a circuit breaker, so a slow, failing or hung writer affects
/// only itself (within its <see cref="Backpressure"/> policy). Members are called from that loop only, one at a time.
/// </summary>
public abstract class LogWriter : IAsyncDisposable
{
    /// <summary>Longest accepted <see cref="WriteTimeout"/> (1 hour).</summary>
    public static readonly TimeSpan MaxWriteTimeout = Limits.MaxInterval;

    /// <summary>A name for metrics and error reports.</summary>
    public virtual string Name => GetType().Name;

    /// <summary>
    /// How records become bytes for this writer; null (default) takes the pipeline's <see cref="AsyncPipelineConfig.Formatter"/>.
    /// Each record is formatted once per distinct formatter instance: writers given the same instance share its bytes.
    /// </summary>
    public LogFormatter? Formatter { get; init; }

    /// <summary>
    /// The lowest level this writer receives (a console for Warning and above next to a file for everything). Records below
    /// it are not formatted for this writer and count as filtered in its metrics. Default <see cref="LogLevel.Trace"/>: every
    /// record the pipeline accepts. Writers with the same formatter and the same minimum level share their bytes.
    /// </summary>
    public LogLevel MinLevel { get; init; } = LogLevel.Trace;

    /// <summary>
    /// Bytes this writer's stage may hold before <see cref="Backpressure"/> applies; null takes
    /// <see cref="AsyncPipelineConfig.BackpressureLimit"/>.
    /// </summary>
    public long? QueueLimit { get; init; }

    /// <summary>
    /// What happens when this writer's stage is full. Default <see cref="DropStrategy.DropOldest"/> (this writer loses its
    /// oldest queued batches, counted, and never slows the callers or the other writers); the file writer, the local ground
    /// truth, defaults to <see cref="DropStrategy.Block"/> (the drain waits, and so do the callers once their rings fill;
    /// nothing is lost while the file can be written). Whatever the policy, while the writer is failing (a write failed and
    /// is being retried, its circuit is open) or hung (a write ran past <see cref="WriteTimeout"/>), its full stage drops the
    /// newest batch instead of blocking anyone.
    /// </summary>
    public DropStrategy Backpressure { get; init; } = DropStrategy.DropOldest;

    /// <summary>
    /// A folder where batches wait while the destination is down (a write failed after every retry, the circuit is open, or
    /// the pipeline shuts down while the writer is failing), replayed in order once it takes writes again — in this process
    /// or the next one that opens the folder. Turns "retry" into "loses nothing" within <see cref="DiskSpool.MaxBytes"/>.
    /// Null (default): such batches count as failed or dropped. See <see cref="DiskSpool"/>.
    /// </summary>
    public DiskSpool? Spool { get; init; }

    /// <summary>Retries of a failed write. Default: 3 retries, exponential backoff from 100 ms to 5 s with jitter.</summary>
    public RetryOptions Retry { get; init; } = new();

    /// <summary>The circuit breaker. Default: open after 10 failed attempts in a row, for 60 s, then one probe batch.</summary>
    public CircuitBreakerOptions CircuitBreaker { get; init; } = new();

    /// <summary>
    /// A write (or flush) attempt taking longer is cancelled and counts as failed; one that ignores cancellation marks the
    /// writer hung: from then on its stage never blocks the drain or the callers, and flushes do not wait for it, until the
    /// write returns. Default 5 s; from 1 ms to <see cref="MaxWriteTimeout"/>.
    /// </summary>
    public TimeSpan WriteTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// The stage's handle, set by <see cref="Open"/>: the pipeline's defaults, and the calls through which a writer that
    /// confirms delivery itself (<see cref="ConfirmsDelivery"/>) reports written and failed records.
    /// </summary>
    protected internal WriterContext? Context { get; internal set; }

    /// <summary>
    /// False (default): the records of a batch count as written when <see cref="WriteAsync"/> returns, and as failed when it
    /// throws after every retry. True: returning from <see cref="WriteAsync"/> means the writer took the batch, and each of
    /// its records counts as written or failed only when the writer says so through <see cref="WriterContext.Delivered"/> and
    /// <see cref="WriterContext.Failed"/>, in order, one record or a whole batch at a time (a buffering file writer, a broker's
    /// delivery reports, a RELP server's acknowledgements); throwing means it did not take the batch. To send later it keeps
    /// the batch with <see cref="LogBatch.Retain"/>. A flush (<see cref="AsyncPipeline.FlushAllAsync"/>) completes for this
    /// writer once every record it took before the flush is confirmed or failed, or as soon as the writer is failing
    /// (<see cref="WriterContext.ReportError"/>, a failed write), hung or closed: what it still holds stays in
    /// <see cref="WriterMetrics.Queued"/>. The caller's cancellation token bounds the wait. A writer that settles a prefix of
    /// the batch inside <see cref="WriteAsync"/> and then throws took only that prefix: a retry calls it again with the same
    /// batch (the same <see cref="LogBatch.Id"/>), and it resumes after the records it settled. <see cref="WriterContext.Failed"/>
    /// with an error reports a rejected record without marking the writer failing. Records still unconfirmed when the writer is disposed count as failed
    /// and are reported as lost.
    /// </summary>
    protected internal virtual bool ConfirmsDelivery => false;

    /// <summary>
    /// Null (default): the stage writes each batch as the drain handed it over (about every millisecond under load). A writer
    /// that sends requests (HTTP, OTLP) returns limits here, and its stage gathers queued batches into one batch of at most
    /// <see cref="BatchingOptions.MaxRecords"/> records and <see cref="BatchingOptions.MaxBytes"/> bytes, waiting up to
    /// <see cref="BatchingOptions.MaxDelay"/> after the first record for more: a quiet application sends one request per
    /// interval, a busy one full requests. A flush, a shutdown or a change between application and pipeline records ends the
    /// gathering early. Read once, when the stage is built.
    /// </summary>
    protected internal virtual BatchingOptions? Batching => null;

    /// <summary>
    /// Checks the writer's own options; called at setup before anything is opened. Throw <see cref="ArgumentException"/>
    /// (or <see cref="ArgumentOutOfRangeException"/>) whose parameter name is <paramref name="property"/> + "." + the option.
    /// </summary>
    protected internal virtual void Validate(string property)
    {
    }

    /// <summary>Opens the destination. Called when the pipeline is built: configuration and I/O errors surface here, at setup.</summary>
    protected internal abstract void Open(WriterContext context);

    /// <summary>Writes one batch of whole formatted records. Throw to fail it (it is retried per <see cref="Retry"/>).</summary>
    protected internal abstract ValueTask WriteAsync(LogBatch batch, CancellationToken cancellationToken);

    /// <summary>Makes everything written so far durable at the destination (and on disk, per the writer's policy).</summary>
    protected internal abstract ValueTask FlushAsync(CancellationToken cancellationToken);

    /// <summary>Called about every 100 ms while the writer has nothing to write: time-based flushing goes here.</summary>
    protected internal virtual ValueTask OnIdleAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;

    /// <summary>Flushes and releases the destination.</summary>
    public abstract ValueTask DisposeAsync();

    internal void ValidateStage(string property)
    {
        if (QueueLimit < Kakashi.Shared.ConfigurationLimits.MinQueueLimit)
            throw new ArgumentOutOfRangeException(property + "." + nameof(QueueLimit), QueueLimit, $"QueueLimit must be at least {Kakashi.Shared.ConfigurationLimits.MinQueueLimit / 1024} KiB.");
        if (Backpressure is not (DropStrategy.Block or DropStrategy.DropNewest or DropStrategy.DropOldest))
            throw new ArgumentOutOfRangeException(property + "." + nameof(Backpressure), Backpressure, "A writer's Backpressure must be Block, DropNewest or DropOldest (Priority applies to the callers' rings, not to formatted batches).");
        Limits.CheckDuration(property + "." + nameof(WriteTimeout), WriteTimeout, Limits.MinInterval, MaxWriteTimeout);
        ArgumentNullException.ThrowIfNull(Retry, property + "." + nameof(Retry));
        ArgumentNullException.ThrowIfNull(CircuitBreaker, property + "." + nameof(CircuitBreaker));
        Retry.Validate(property + "." + nameof(Retry));
        CircuitBreaker.Validate(property + "." + nameof(CircuitBreaker));
        Spool?.Validate(property + "." + nameof(Spool));
        if (Batching is { } batching)
        {
            if (batching.MaxRecords < 1) throw new ArgumentOutOfRangeException(property + ".BatchSize", batching.MaxRecords, $"{property}.BatchSize must be at least 1.");
            if (batching.MaxBytes < 1024) throw new ArgumentOutOfRangeException(property + ".BatchBytes", batching.MaxBytes, $"{property}.BatchBytes must be at least 1 KiB.");
            Limits.CheckDuration(property + ".FlushInterval", batching.MaxDelay, TimeSpan.Zero, Limits.MaxInterval);
        }
        if (MinLevel < LogLevel.Trace || MinLevel > LogLevel.None)
            throw new ArgumentOutOfRangeException(property + "." + nameof(MinLevel), MinLevel, $"{property}.{nameof(MinLevel)} must be a LogLevel from Trace to None.");
        Validate(property);
    }
}

/// <summary>How a writer's stage gathers batches into requests (<see cref="LogWriter.Batching"/>).</summary>
/// <param name="MaxRecords">Most records in one gathered batch (a single drain batch larger than this is written whole).</param>
/// <param name="MaxBytes">Most formatted bytes in one gathered batch (likewise).</param>
/// <param name="MaxDelay">Longest a record waits for others to join it.</param>
public sealed record BatchingOptions(int MaxRecords, int MaxBytes, TimeSpan MaxDelay);

/// <summary>Retries of a failed write: exponential backoff with jitter.</summary>
public sealed class RetryOptions
{
    /// <summary>Retries after the first attempt (0 disables retrying). Default 3.</summary>
    public int MaxRetries { get; init; } = 3;

    /// <summary>Delay before the first retry. Default 100 ms.</summary>
    public TimeSpan InitialDelay { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Longest delay between retries. Default 5 s.</summary>
    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Randomise delays (decorrelated jitter) so writers that failed together do not retry together. Default true.</summary>
    public bool Jitter { get; init; } = true;

    /// <summary>
    /// Longest wait a destination may ask for (<see cref="LogWriteException.RetryAfter"/>, HTTP <c>Retry-After</c>); a longer
    /// request waits this long. Default 60 s.
    /// </summary>
    public TimeSpan MaxRetryAfter { get; init; } = TimeSpan.FromSeconds(60);

    internal void Validate(string property)
    {
        if (MaxRetries < 0 || MaxRetries > Kakashi.Shared.ConfigurationLimits.MaxRetries) throw new ArgumentOutOfRangeException(property + "." + nameof(MaxRetries), MaxRetries, $"MaxRetries must be from 0 to {Kakashi.Shared.ConfigurationLimits.MaxRetries}.");
        Limits.CheckDuration(property + "." + nameof(InitialDelay), InitialDelay, TimeSpan.Zero, Limits.MaxInterval);
        Limits.CheckDuration(property + "." + nameof(MaxDelay), MaxDelay, InitialDelay, Limits.MaxInterval, "InitialDelay");
        Limits.CheckDuration(property + "." + nameof(MaxRetryAfter), MaxRetryAfter, TimeSpan.Zero, Limits.MaxInterval);
    }
}

/// <summary>The writer's circuit breaker.</summary>
public sealed class CircuitBreakerOptions
{
    /// <summary>Failed attempts in a row (with no success within <see cref="SamplingWindow"/>) that open the circuit. Default 10.</summary>
    public int FailureThreshold { get; init; } = 10;

    /// <summary>How long the circuit stays open before one probe batch decides (half-open). Default 60 s.</summary>
    public TimeSpan BreakDuration { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>The window failures are counted in. Default 30 s.</summary>
    public TimeSpan SamplingWindow { get; init; } = TimeSpan.FromSeconds(30);

    internal void Validate(string property)
    {
        if (FailureThreshold < Kakashi.Shared.ConfigurationLimits.MinFailureThreshold || FailureThreshold > Kakashi.Shared.ConfigurationLimits.MaxFailureThreshold)
            throw new ArgumentOutOfRangeException(property + "." + nameof(FailureThreshold), FailureThreshold, $"FailureThreshold must be from {Kakashi.Shared.ConfigurationLimits.MinFailureThreshold} to {Kakashi.Shared.ConfigurationLimits.MaxFailureThreshold}.");
        Limits.CheckDuration(property + "." + nameof(BreakDuration), BreakDuration, Limits.MinBreakDuration, Limits.MaxBreakDuration);
        Limits.CheckDuration(property + "." + nameof(SamplingWindow), SamplingWindow, Limits.MinBreakDuration, Limits.MaxBreakDuration);
    }
}

/// <summary>State of a writer's circuit breaker.</summary>
public enum BreakerState
{
    /// <summary>Writes go through.</summary>
    Closed,
    /// <summary>Too many failures: writes fail at once until the break is over.</summary>
    Open,
    /// <summary>The break is over: the next write is a trial that closes or opens the circuit again.</summary>
    HalfOpen,
    /// <summary>A write has run longer than <see cref="LogWriter.WriteTimeout"/> and ignored cancellation.</summary>
    Hung,
}
