using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json;
using System.Threading.Tasks;
using Microsoft.Extensions.Logging;

namespace Kakashi.Extensions.Logging.Tests;

public enum Side { Buy, Sell }

public static partial class MelLog
{
    [LoggerMessage(EventId = 7001, Level = LogLevel.Information, Message = "Order {OrderId} filled {Quantity} at {Price} ({Side})")]
    public static partial void OrderFilled(this ILogger logger, int orderId, long quantity, double price, Side side);

    [LoggerMessage(EventId = 7002, Level = LogLevel.Warning, Message = "Seven values {A} {B} {C} {D} {E} {F} {G}")]
    public static partial void Seven(this ILogger logger, int a, string b, bool c, decimal d, Guid e, DateTime f, TimeSpan g);

    [LoggerMessage(EventId = 7003, Level = LogLevel.Error, Message = "Rejected {OrderId}")]
    public static partial void Rejected(this ILogger logger, int orderId, Exception exception);
}

/// <summary>A Kakashi pipeline behind MEL's LoggerFactory, writing JSON to memory, and what MEL's own formatter renders for the same calls.</summary>
internal sealed class MelHarness : IAsyncDisposable
{
    public MelHarness(LogLevel minLevel = LogLevel.Trace, Action<AsyncPipelineConfig>? configure = null, Action<ILoggingBuilder>? logging = null, bool render = true)
    {
        Memory = new InMemoryWriter();
        var config = new AsyncPipelineConfig
        {
            MinLevel = minLevel,
            Formatter = new JsonFormatter(),
            Writers = [Memory],
            Enrichers = [new ScopeEnricher()],
        };
        configure?.Invoke(config);
        Pipeline = new AsyncPipeline(config);
        Factory = LoggerFactory.Create(b =>
        {
            b.SetMinimumLevel(LogLevel.Trace);
            b.AddProvider(new KakashiLoggerProvider(Pipeline));
            if (render) b.AddProvider(Rendered);
            logging?.Invoke(b);
        });
    }

    public InMemoryWriter Memory { get; }

    public AsyncPipeline Pipeline { get; }

    public ILoggerFactory Factory { get; }

    /// <summary>MEL's rendering of each call (the formatter's text), next to Kakashi's.</summary>
    public RenderingProvider Rendered { get; } = new();

    public async Task<List<JsonElement>> RecordsAsync()
    {
        await Pipeline.FlushAllAsync();
        return Memory.Lines.Select(l => JsonDocument.Parse(l).RootElement.Clone()).ToList();
    }

    public async ValueTask DisposeAsync()
    {
        Factory.Dispose();
        await Pipeline.DisposeAsync();
    }
}

/// <summary>Keeps what Microsoft.Extensions.Logging's formatter makes of each call (the text every MEL provider writes).</summary>
internal sealed class RenderingProvider : ILoggerProvider
{
    public List<(string Category, string Message, IReadOnlyList<KeyValuePair<string, object?>>? State)> Calls { get; } = [];

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class Logger(RenderingProvider owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            string message;
            try
            {
                message = formatter(state, exception);
            }
            catch (InvalidOperationException e)
            {
                message = "(formatter threw: " + e.Message + ")";
            }
            lock (owner.Calls) owner.Calls.Add((category, message, state as IReadOnlyList<KeyValuePair<string, object?>>));
        }
    }
}

