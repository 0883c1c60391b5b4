using System;
using System.Collections.Generic;
using System.Diagnostics.Metrics;
using System.Threading;

namespace Kakashi;

/// <summary>
/// Publishes every live pipeline's <see cref="AsyncMetrics"/> through the <c>System.Diagnostics.Metrics</c> meter named
/// <c>Kakashi</c> (observable counters and gauges, tagged with the pipeline's name and, per writer, the writer's name), so
/// <c>dotnet-counters monitor --counters Kakashi</c> and OpenTelemetry see them.
/// </summary>
public static class KakashiMeter
{
    /// <summary>The meter's name.</summary>
    public const string Name = "Kakashi";

    private static readonly Lock s_lock = new();
    private static readonly List<AsyncPipeline> s_pipelines = new();
    private static readonly Meter s_meter = new(Name, typeof(KakashiMeter).Assembly.GetName().Version?.ToString());

    static KakashiMeter()
    {
        Counter("kakashi.logs.accepted", "{record}", "Logging calls that passed the level check while the pipeline accepted records", m => m.LogsAccepted);
        Counter("kakashi.logs.processed", "{record}", "Records formatted and handed to the writers", m => m.LogsProcessed);
        Counter("kakashi.logs.dropped", "{record}", "Records lost to the callers' backpressure strategy", m => m.LogsDropped);
        Counter("kakashi.logs.filtered", "{record}", "Records rejected by the pipeline's filters", m => m.LogsFiltered);
        Counter("kakashi.logs.rejected", "{record}", "Logging calls after shutdown began", m => m.LogsRejected);
        Counter("kakashi.logs.truncated", "{record}", "Records whose strings were cut to fit the ring", m => m.LogsTruncated);
        Counter("kakashi.flush.count", "{flush}", "Flushes the writers reported", m => m.FlushCount);
        Counter("kakashi.producer.waits", "{wait}", "Logging calls that waited for ring space", m => m.ProducerWaits);
        s_meter.CreateObservableCounter("kakashi.producer.blocked_time", () => Measure(m => m.BlockedTime.TotalSeconds), "s", "Time logging calls spent waiting for ring space");
        s_meter.CreateObservableGauge("kakashi.buffer.size", () => Measure(m => m.BufferSize), "By", "Bytes held in the rings");
        s_meter.CreateObservableGauge("kakashi.buffer.capacity", () => Measure(m => m.BufferCapacity), "By", "Total ring capacity");
        s_meter.CreateObservableGauge("kakashi.flush.duration", () => Measure(m => m.AverageFlushTime.TotalMilliseconds), "ms", "Mean duration of a flush");
        WriterCounter("kakashi.writer.written", "Records a writer wrote", w => w.Written);
        WriterCounter("kakashi.writer.failed", "Records in batches a writer failed to write after every retry", w => w.Failed);
        WriterCounter("kakashi.writer.dropped", "Records a writer lost to backpressure", w => w.Dropped);
        WriterCounter("kakashi.writer.retries", "Retries a writer made", w => w.Retries);
        s_meter.CreateObservableGauge("kakashi.writer.queue", () => MeasureWriters(w => w.Queued), "{record}", "Records waiting in a writer's stage");
        s_meter.CreateObservableGauge("kakashi.writer.spooled", () => MeasureWriters(w => w.Spooled), "{record}", "Records waiting in a writer's disk spool for its destination");
        s_meter.CreateObservableGauge("kakashi.writer.spool.size", () => MeasureWriters(w => w.SpoolBytes), "By", "Bytes in a writer's disk spool not yet replayed");
        WriterCounter("kakashi.writer.spool.replayed", "Records an earlier process spooled that this one delivered", w => w.SpoolReplayed);
        s_meter.CreateObservableGauge("kakashi.writer.breaker", () => MeasureWriters(w => (long)w.BreakerState), null, "Circuit state: 0 closed, 1 open, 2 half-open, 3 hung");
    }

    internal static void Register(AsyncPipeline pipeline)
    {
        lock (s_lock) s_pipelines.Add(pipeline);
    }

    internal static void Unregister(AsyncPipeline pipeline)
    {
        lock (s_lock) s_pipelines.Remove(pipeline);
    }

    private static void Counter(string name, string unit, string description, Func<AsyncMetrics, long> value)
        => s_meter.CreateObservableCounter(name, () => Measure(value), unit, description);

    private static void WriterCounter(string name, string description, Func<WriterMetrics, long> value)
        => s_meter.CreateObservableCounter(name, () => MeasureWriters(value), "{record}", description);

    private static AsyncPipeline[] Live()
    {
        lock (s_lock) return s_pipelines.ToArray();
    }

    private static IEnumerable<Measurement<T>> Measure<T>(Func<AsyncMetrics, T> value) where T : struct
    {
        foreach (var pipeline in Live())
            yield return new Measurement<T>(value(pipeline.GetMetrics()), new KeyValuePair<string, object?>("pipeline", pipeline.Name));
    }

    private static IEnumerable<Measurement<long>> MeasureWriters(Func<WriterMetrics, long> value)
    {
        foreach (var pipeline in Live())
        {
            foreach (var writer in pipeline.GetMetrics().Writers)
                yield return new Measurement<long>(value(writer), new KeyValuePair<string, object?>("pipeline", pipeline.Name), new KeyValuePair<string, object?>("writer", writer.Name));
        }
    }
}
