using System;

namespace Kakashi;

/// <summary>What a logging call does when its thread's ring is (nearly) full.</summary>
public enum DropStrategy
{
    /// <summary>Wait (spin, then yield, then park) until the drain frees space: nothing is lost; blocked time is measured.</summary>
    Block,
    /// <summary>Discard the new record (counted).</summary>
    DropNewest,
    /// <summary>Discard the oldest records not yet written to make room (counted); the caller waits only for the drain to skip them.</summary>
    DropOldest,
    /// <summary>
    /// Above <see cref="BackpressureConfig.DropThreshold"/> shed the lowest levels first (Trace, then Debug, Information,
    /// Warning as the ring fills); Error and Critical are never dropped while a lower-level record in the ring can be
    /// dropped instead; when only Error/Critical records are left, the caller blocks.
    /// </summary>
    Priority,
}

/// <summary>The callers' side of backpressure: thresholds on each thread's ring and the strategy applied above them.</summary>
public sealed class BackpressureConfig
{
    /// <summary>Ring bytes per thread. Null (default) takes <see cref="AsyncPipelineConfig.BufferSize"/>; if both are set they must agree.</summary>
    public int? BufferSize { get; set; }

    /// <summary>Fill (bytes) above which a "Buffer X/Y (approaching limit)" warning record is written (at most once per second). Default 80 % of the buffer.</summary>
    public int? WarningThreshold { get; set; }

    /// <summary>Fill (bytes) above which the strategy starts dropping. Default: the whole buffer (drop only when full); ignored by Block.</summary>
    public int? DropThreshold { get; set; }

    /// <summary>The strategy. Default <see cref="DropStrategy.Block"/>.</summary>
    public DropStrategy DropStrategy { get; set; } = DropStrategy.Block;

    internal (int Buffer, int Warning, int Drop) Resolve(int pipelineBufferSize, bool pipelineBufferSizeSet)
    {
        int buffer = BufferSize ?? pipelineBufferSize;
        if (BufferSize is { } own && pipelineBufferSizeSet && own != pipelineBufferSize)
            throw Conflict("Backpressure.BufferSize", $"Backpressure.BufferSize ({own}) differs from BufferSize ({pipelineBufferSize}): set one of them.");
        if (buffer < AsyncPipelineConfig.MinBufferSize || buffer > AsyncPipelineConfig.MaxBufferSize || (buffer & (buffer - 1)) != 0)
            throw OutOfRange("Backpressure.BufferSize", buffer, $"BufferSize must be a power of two from {AsyncPipelineConfig.MinBufferSize} to {AsyncPipelineConfig.MaxBufferSize} bytes.");
        int drop = DropThreshold ?? buffer;
        int warning = WarningThreshold ?? (int)(buffer * 0.8);
        if (drop < buffer / 8 || drop > buffer)
            throw OutOfRange("Backpressure.DropThreshold", drop, $"DropThreshold must be from {buffer / 8} (1/8 of the buffer) to {buffer} bytes (the buffer size).");
        if (warning < 1 || warning > buffer)
            throw OutOfRange("Backpressure.WarningThreshold", warning, $"WarningThreshold must be from 1 to {buffer} bytes (the buffer size).");
        if (DropStrategy != DropStrategy.Block && warning >= drop && WarningThreshold is not null)
            throw OutOfRange("Backpressure.WarningThreshold", warning, $"WarningThreshold ({warning}) must be below DropThreshold ({drop}).");
        if (!Enum.IsDefined(DropStrategy))
            throw OutOfRange("Backpressure.DropStrategy", DropStrategy, "Unknown DropStrategy.");
        return (buffer, warning, drop);
    }

    // the exceptions name the property as the user wrote it ("Backpressure.DropThreshold")
    private static ArgumentOutOfRangeException OutOfRange(string property, object value, string message) => new(property, value, message);

    private static ArgumentException Conflict(string property, string message) => new(message, property);
}
