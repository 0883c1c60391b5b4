using System;
using System.Collections.Generic;
using System.Diagnostics.Metrics;
using System.Threading;
using Microsoft.Extensions.Logging;

namespace Kakashi;

/// <summary>
/// A record observer (<see cref="AsyncPipelineConfig.Observers"/>): counts the records the pipeline processes, per level and
/// event id, into the <c>kakashi.records</c> counter of the <c>Kakashi</c> meter (tags <c>level</c>, <c>event.id</c>,
/// <c>category</c>). Counting happens on the drain, after filters, before formatting.
/// </summary>
public sealed class AsyncMetricsWriter : IRecordObserver
{
    private static readonly Meter s_meter = new(KakashiMeter.Name);
    private static readonly string[] s_levels = ["Trace", "Debug", "Information", "Warning", "Error", "Critical", "None"];
    private readonly Counter<long> _records = s_meter.CreateCounter<long>("kakashi.records", "{record}", "Records processed, by level, event id and category");
    private readonly Dictionary<int, object> _eventIds = new();
    private readonly long[] _byLevel = new long[7];

    /// <summary>The observer's name in reports.</summary>
    public static string Name => "metrics";

    /// <summary>Records counted per level (index = LogLevel).</summary>
    public long Count(LogLevel level) => Volatile.Read(ref _byLevel[Math.Clamp((int)level, 0, 6)]);

    void IRecordObserver.Observe(in LogRecord record)
    {
        int level = Math.Clamp((int)record.Level, 0, 6);
        _byLevel[level]++;
        if (!_records.Enabled) return;
        if (!_eventIds.TryGetValue(record.EventId, out var id)) _eventIds[record.EventId] = id = record.EventId; // boxed once per event id
        _records.Add(1, new("level", s_levels[level]), new("event.id", id), new("category", record.Category));
    }

}

/// <summary>Sees every record the drain formats, after filters and enrichers, before the formatters (<see cref="AsyncPipelineConfig.Observers"/>). Called on the drain thread: keep it cheap.</summary>
public interface IRecordObserver
{
    /// <summary>Sees <paramref name="record"/>; called on the drain thread, once per record.</summary>
    void Observe(in LogRecord record);
}
