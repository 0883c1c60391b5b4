using System;
using System.Linq;
using System.Text.Json;
using System.Threading.Tasks;
using Kakashi.Logging;
using Microsoft.Extensions.Logging;

namespace Kakashi.Extensions.Logging.Tests;

[CollectionDefinition(nameof(Isolated), DisableParallelization = true)]
public sealed class Isolated;

/// <summary>An enabled provider that does nothing: what MEL itself allocates for a call, with no provider's work in it.</summary>
internal sealed class EnabledNullProvider : ILoggerProvider
{
    public ILogger CreateLogger(string categoryName) => Logger.Instance;

    public void Dispose()
    {
    }

    private sealed class Logger : ILogger
    {
        public static readonly Logger Instance = new();

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
        }
    }
}

[Collection(nameof(Isolated))]
public class AllocationAndCacheTests
{
    private const int Calls = 20_000;

    private static long AllocatedPerCall(ILogger logger, Action<ILogger> call)
    {
        for (int i = 0; i < 2_000; i++) call(logger); // warm: templates cached, JIT tiers settled, thread scratch made
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < Calls; i++) call(logger);
        return (GC.GetAllocatedBytesForCurrentThread() - before) / Calls;
    }

    private static async Task<(long Mel, long Kakashi)> MeasureAsync(Action<ILogger> call)
    {
        using var baseline = LoggerFactory.Create(b => b.SetMinimumLevel(LogLevel.Trace).AddProvider(new EnabledNullProvider()));
        long mel = AllocatedPerCall(baseline.CreateLogger("Alloc"), call);
        await using var pipeline = new AsyncPipeline(new AsyncPipelineConfig
        {
            MinLevel = LogLevel.Trace,
            Writers = [new InMemoryWriter { Capacity = 16 }],
            Backpressure = new BackpressureConfig { DropStrategy = DropStrategy.DropNewest },
        });
        using var factory = LoggerFactory.Create(b => b.SetMinimumLevel(LogLevel.Trace).AddProvider(new KakashiLoggerProvider(pipeline)));
        long kakashi = AllocatedPerCall(factory.CreateLogger("Alloc"), call);
        return (mel, kakashi);
    }

    [Fact]
    public async Task A_message_template_call_allocates_nothing_beyond_what_MEL_itself_makes()
    {
        var (mel, kakashi) = await MeasureAsync(l => l.LogInformation("Order {OrderId} filled {Quantity} at {Price} for {Symbol} ({Side})", 12345, 100L, 101.25, "MSFT", Side.Buy));
        Assert.True(mel > 0, "MEL's params array and boxes were expected");
        Assert.Equal(mel, kakashi);
    }

    [Fact]
    public async Task A_LoggerMessage_call_allocates_nothing_at_all()
    {
        var (mel, kakashi) = await MeasureAsync(l => l.OrderFilled(12345, 100, 101.25, Side.Sell));
        Assert.Equal(0, mel);
        Assert.Equal(0, kakashi); // the values are copied from LogValues' fields, never boxed
        var (mel7, kakashi7) = await MeasureAsync(l => l.Seven(1, "two", true, 4.5m, Guid.Empty, DateTime.UnixEpoch, TimeSpan.Zero)); // the generator's own struct
        Assert.Equal(0, mel7);
        Assert.Equal(0, kakashi7);
    }

    [Fact]
    public async Task LoggerMessage_values_read_from_fields_render_as_MEL_does()
    {
        await using var h = new MelHarness();
        var logger = h.Factory.CreateLogger("Fields");
        logger.OrderFilled(1, 2, 3.5, Side.Sell);
        logger.Seven(1, null!, false, -4.25m, Guid.Parse("0f8fad5b-d9cb-469f-a165-70867728950e"), new DateTime(2026, 12, 2, 1, 2, 3, DateTimeKind.Utc), TimeSpan.FromMinutes(90));
        var records = await h.RecordsAsync();
        Assert.Equal(h.Rendered.Calls.Select(c => c.Message), records.Select(r => r.GetProperty("Message").GetString()));
        // the generator's struct renders a null string as nothing, as string interpolation does: so does Kakashi, for that struct
        Assert.Equal("", records[1].GetProperty("Properties").GetProperty("B").GetString());
        Assert.Equal(-4.25m, records[1].GetProperty("Properties").GetProperty("D").GetDecimal());
    }

    [Fact]
    public async Task The_template_cache_is_bounded_counts_overflows_and_still_writes_every_message()
    {
        RuntimeTemplates.ResetForTests();
        try
        {
            await using var h = new MelHarness(render: false);
            var logger = h.Factory.CreateLogger("Interpolated");
            int total = KakashiLoggerProvider.MaxTemplates + 500;
            for (int i = 0; i < total; i++) logger.LogInformation($"User-built message {i}"); // a new template text every call
            var records = await h.RecordsAsync();
            Assert.Equal(total, records.Count);
            Assert.Equal(KakashiLoggerProvider.MaxTemplates, KakashiLoggerProvider.TemplateCount);
            Assert.Equal(500, KakashiLoggerProvider.TemplateCacheOverflows);
            Assert.Equal($"User-built message {total - 1}", records[^1].GetProperty("Message").GetString());
            Assert.Equal("User-built message 0", records[0].GetProperty("Message").GetString());
        }
        finally
        {
            RuntimeTemplates.ResetForTests();
        }
    }
}
