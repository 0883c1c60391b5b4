using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace Kakashi.Runtime.Tests;

public class FilterTests
{
    private static AsyncPipeline Build(TestWriter writer, Action<AsyncPipelineConfig> configure)
    {
        var config = new AsyncPipelineConfig
        {
            MinLevel = LogLevel.Trace,
            Formatter = new TextFormatter("{Category}|{Message}{NewLine}"),
            Writers = [writer],
            FlushOnProcessExit = false,
        };
        configure(config);
        return new AsyncPipeline(config);
    }

    [Fact]
    public async Task Category_levels_apply_on_the_calling_thread_by_longest_prefix()
    {
        var writer = new TestWriter();
        await using var pipeline = Build(writer, c =>
        {
            c.MinLevel = LogLevel.Information;
            c.CategoryLevels = new Dictionary<string, LogLevel> { ["Trading"] = LogLevel.Warning, ["Trading.Orders"] = LogLevel.Debug, ["Noisy"] = LogLevel.None };
        });
        Assert.Equal(LogLevel.Warning, pipeline.CreateLogger("Trading").MinLevel);
        Assert.Equal(LogLevel.Warning, pipeline.CreateLogger("Trading.Risk").MinLevel);
        Assert.Equal(LogLevel.Debug, pipeline.CreateLogger("Trading.Orders.Fills").MinLevel);
        Assert.Equal(LogLevel.Information, pipeline.CreateLogger("TradingDesk").MinLevel); // prefix on a '.' boundary only
        Assert.Equal(LogLevel.None, pipeline.CreateLogger("Noisy").MinLevel);
        pipeline.CreateLogger("Trading.Orders").DebugValue(1);
        pipeline.CreateLogger("Trading").DebugValue(2);
        pipeline.CreateLogger("Noisy").Dynamic(LogLevel.Critical, 3);
        await pipeline.FlushAllAsync();
        Assert.Equal(["Trading.Orders|Debug 1"], writer.Lines);
        Assert.Equal(1, pipeline.GetMetrics().LogsAccepted); // rejected by the level check: never entered the pipeline
    }

