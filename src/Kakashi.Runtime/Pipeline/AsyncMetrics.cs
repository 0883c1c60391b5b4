using System;

namespace Kakashi;

/// <summary>A snapshot of an <see cref="AsyncPipeline"/>'s counters (<see cref="AsyncPipeline.GetMetrics"/>).</summary>
public sealed class AsyncMetrics
{
    /// <summary>Records accepted into ring buffers by logging calls.</summary>
    public long LogsAccepted { get; init; }

    /// <summary>Records formatted and handed to the writers.</summary>
    public long LogsProcessed { get; init; }

    /// <summary>Records discarded. The core pipeline blocks when full, so this stays 0 until a dropping policy exists.</summary>
    public long LogsDropped { get; init; }

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

    /// <summary>Writer flushes done by the drain.</summary>
    public long FlushCount { get; init; }

    /// <summary>Writer operations that threw (reported on stderr; the pipeline keeps running).</summary>
    public long WriterErrors { get; init; }

    /// <summary>Records formatting failed for (reported on stderr; the record is skipped).</summary>
    public long FormatErrors { get; init; }

    /// <summary>Mean duration of a flush.</summary>
    public TimeSpan AverageFlushTime { get; init; }
}
