using System;
using System.Threading;
using System.Threading.Tasks;

namespace Kakashi;

/// <summary>
/// A destination for formatted records. Each writer runs behind its own bounded stage, at its own pace: the drain
/// formats records once into shared batches and queues them to every writer; the writer's loop calls
/// <see cref="WriteAsync"/> with retries and a circuit breaker, so a slow, failing or hung writer affects only itself
/// (within its <see cref="Backpressure"/> policy). Members are called from that loop only, one at a time.
/// </summary>
public abstract class LogWriter : IAsyncDisposable
{
    /// <summary>A name for metrics and error reports.</summary>
    public virtual string Name => GetType().Name;

    /// <summary>
    /// Bytes this writer's stage may hold before <see cref="Backpressure"/> applies; null takes
    /// <see cref="AsyncPipelineConfig.BackpressureLimit"/>.
    /// </summary>
    public long? QueueLimit { get; init; }

    /// <summary>
    /// What happens when this writer's stage is full: <see cref="DropStrategy.Block"/> (default: the drain waits, and so do the
    /// callers once their rings fill; nothing is lost), <see cref="DropStrategy.DropNewest"/> or <see cref="DropStrategy.DropOldest"/>
    /// (this writer loses the batch, counted; the others are not slowed). While the writer's circuit is open or a write is hung,
    /// the stage buffers up to its limit and then drops, whatever the policy.
    /// </summary>
    public DropStrategy Backpressure { get; init; } = DropStrategy.Block;

    /// <summary>Retries of a failed write. Default: 3 retries, exponential backoff from 100 ms to 5 s with jitter.</summary>
    public RetryOptions Retry { get; init; } = new();

    /// <summary>The circuit breaker. Default: open after 10 failed attempts in a row, for 60 s, then one probe batch.</summary>
    public CircuitBreakerOptions CircuitBreaker { get; init; } = new();

    /// <summary>A write taking longer is cancelled (if the writer honours cancellation) and counts as failed; one that ignores
    /// cancellation marks the writer hung until it returns. Default 30 s.</summary>
    public TimeSpan WriteTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Opens the destination. Called when the pipeline is built: configuration and I/O errors surface here, at setup.</summary>
    protected internal abstract void Open();

    /// <summary>Writes one batch of whole formatted records. Throw to fail it (it is retried per <see cref="Retry"/>).</summary>
    protected internal abstract ValueTask WriteAsync(ReadOnlyMemory<byte> batch, CancellationToken cancellationToken);

    /// <summary>Makes everything written so far durable at the destination (and on disk, per the writer's policy).</summary>
    protected internal abstract ValueTask FlushAsync(CancellationToken cancellationToken);

    /// <summary>Called about every 100 ms while the writer has nothing to write: time-based flushing goes here.</summary>
    protected internal virtual ValueTask OnIdleAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;

    /// <summary>Flushes and releases the destination.</summary>
    public abstract ValueTask DisposeAsync();

    internal void ValidateStage(string property)
    {
        if (QueueLimit is < 64 * 1024)
            throw new ArgumentOutOfRangeException(property + "." + nameof(QueueLimit), QueueLimit, "QueueLimit must be at least 64 KiB.");
        if (Backpressure is not (DropStrategy.Block or DropStrategy.DropNewest or DropStrategy.DropOldest))
            throw new ArgumentOutOfRangeException(property + "." + nameof(Backpressure), Backpressure, "A writer's Backpressure must be Block, DropNewest or DropOldest (Priority applies to the callers' rings, not to formatted batches).");
        if (WriteTimeout <= TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(property + "." + nameof(WriteTimeout), WriteTimeout, "WriteTimeout must be greater than zero.");
        ArgumentNullException.ThrowIfNull(Retry, property + "." + nameof(Retry));
        ArgumentNullException.ThrowIfNull(CircuitBreaker, property + "." + nameof(CircuitBreaker));
        Retry.Validate(property + "." + nameof(Retry));
        CircuitBreaker.Validate(property + "." + nameof(CircuitBreaker));
    }
}

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

    internal void Validate(string property)
    {
        if (MaxRetries is < 0 or > 100) throw new ArgumentOutOfRangeException(property + "." + nameof(MaxRetries), MaxRetries, "MaxRetries must be from 0 to 100.");
        if (InitialDelay < TimeSpan.Zero) throw new ArgumentOutOfRangeException(property + "." + nameof(InitialDelay), InitialDelay, "InitialDelay must not be negative.");
        if (MaxDelay < InitialDelay) throw new ArgumentOutOfRangeException(property + "." + nameof(MaxDelay), MaxDelay, "MaxDelay must not be below InitialDelay.");
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
        if (FailureThreshold < 2) throw new ArgumentOutOfRangeException(property + "." + nameof(FailureThreshold), FailureThreshold, "FailureThreshold must be at least 2.");
        if (BreakDuration < TimeSpan.FromMilliseconds(500)) throw new ArgumentOutOfRangeException(property + "." + nameof(BreakDuration), BreakDuration, "BreakDuration must be at least 500 ms.");
        if (SamplingWindow < TimeSpan.FromMilliseconds(500)) throw new ArgumentOutOfRangeException(property + "." + nameof(SamplingWindow), SamplingWindow, "SamplingWindow must be at least 500 ms.");
    }
}

/// <summary>State of a writer's circuit breaker.</summary>
public enum BreakerState
{
    Closed,
    Open,
    HalfOpen,
    /// <summary>A write has run longer than <see cref="LogWriter.WriteTimeout"/> and ignored cancellation.</summary>
    Hung,
}