public class ProviderTests
{
    [Fact]
    public async Task Message_templates_keep_every_value_with_its_type_and_render_as_MEL_does()
    {
        await using var h = new MelHarness();
        var logger = h.Factory.CreateLogger("Trading.Engine");
        var id = Guid.Parse("0f8fad5b-d9cb-469f-a165-70867728950e");
        var when = new DateTime(2026, 12, 2, 10, 30, 15, 123, DateTimeKind.Utc);
        logger.LogInformation("Order {OrderId} filled {Quantity} at {Price} for {Symbol}", 12345, 100L, 101.25, "MSFT");
        logger.LogWarning("Flags {Done} {Side} {Id} {When} {Elapsed} {Amount}", true, Side.Sell, id, when, TimeSpan.FromMilliseconds(1500), 12.5m);
        logger.LogDebug("Nulls {Missing} and lists {Items} and objects {Point}", null, new[] { 1, 2, 3 }, new Point(3, 4));
        logger.LogInformation("Formats {Price:F2} {Count,6} {Ratio:P1}", 3.14159, 42, 0.256);
        logger.LogInformation("Same name twice {A} {A}", 1, 2);
        logger.LogInformation("Escaped {{braces}} and {Value}", "x");

        var records = await h.RecordsAsync();
        Assert.Equal(6, records.Count);
        for (int i = 0; i < records.Count; i++)
            Assert.Equal(h.Rendered.Calls[i].Message, records[i].GetProperty("Message").GetString()); // MEL-identical text

        var order = records[0];
        Assert.Equal("Trading.Engine", order.GetProperty("Category").GetString());
        Assert.Equal("Information", order.GetProperty("Level").GetString());
        Assert.Equal("Order {OrderId} filled {Quantity} at {Price} for {Symbol}", order.GetProperty("MessageTemplate").GetString());
        var p = order.GetProperty("Properties");
        Assert.Equal(JsonValueKind.Number, p.GetProperty("OrderId").ValueKind);
        Assert.Equal(12345, p.GetProperty("OrderId").GetInt32());
        Assert.Equal(100L, p.GetProperty("Quantity").GetInt64());
        Assert.Equal(101.25, p.GetProperty("Price").GetDouble());
        Assert.Equal("MSFT", p.GetProperty("Symbol").GetString());

        var flags = records[1].GetProperty("Properties");
        Assert.Equal(JsonValueKind.True, flags.GetProperty("Done").ValueKind);
        Assert.Equal("Sell", flags.GetProperty("Side").GetString());
        Assert.Equal(id.ToString(), flags.GetProperty("Id").GetString());
        Assert.Equal(when, flags.GetProperty("When").GetDateTime().ToUniversalTime());
        Assert.Equal(12.5m, flags.GetProperty("Amount").GetDecimal());

        var nulls = records[2].GetProperty("Properties");
        Assert.Equal(JsonValueKind.Null, nulls.GetProperty("Missing").ValueKind);
        Assert.Equal("1, 2, 3", nulls.GetProperty("Items").GetString());
        Assert.Equal("(3, 4)", nulls.GetProperty("Point").GetString());
    }

    private sealed record Point(int X, int Y)
    {
        public override string ToString() => $"({X}, {Y})";
    }