    [Fact]
    public async Task Rate_limit_keeps_the_rate_and_summarises_what_it_suppressed()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var writer = new TestWriter();
        await using var pipeline = Build(writer, c => c.Filters = [new RateLimitFilter(permitsPerSecond: 10, burst: 10, timeProvider: time)]);
        var logger = pipeline.CreateLogger("App");
        for (int i = 0; i < 100; i++) logger.Int(i);
        await pipeline.FlushAllAsync();
        time.Advance(TimeSpan.FromSeconds(1)); // ten more tokens
        for (int i = 100; i < 200; i++) logger.Int(i);
        await pipeline.FlushAllAsync();
        var app = writer.Lines.Where(l => l.StartsWith("App|", StringComparison.Ordinal)).ToList();
        Assert.Equal(20, app.Count);
        Assert.Equal("App|Int 0", app[0]);
        Assert.Equal("App|Int 100", app[10]);
        var m = pipeline.GetMetrics();
        Assert.Equal(180, m.LogsFiltered);
        Assert.Equal(20, m.LogsProcessed);
        Assert.Equal(180, m.Writers[0].Filtered);
        Assert.Equal(m.Writers[0].Received, m.Writers[0].Written + m.Writers[0].Dropped + m.Writers[0].Filtered + m.Writers[0].Failed + m.Writers[0].Queued);
        long summarized = writer.Lines.Where(l => l.StartsWith("kakashi.filter|Suppressed ", StringComparison.Ordinal)).Sum(l => long.Parse(l.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(180, summarized);
        Assert.Contains(writer.Lines, l => l.EndsWith("records of Kakashi.Runtime.Tests.Log.Int (rate-limit)", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Sampling_keeps_one_in_n_per_event()
    {
        var writer = new TestWriter();
        await using var pipeline = Build(writer, c => c.Filters = [new SamplingFilter(10)]);
        var logger = pipeline.CreateLogger("App");
        for (int i = 0; i < 100; i++)
        {
            logger.Int(i);
            logger.Long(i);
        }
        await pipeline.FlushAllAsync();
        Assert.Equal(Enumerable.Range(0, 10).Select(i => $"App|Int {i * 10}"), writer.Lines.Where(l => l.StartsWith("App|Int", StringComparison.Ordinal)));
        Assert.Equal(10, writer.Lines.Count(l => l.StartsWith("App|Long", StringComparison.Ordinal)));
    }

    private sealed class OnlyEven : IRecordFilter
    {
        public bool ShouldWrite(in LogRecord record) => record.GetMessage().EndsWith('0') || record.GetMessage().EndsWith('2');
    }

    [Fact]
    public async Task Custom_filters_see_the_decoded_record()
    {
        var writer = new TestWriter();
        await using var pipeline = Build(writer, c => c.Filters = [new OnlyEven()]);
        var logger = pipeline.CreateLogger("App");
        for (int i = 0; i < 5; i++) logger.Int(i);
        await pipeline.FlushAllAsync();
        Assert.Equal(["App|Int 0", "App|Int 2"], writer.Lines);
    }
}

public class EnricherTests
{
    [Fact]
    public async Task Process_wide_properties_appear_in_the_Properties_token()
    {
        var writer = new TestWriter();
        await using var pipeline = new AsyncPipeline(new AsyncPipelineConfig
        {
            Formatter = new TextFormatter("{Message} {Properties}{NewLine}"),
            Writers = [writer],
            Enrichers = [new MachineNameEnricher(), new ProcessEnricher(), new ApplicationEnricher("orders", "1.2.3"), new PropertiesEnricher(("Region", "eu west"), ("Env", "prod"))],
            FlushOnProcessExit = false,
        });
        pipeline.CreateLogger("App").Int(1);
        await pipeline.FlushAllAsync();
        Assert.Equal([$"Int 1 MachineName={Environment.MachineName} ProcessId={Environment.ProcessId} ProcessName={Process.GetCurrentProcess().ProcessName} Application=orders Version=1.2.3 Region=\"eu west\" Env=prod"], writer.Lines);
    }

    [Fact]
    public async Task Scopes_and_activity_are_captured_at_the_call_and_flow_across_awaits()
    {
        var writer = new TestWriter();
        await using var pipeline = new AsyncPipeline(new AsyncPipelineConfig
        {
            Formatter = new TextFormatter("{Message} [{Properties}]{NewLine}"),
            Writers = [writer],
            Enrichers = [new ScopeEnricher(), new ActivityEnricher(), new ThreadEnricher()],
            FlushOnProcessExit = false,
        });
        var logger = pipeline.CreateLogger("App");
        using var activity = new Activity("request").SetIdFormat(ActivityIdFormat.W3C).Start();
        string thread = "";
        using (logger.BeginScope("RequestId", 42))
        {
            await Task.Yield();
            using (logger.BeginScope("User", "ann smith"))
            {
                await Task.Delay(1);
                logger.Int(1);
                thread = Environment.CurrentManagedThreadId.ToString(System.Globalization.CultureInfo.InvariantCulture);
            }
            logger.Int(2);
        }
        logger.Int(3);
        activity.Stop();
        logger.Failed("after", new InvalidOperationException("x")); // exceptions after the context slots still render
        await pipeline.FlushAllAsync();
        var lines = writer.Lines;
        string ids = $"TraceId={activity.TraceId.ToHexString()} SpanId={activity.SpanId.ToHexString()}";
        Assert.StartsWith($"Int 1 [RequestId=42 User=\"ann smith\" {ids} ThreadId={thread}", lines[0], StringComparison.Ordinal);
        Assert.StartsWith($"Int 2 [RequestId=42 {ids} ThreadId=", lines[1], StringComparison.Ordinal);
        Assert.StartsWith($"Int 3 [{ids} ThreadId=", lines[2], StringComparison.Ordinal);
        Assert.StartsWith("Failed after [ThreadId=", lines[3], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Capturing_context_allocates_nothing_on_the_calling_thread()
    {
        var writer = new TestWriter();
        await using var pipeline = new AsyncPipeline(new AsyncPipelineConfig
        {
            Formatter = new TextFormatter("{Message} {Properties}{NewLine}"),
            Writers = [writer],
            Enrichers = [new ScopeEnricher(), new ActivityEnricher()],
            FlushOnProcessExit = false,
        });
        var logger = pipeline.CreateLogger("App");
        long allocated = -1;
        var thread = new Thread(() =>
        {
            using var scope = logger.BeginScope("RequestId", 7);
            for (int i = 0; i < 1000; i++) logger.Int(i);
            // the least of three windows of 100,000 calls: an allocation per call shows in every window, a one-time event on
            // this thread in one only (7,232 bytes were seen once in a loaded full test run and never alone, where 0 is the
            // rule; the runtime's tiering work on the calling thread is the likely source, not a logging call)
            allocated = long.MaxValue;
            for (int window = 0; window < 3 && allocated != 0; window++)
            {
                long before = GC.GetAllocatedBytesForCurrentThread();
                for (int i = 0; i < 100_000; i++) logger.Int(i);
                allocated = Math.Min(allocated, GC.GetAllocatedBytesForCurrentThread() - before);
            }
        });
        thread.Start();
        thread.Join();
        await pipeline.FlushAllAsync();
        Assert.Equal(0, allocated);
        Assert.Contains("Int 99999 RequestId=7", writer.Lines[^1], StringComparison.Ordinal);
    }
}
