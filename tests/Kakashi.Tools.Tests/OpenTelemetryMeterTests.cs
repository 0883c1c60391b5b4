using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Metrics;

namespace Kakashi.Tools.Tests;

/// <summary>
/// The Kakashi meter collected by OpenTelemetry's metrics SDK (<c>AddMeter("Kakashi")</c>): after a forced flush the
/// exported sums and gauges are the pipeline's own <see cref="AsyncPipeline.GetMetrics"/>, per pipeline and writer tag.
/// </summary>
public class OpenTelemetryMeterTests
{
    [Fact]
    public async Task Exported_metrics_match_the_pipeline_metrics()
    {
        var exported = new List<Metric>();
        using var meters = Sdk.CreateMeterProviderBuilder().AddMeter(KakashiMeter.Name).AddInMemoryExporter(exported).Build();
        string name = "otel-" + Guid.NewGuid().ToString("N")[..8];
        var writer = new InMemoryWriter();
        await using var pipeline = new AsyncPipeline(new AsyncPipelineConfig { Name = name, Writers = [writer] });
        var logger = pipeline.CreateLogger("Otel");
        for (int i = 0; i < 1_000; i++) logger.Recorded(i);
        logger.Skipped(0); // below the minimum level: neither accepted nor written
        await pipeline.FlushAllAsync();

        var expected = pipeline.GetMetrics();
        Assert.True(meters.ForceFlush(10_000));
        var points = Points(exported, name);
        Assert.Equal(1_000, expected.LogsAccepted);
        Assert.Equal(expected.LogsAccepted, points.Sum("kakashi.logs.accepted"));
        Assert.Equal(expected.LogsProcessed, points.Sum("kakashi.logs.processed"));
        Assert.Equal(0, points.Sum("kakashi.logs.dropped"));
        Assert.Equal(0, points.Sum("kakashi.logs.rejected"));
        Assert.Equal(expected.ProducerWaits, points.Sum("kakashi.producer.waits"));
        var written = expected.Writers.Single();
        Assert.Equal(1_000, written.Written);
        Assert.Equal(written.Written, points.Sum("kakashi.writer.written", written.Name));
        Assert.Equal(0, points.Sum("kakashi.writer.failed", written.Name));
        Assert.Equal(expected.BufferCapacity, points.Gauge("kakashi.buffer.capacity"));
        Assert.Equal(0, points.Gauge("kakashi.writer.breaker", written.Name));
        Assert.Equal(expected.FlushCount, points.Sum("kakashi.flush.count"));
        Assert.Equal("{record}", exported.First(m => m.Name == "kakashi.logs.accepted").Unit);
        Assert.Equal("By", exported.First(m => m.Name == "kakashi.buffer.capacity").Unit);

        // cumulative: a second batch moves the sums by its size
        for (int i = 0; i < 500; i++) logger.Recorded(i);
        await pipeline.FlushAllAsync();
        exported.Clear();
        Assert.True(meters.ForceFlush(10_000));
        points = Points(exported, name);
        Assert.Equal(1_500, points.Sum("kakashi.logs.accepted"));
        Assert.Equal(1_500, points.Sum("kakashi.writer.written", written.Name));
        Assert.Equal(pipeline.GetMetrics().LogsProcessed, points.Sum("kakashi.logs.processed"));
    }

    /// <summary>Records that come through <c>ILogger</c> (the Microsoft.Extensions.Logging provider) are counted the same way.</summary>
    [Fact]
    public async Task ILogger_records_are_counted_by_the_exported_metrics()
    {
        var exported = new List<Metric>();
        using var meters = Sdk.CreateMeterProviderBuilder().AddMeter(KakashiMeter.Name).AddInMemoryExporter(exported).Build();
        string name = "otel-mel-" + Guid.NewGuid().ToString("N")[..8];
        await using var pipeline = new AsyncPipeline(new AsyncPipelineConfig { Name = name, Writers = [new InMemoryWriter()] });
        using (var factory = LoggerFactory.Create(builder => builder.AddProvider(new KakashiLoggerProvider(pipeline))))
        {
            var logger = factory.CreateLogger("Orders");
            for (int i = 0; i < 300; i++)
            {
#pragma warning disable CA1848, CA1873 // the message-template call most code makes, on purpose
                logger.LogInformation("Order {OrderId} at {Price}", i, 101.25);
#pragma warning restore CA1848, CA1873
            }
        }
        await pipeline.FlushAllAsync();
        Assert.True(meters.ForceFlush(10_000));
        var points = Points(exported, name);
        var expected = pipeline.GetMetrics();
        Assert.Equal(300, points.Sum("kakashi.logs.accepted"));
        Assert.Equal(expected.LogsProcessed, points.Sum("kakashi.logs.processed"));
        Assert.Equal(300, points.Sum("kakashi.writer.written", expected.Writers.Single().Name));
    }

    private static ExportedPoints Points(List<Metric> exported, string pipeline) => new(exported, pipeline);

    /// <summary>The exported points of one pipeline (the meter reports every live pipeline of the process).</summary>
    private sealed class ExportedPoints(List<Metric> exported, string pipeline)
    {
        public long Sum(string metric, string? writer = null) => Read(metric, writer, p => p.GetSumLong());

        public long Gauge(string metric, string? writer = null) => Read(metric, writer, p => p.GetGaugeLastValueLong());

        private long Read(string metric, string? writer, Func<MetricPoint, long> value)
        {
            var found = exported.Where(m => m.Name == metric).ToList();
            Assert.True(found.Count > 0, $"{metric} was not exported; exported: {string.Join(", ", exported.Select(m => m.Name).Distinct())}");
            long total = 0;
            int matched = 0;
            foreach (var m in found)
            {
                foreach (ref readonly var point in m.GetMetricPoints())
                {
                    string? pipelineTag = null, writerTag = null;
                    foreach (var tag in point.Tags)
                    {
                        if (tag.Key == "pipeline") pipelineTag = tag.Value as string;
                        else if (tag.Key == "writer") writerTag = tag.Value as string;
                    }
                    if (pipelineTag != pipeline || (writer is not null && writerTag != writer)) continue;
                    total += value(point);
                    matched++;
                }
            }
            Assert.True(matched > 0, $"{metric} has no point tagged pipeline={pipeline}{(writer is null ? "" : ", writer=" + writer)}");
            return total;
        }
    }
}

internal static partial class ToolsLog
{
    [KakashiLog(LogLevel.Information, "recorded {Index}")]
    public static partial void Recorded(this KakashiLogger logger, int index);

    [KakashiLog(LogLevel.Debug, "skipped {Index}")]
    public static partial void Skipped(this KakashiLogger logger, int index);
}
