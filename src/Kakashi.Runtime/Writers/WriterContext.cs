using System;
using Kakashi.Pipeline;

namespace Kakashi;

/// <summary>
/// What a writer gets from its stage when it is opened: the pipeline's defaults, the error channel, and — for a writer
/// that confirms delivery itself (<see cref="LogWriter.ConfirmsDelivery"/>) — the calls that settle its records.
/// Thread-safe.
/// </summary>
public sealed class WriterContext
{
    private readonly WriterStage? _stage;

    internal WriterContext(WriterStage? stage, string property, TimeSpan? flushInterval, TimeProvider time)
    {
        _stage = stage;
        Property = property;
        DefaultFlushInterval = flushInterval;
        TimeProvider = time;
    }

    /// <summary>Where the writer sits in the configuration (<c>Writers[1]</c>): for error messages.</summary>
    public string Property { get; }

    /// <summary>The pipeline's <see cref="AsyncPipelineConfig.FlushInterval"/>, for writers that do not set their own.</summary>
    public TimeSpan? DefaultFlushInterval { get; }

    /// <summary>The pipeline's clock (<see cref="AsyncPipelineConfig.TimeProvider"/>).</summary>
    public TimeProvider TimeProvider { get; }

    /// <summary>The next <paramref name="records"/> records the writer took (oldest first) reached the destination.</summary>
    public void Delivered(int records) => _stage?.Settle(records, delivered: true, null);

    /// <summary>
    /// The next <paramref name="records"/> records the writer took (oldest first) are lost: counted as failed, and
    /// <paramref name="error"/> (if any) is reported like a failed write.
    /// </summary>
    public void Failed(int records, Exception? error) => _stage?.Settle(records, delivered: false, error);

    /// <summary>
    /// Reports a problem that did not fail a write yet (a flush that failed and will be retried): an error record to the other
    /// writers, a line on stderr, and the stage treats the writer as failing (never blocking the callers) until it next delivers.
    /// </summary>
    public void ReportError(Exception error) => _stage?.ReportError(error);

    /// <summary>
    /// The writer made what it wrote durable at its destination (a write-out, a request, an fsync) in <paramref name="duration"/>:
    /// counted in its <see cref="WriterMetrics.Flushes"/> and in the pipeline's <see cref="AsyncMetrics.FlushCount"/>.
    /// </summary>
    public void Flushed(TimeSpan duration) => _stage?.CountFlush(duration);
}
