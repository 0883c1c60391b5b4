using System;
using System.Threading;
using Microsoft.Extensions.Logging;

namespace Kakashi;

/// <summary>One periodic report of an <see cref="AsyncPipelineMonitor"/>.</summary>
public sealed record PipelineReport(string Pipeline, double RecordsPerSecond, AsyncMetrics Metrics);

/// <summary>
/// Reports a pipeline's state every <c>interval</c>: the rate in records/s since the last report and the counters,
/// written as a <c>kakashi.monitor</c> Information record through the pipeline itself and/or handed to a callback.
/// </summary>
public sealed partial class AsyncPipelineMonitor : IDisposable
{
    private readonly AsyncPipeline _pipeline;
    private readonly Action<PipelineReport>? _onReport;
    private readonly KakashiLogger? _logger;
    private readonly ITimer _timer;
    private readonly TimeProvider _time;
    private long _lastProcessed;
    private long _lastTimestamp;

    /// <param name="pipeline">The pipeline to watch.</param>
    /// <param name="interval">Time between reports (at least 100 ms).</param>
    /// <param name="onReport">Called with each report (on a timer thread).</param>
    /// <param name="writeRecord">Also write each report as a record through the pipeline (default true).</param>
    public AsyncPipelineMonitor(AsyncPipeline pipeline, TimeSpan interval, Action<PipelineReport>? onReport = null, bool writeRecord = true)
    {
        ArgumentNullException.ThrowIfNull(pipeline);
        if (interval < TimeSpan.FromMilliseconds(100)) throw new ArgumentOutOfRangeException(nameof(interval), interval, "interval must be at least 100 ms.");
        _pipeline = pipeline;
        _onReport = onReport;
        _time = pipeline.Config.TimeProvider;
        if (writeRecord) _logger = pipeline.CreateLogger("kakashi.monitor");
        _lastProcessed = pipeline.GetMetrics().LogsProcessed;
        _lastTimestamp = _time.GetTimestamp();
        _timer = _time.CreateTimer(static state => ((AsyncPipelineMonitor)state!).Report(), this, interval, interval);
    }

    /// <summary>Makes a report now (the timer calls this).</summary>
    public PipelineReport Report()
    {
        var metrics = _pipeline.GetMetrics();
        long now = _time.GetTimestamp();
        double seconds = _time.GetElapsedTime(_lastTimestamp, now).TotalSeconds;
        double rate = seconds > 0 ? (metrics.LogsProcessed - Interlocked.Exchange(ref _lastProcessed, metrics.LogsProcessed)) / seconds : 0;
        _lastTimestamp = now;
        var report = new PipelineReport(_pipeline.Name, rate, metrics);
        _logger?.Report(_pipeline.Name, rate, metrics.LogsProcessed, metrics.LogsDropped, metrics.LogsFiltered, metrics.BufferSize, metrics.BufferCapacity);
        try
        {
            _onReport?.Invoke(report);
        }
        catch (Exception e)
        {
            Console.Error.WriteLine($"[kakashi] a monitor callback failed: {e}");
        }
        return report;
    }

    /// <summary>Stops the periodic reports.</summary>
    public void Dispose() => _timer.Dispose();
}

internal static partial class MonitorLog
{
    // Kakashi logs about itself with its own generator
    [KakashiLog(LogLevel.Information, "Pipeline {Pipeline}: {Rate:F0} records/s, processed {Processed}, dropped {Dropped}, filtered {Filtered}, buffer {Fill}/{Capacity}", EventId = 9010)]
    internal static partial void Report(this KakashiLogger logger, string pipeline, double rate, long processed, long dropped, long filtered, long fill, long capacity);
}