    [Fact]
    public async Task LoggerMessage_methods_keep_their_event_ids_names_and_typed_values()
    {
        await using var h = new MelHarness();
        var logger = h.Factory.CreateLogger<ProviderTests>();
        logger.OrderFilled(42, 7, 99.5, Side.Buy);
        var guid = Guid.NewGuid();
        logger.Seven(1, "two", true, 4.5m, guid, new DateTime(2026, 1, 2, 3, 4, 5, DateTimeKind.Utc), TimeSpan.FromSeconds(7)); // > 6 values: the generator's own struct
        logger.Rejected(9, new InvalidOperationException("no liquidity"));

        var records = await h.RecordsAsync();
        Assert.Equal(3, records.Count);
        Assert.Equal("Kakashi.Extensions.Logging.Tests.ProviderTests", records[0].GetProperty("Category").GetString());
        Assert.Equal(7001, records[0].GetProperty("EventId").GetInt32());
        Assert.Equal("OrderFilled", records[0].GetProperty("EventName").GetString());
        Assert.Equal(h.Rendered.Calls[0].Message, records[0].GetProperty("Message").GetString());
        var props = records[0].GetProperty("Properties");
        Assert.Equal(42, props.GetProperty("OrderId").GetInt32());
        Assert.Equal(7, props.GetProperty("Quantity").GetInt64());
        Assert.Equal(99.5, props.GetProperty("Price").GetDouble());
        Assert.Equal("Buy", props.GetProperty("Side").GetString());

        Assert.Equal(7002, records[1].GetProperty("EventId").GetInt32());
        Assert.Equal(h.Rendered.Calls[1].Message, records[1].GetProperty("Message").GetString());
        Assert.Equal(guid.ToString(), records[1].GetProperty("Properties").GetProperty("E").GetString());
        Assert.Equal("Warning", records[1].GetProperty("Level").GetString());

        Assert.Equal("Error", records[2].GetProperty("Level").GetString());
        var exception = records[2].GetProperty("Exception");
        Assert.Contains("InvalidOperationException", exception.GetRawText(), StringComparison.Ordinal);
        Assert.Contains("no liquidity", exception.GetRawText(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Each_call_keeps_its_own_event_id_for_one_template()
    {
        await using var h = new MelHarness();
        var logger = h.Factory.CreateLogger("Events");
        for (int i = 1; i <= 3; i++) logger.LogInformation(new EventId(100 + i, "Step" + i), "Step {Number}", i);
        logger.LogInformation("Step {Number}", 4);
        var records = await h.RecordsAsync();
        Assert.Equal([101, 102, 103, 0], records.Select(r => r.GetProperty("EventId").GetInt32()));
        Assert.Equal(["Step1", "Step2", "Step3"], records.Take(3).Select(r => r.GetProperty("EventName").GetString()));
        Assert.False(records[3].TryGetProperty("EventName", out _));
    }

    [Fact]
    public async Task Exceptions_are_recorded_with_type_message_and_stack()
    {
        await using var h = new MelHarness();
        var logger = h.Factory.CreateLogger("Errors");
        Exception thrown;
        try
        {
            throw new ArgumentException("bad order", "orderId");
        }
        catch (ArgumentException e)
        {
            thrown = e;
        }
        logger.LogError(thrown, "Order {OrderId} failed", 5);
        logger.LogError(thrown, "No template values");
        var records = await h.RecordsAsync();
        foreach (var record in records)
        {
            var exception = record.GetProperty("Exception").GetRawText();
            Assert.Contains("System.ArgumentException", exception, StringComparison.Ordinal);
            Assert.Contains("bad order", exception, StringComparison.Ordinal);
            Assert.Contains(nameof(Exceptions_are_recorded_with_type_message_and_stack), exception, StringComparison.Ordinal);
        }
        Assert.Equal(5, records[0].GetProperty("Properties").GetProperty("OrderId").GetInt32());
    }

    [Fact]
    public async Task Key_value_scopes_become_properties_not_joined_text()
    {
        await using var h = new MelHarness();
        var logger = h.Factory.CreateLogger("Web");
        using (logger.BeginScope(new Dictionary<string, object?> { ["RequestId"] = "req-1", ["UserId"] = 42 }))
        using (logger.BeginScope("Order {OrderId}", 77))
        {
            logger.LogInformation("Inside");
            using (logger.BeginScope("plain text scope"))
                logger.LogInformation("Deeper");
        }
        logger.LogInformation("Outside");

        var records = await h.RecordsAsync();
        var inside = records[0].GetProperty("Properties");
        Assert.Equal("req-1", inside.GetProperty("RequestId").GetString());
        Assert.Equal("42", inside.GetProperty("UserId").GetString());
        Assert.Equal("77", inside.GetProperty("OrderId").GetString());
        Assert.False(inside.TryGetProperty("{OriginalFormat}", out _));
        Assert.Equal("plain text scope", records[1].GetProperty("Properties").GetProperty("Scope").GetString());
        Assert.False(records[2].TryGetProperty("Properties", out _));
    }

    [Fact]
    public async Task Scopes_flow_across_awaits_and_mix_with_KakashiLog_loggers()
    {
        await using var h = new MelHarness();
        var logger = h.Factory.CreateLogger("Async");
        using (logger.BeginScope(new[] { new KeyValuePair<string, object?>("TraceKey", "t-9") }))
        {
            await Task.Yield();
            logger.LogInformation("After await");
            h.Pipeline.CreateLogger("Native").Native(5);
        }
        var records = await h.RecordsAsync();
        Assert.All(records, r => Assert.Equal("t-9", r.GetProperty("Properties").GetProperty("TraceKey").GetString()));
    }

    [Fact]
    public async Task MEL_filter_rules_apply_before_any_work()
    {
        await using var h = new MelHarness(render: false, logging: b =>
        {
            b.AddFilter<KakashiLoggerProvider>("Noisy", LogLevel.Warning);
            b.AddFilter<KakashiLoggerProvider>("Noisy.Important", LogLevel.Debug);
        });
        var noisy = h.Factory.CreateLogger("Noisy.Component");
        var important = h.Factory.CreateLogger("Noisy.Important.Part");
        var state = new CountingState();
        noisy.Log(LogLevel.Information, default, state, null, CountingState.Format);
        Assert.Equal(0, state.Reads); // filtered out: the state was never read, nothing formatted
        Assert.False(noisy.IsEnabled(LogLevel.Information));
        Assert.True(important.IsEnabled(LogLevel.Debug));
        noisy.LogWarning("kept {N}", 1);
        important.LogDebug("kept {N}", 2);
        noisy.LogInformation("dropped {N}", 3);
        var records = await h.RecordsAsync();
        Assert.Equal([1, 2], records.Select(r => r.GetProperty("Properties").GetProperty("N").GetInt32()));
    }

    [Fact]
    public async Task The_pipeline_level_is_checked_too_and_None_is_never_logged()
    {
        await using var h = new MelHarness(minLevel: LogLevel.Warning, configure: c => c.CategoryLevels["Chatty"] = LogLevel.Trace, render: false);
        var logger = h.Factory.CreateLogger("App");
        var chatty = h.Factory.CreateLogger("Chatty.Part");
        var state = new CountingState();
        logger.Log(LogLevel.Information, default, state, null, CountingState.Format);
        Assert.Equal(0, state.Reads);
        logger.Log(LogLevel.None, default, state, null, CountingState.Format);
        Assert.Equal(0, state.Reads);
        chatty.LogTrace("trace {N}", 1);
        logger.LogWarning("warning {N}", 2);
        var records = await h.RecordsAsync();
        Assert.Equal([1, 2], records.Select(r => r.GetProperty("Properties").GetProperty("N").GetInt32()));
    }

    private sealed class CountingState : IReadOnlyList<KeyValuePair<string, object?>>
    {
        public int Reads;

        public static readonly Func<CountingState, Exception?, string> Format = (s, _) => "counted";

        public KeyValuePair<string, object?> this[int index]
        {
            get
            {
                Reads++;
                return index == 0 ? new("N", 1) : new("{OriginalFormat}", "n {N}");
            }
        }

        public int Count
        {
            get
            {
                Reads++;
                return 2;
            }
        }

        public IEnumerator<KeyValuePair<string, object?>> GetEnumerator()
        {
            for (int i = 0; i < Count; i++) yield return this[i];
        }

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }

    [Fact]
    public async Task Plain_states_and_user_lists_without_a_template_are_written_as_their_text()
    {
        await using var h = new MelHarness();
        var logger = h.Factory.CreateLogger("States");
        logger.Log(LogLevel.Information, new EventId(3), "a {not a template} string", null, (s, _) => s);
        logger.Log(LogLevel.Information, default, new List<KeyValuePair<string, object?>> { new("Key", 5) }, null, (_, _) => "user state");
        var records = await h.RecordsAsync();
        Assert.Equal("a {not a template} string", records[0].GetProperty("Message").GetString());
        Assert.Equal(3, records[0].GetProperty("EventId").GetInt32());
        Assert.Equal("user state", records[1].GetProperty("Message").GetString());
        Assert.Equal(5, records[1].GetProperty("Properties").GetProperty("Key").GetInt32());
    }

    [Fact]
    public async Task A_throwing_value_is_counted_as_a_logging_error_and_never_reaches_the_caller()
    {
        await using var h = new MelHarness();
        var logger = h.Factory.CreateLogger("Faults");
        logger.LogInformation("Bad {Value}", new Throwing());
        logger.LogInformation("Good {Value}", 1);
        var records = await h.RecordsAsync();
        Assert.Single(records);
        Assert.Equal(1, h.Pipeline.GetMetrics().LoggingErrors);
    }

    private sealed class Throwing
    {
        public override string ToString() => throw new InvalidOperationException("ToString failed");
    }

    [Fact]
    public async Task Categories_of_ILogger_T_and_KakashiLogger_T_are_the_same()
    {
        await using var h = new MelHarness();
        var mel = h.Factory.CreateLogger<Dictionary<string, List<int>>>();
        var kakashi = new KakashiLogger<Dictionary<string, List<int>>>(h.Pipeline);
        var nested = new KakashiLogger<Outer.Inner>(h.Pipeline);
        h.Factory.CreateLogger<Outer.Inner>().LogInformation("n");
        mel.LogInformation("m");
        var records = await h.RecordsAsync();
        Assert.Equal(records[0].GetProperty("Category").GetString(), nested.Category);
        Assert.Equal(records[1].GetProperty("Category").GetString(), kakashi.Category);
    }

    public static class Outer
    {
        public sealed class Inner;
    }

    /// <summary>
    /// ILogger calls (message templates built at run time, [LoggerMessage] methods, scopes, exceptions) into a .klog decode
    /// to the JSON the pipeline wrote live for them (docs/binary-log.md).
    /// </summary>
    [Fact]
    public async Task ILogger_calls_written_to_a_klog_decode_to_the_live_json()
    {
        string folder = Path.Combine(Path.GetTempPath(), "kakashi-tests", "mel-klog-" + Guid.NewGuid().ToString("N"));
        string path = Path.Combine(folder, "mel.klog");
        var h = new MelHarness(configure: c => c.Writers.Add(new BinaryLogWriter(path)), render: false);
        {
            var logger = h.Factory.CreateLogger("Trading.Engine");
            logger.LogInformation("Order {OrderId} filled {Quantity} at {Price} for {Symbol}", 12345, 100L, 101.25, "MSFT");
            logger.LogWarning("Flags {Done} {Side} {Id} {When} {Elapsed} {Amount}", true, Side.Sell, Guid.Empty, DateTime.UnixEpoch, TimeSpan.FromMilliseconds(1500), 12.5m);
            logger.LogDebug("Nulls {Missing} and lists {Items} and objects {Point}", null, new[] { 1, 2, 3 }, new Point(3, 4));
            using (logger.BeginScope(new Dictionary<string, object?> { ["RequestId"] = 42, ["User"] = "ann" }))
            {
                logger.OrderFilled(7, 8, 9.5, Side.Buy);
                logger.Rejected(9, new InvalidOperationException("no liquidity"));
            }
            for (int i = 0; i < 3; i++) logger.LogInformation("Same template {I}", i);
            await h.Pipeline.FlushAllAsync();
            var live = string.Join("", h.Memory.Lines.Select(l => l + "\n"));
            await h.DisposeAsync();
            var json = new JsonFormatter();
            var decoded = new System.Buffers.ArrayBufferWriter<byte>();
            using (var reader = KlogReader.Open(path))
            {
                while (reader.MoveNext())
                {
                    var w = new Utf8Writer(decoded);
                    json.Format(reader.Current, ref w);
                    w.Commit();
                }
                Assert.Empty(reader.Damage);
            }
            Assert.Equal(8, h.Memory.Lines.Count);
            Assert.Equal(live, System.Text.Encoding.UTF8.GetString(decoded.WrittenSpan));
        }
    }
}
