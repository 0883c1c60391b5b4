using System;
using System.Diagnostics;
using System.Threading;

namespace Kakashi.Pipeline;

/// <summary>Builds an <see cref="AsyncMetrics"/> snapshot from the rings, the stages and the formatter outputs (any thread; racy reads of consumer-owned counters).</summary>
internal static class MetricsCollector
{
    public static AsyncMetrics Collect(RingSet rings, WriterStage[] stages, FormatterOutput[] outputs, bool finished,
        long processed, long filtered, long truncated, long formatErrors, long rejected, long loggingErrors)
    {
        var buffers = rings.Buffers;
        var totals = rings.Retired.Snapshot();
        long fill = 0, capacity = 0, pending = 0;
        foreach (var b in buffers)
        {
            totals.Add(b);
            fill += b.Fill;
            capacity += b.Capacity;
            pending += b.Pending;
        }
        var byLevel = new long[7];
        for (int i = 0; i < 7; i++) byLevel[i] = totals.DroppedByLevel[i] + rings.DiscardedAt(i);
        long discarded = rings.Discarded;
        var writers = new WriterMetrics[stages.Length];
        long flushes = 0;
        TimeSpan flushTime = TimeSpan.Zero;
        DateTimeOffset? lastFlush = null;
        for (int i = 0; i < stages.Length; i++)
        {
            var w = writers[i] = stages[i].GetMetrics();
            flushes += w.Flushes;
            flushTime += w.FlushTime;
            if (w.LastFlush is { } last && (lastFlush is null || last > lastFlush)) lastFlush = last;
        }
        var formatters = new FormatterMetrics[outputs.Length];
        for (int i = 0; i < outputs.Length; i++)
        {
            var o = outputs[i];
            var names = new string[o.Stages.Length];
            for (int k = 0; k < names.Length; k++) names[k] = o.Stages[k].Writer.Name;
            formatters[i] = new FormatterMetrics { Name = o.Formatter.GetType().Name, Writers = names, Formatted = Volatile.Read(ref o.Formatted), Failed = Volatile.Read(ref o.Failed) };
        }
        return new AsyncMetrics
        {
            LogsAccepted = totals.Accepted + totals.Dropped,
            LogsProcessed = processed - filtered, // filtered records were read, not formatted
            LogsDropped = totals.Dropped + discarded,
            DroppedAtCaller = totals.Dropped,
            DroppedInRing = discarded,
            DroppedByLevel = byLevel,
            LogsRejected = rejected,
            LoggingErrors = loggingErrors,
            LogsTruncated = truncated,
            ProducerWaits = totals.Waits,
            BlockedTime = Stopwatch.GetElapsedTime(0, totals.BlockedTicks),
            BufferSize = fill,
            BufferCapacity = capacity,
            ThreadBuffers = buffers.Length,
            FlushCount = flushes,
            AverageFlushTime = flushes == 0 ? TimeSpan.Zero : flushTime / flushes,
            LastFlushTime = lastFlush,
            FormatErrors = formatErrors,
            LogsQueued = finished ? 0 : pending,
            LogsLost = finished ? pending : 0,
            LogsFiltered = filtered,
            Writers = writers,
            Formatters = formatters,
        };
    }
}
