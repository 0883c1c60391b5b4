using System;
using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.Logging;

namespace Kakashi.Runtime.Tests;

public class MetricsTests
{
    [Fact]
    public async Task Metrics_match_the_ground_truth()
    {
        var writer = new TestWriter();
        await using var pipeline = new AsyncPipeline(new AsyncPipelineConfig
        {
            Name = "truth",
            Formatter = new TextFormatter("{Category}|{Message}{NewLine}"),
            Writers = [writer],
            Observers = [new AsyncMetricsWriter()],
            FlushOnProcessExit = false,
        });
        var logger = pipeline.CreateLogger("App");
        for (int i = 0; i < 1000; i++) logger.Int(i);
        for (int i = 0; i < 10; i++) logger.Dynamic(LogLevel.Error, i);
        logger.DebugValue(1); // below MinLevel
        await pipeline.FlushAllAsync();
        var m = pipeline.GetMetrics();
        Assert.Equal(1010, m.LogsAccepted);
        Assert.Equal(1010, m.LogsProcessed);
        Assert.Equal(0, m.LogsDropped);
        Assert.Equal(1010, writer.Lines.Count(l => l.StartsWith("App|", StringComparison.Ordinal)));
        Assert.Single(m.Writers);
        Assert.All(m.Writers, w => Assert.Equal(1010, w.Written));
        Assert.Equal(BreakerState.Closed, m.Writers[0].BreakerState);
        Assert.True(m.BufferCapacity >= 1 << 20);
        var metricsWriter = (AsyncMetricsWriter)pipeline.Config.Observers[0];
        Assert.Equal(1000, metricsWriter.Count(LogLevel.Information));
        Assert.Equal(10, metricsWriter.Count(LogLevel.Error));
    }

    [Fact]
    public async Task The_Kakashi_meter_publishes_the_same_values()
    {
        var values = new ConcurrentDictionary<string, long>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == KakashiMeter.Name) l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            string pipeline = "", writer = "", level = "";
            foreach (var tag in tags)
            {
                if (tag.Key == "pipeline") pipeline = (string)tag.Value!;
                if (tag.Key == "writer") writer = (string)tag.Value!;
                if (tag.Key == "level") level = (string)tag.Value!;
            }
            if (pipeline == "meter-test" || instrument.Name == "kakashi.records") values.AddOrUpdate($"{instrument.Name}/{writer}{level}", value, (_, old) => instrument is Counter<long> ? old + value : value);
        });
        listener.Start();

        var writer = new TestWriter("w");
        await using (var pipeline = new AsyncPipeline(new AsyncPipelineConfig
        {
            Name = "meter-test",
            Formatter = new TextFormatter("{Message}{NewLine}"),
            Writers = [writer],
            Observers = [new AsyncMetricsWriter()],
            FlushOnProcessExit = false,
        }))
        {
            var logger = pipeline.CreateLogger("App");
            for (int i = 0; i < 500; i++) logger.Int(i);
            await pipeline.FlushAllAsync();
            listener.RecordObservableInstruments();
        }
        Assert.Equal(500, values["kakashi.logs.accepted/"]);
        Assert.Equal(500, values["kakashi.logs.processed/"]);
        Assert.Equal(0, values["kakashi.logs.dropped/"]);
        Assert.Equal(500, values["kakashi.writer.written/w"]);
        Assert.Equal(0, values["kakashi.writer.breaker/w"]);
        Assert.True(values.TryGetValue("kakashi.records/Information", out long records) && records >= 500);
    }

    [Fact]
    public async Task Monitor_reports_the_rate_as_a_record_and_to_a_callback()
    {
        var writer = new TestWriter();
        await using var pipeline = new AsyncPipeline(new AsyncPipelineConfig
        {
            Name = "monitored",
            Formatter = new TextFormatter("{Category}|{Message}{NewLine}"),
            Writers = [writer],
            FlushOnProcessExit = false,
        });
        PipelineReport? last = null;
        using var monitor = new AsyncPipelineMonitor(pipeline, TimeSpan.FromHours(1), r => last = r);
        var logger = pipeline.CreateLogger("App");
        for (int i = 0; i < 1000; i++) logger.Int(i);
        await pipeline.FlushAllAsync();
        var report = monitor.Report();
        await pipeline.FlushAllAsync();
        Assert.Same(report, last);
        Assert.True(report.RecordsPerSecond > 0);
        Assert.Equal(1000, report.Metrics.LogsProcessed);
        Assert.Contains(writer.Lines, l => l.StartsWith("kakashi.monitor|Pipeline monitored: ", StringComparison.Ordinal) && l.Contains("processed 1000, dropped 0", StringComparison.Ordinal));
    }

    [Fact]
    public async Task CloseWritersAsync_flushes_and_closes()
    {
        var writer = new TestWriter();
        var pipeline = new AsyncPipeline(new AsyncPipelineConfig { Formatter = new TextFormatter("{Message}{NewLine}"), Writers = [writer], FlushOnProcessExit = false });
        pipeline.CreateLogger("App").Int(1);
        pipeline.StopAccepting();
        pipeline.CreateLogger("App").Int(2);
        await pipeline.CloseWritersAsync();
        Assert.Equal(["Int 1"], writer.Lines);
        Assert.Equal(1, pipeline.GetMetrics().LogsRejected);
        Assert.True(writer.Flushes >= 1);
    }
}
