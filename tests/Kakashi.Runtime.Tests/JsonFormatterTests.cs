using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using System.Text;
using System.Text.Json;
using System.Threading.Tasks;
using Kakashi;
using Microsoft.Extensions.Logging;
using Xunit;

namespace Kakashi.Runtime.Tests;

public class JsonFormatterTests
{
    private static async Task<JsonElement[]> Log(JsonFormatter formatter, Action<KakashiLogger> log, Action<AsyncPipelineConfig>? configure = null)
    {
        var writer = new TestWriter();
        var config = new AsyncPipelineConfig { Formatter = formatter, Writers = [writer], FlushOnProcessExit = false };
        configure?.Invoke(config);
        await using (var pipeline = new AsyncPipeline(config))
        {
            log(pipeline.CreateLogger("Orders.Engine"));
            await pipeline.FlushAllAsync();
        }
        // every line parses on its own (one object per line)
        return writer.Lines.Select(line => JsonDocument.Parse(line).RootElement.Clone()).Where(e => !IsInternal(e)).ToArray();
    }

    private static bool IsInternal(JsonElement e)
        => (e.TryGetProperty("Category", out var c) || e.TryGetProperty("SourceContext", out c) || e.TryGetProperty("log.logger", out c))
           && c.GetString()!.StartsWith("kakashi.", StringComparison.Ordinal);

    private static readonly DateTime When = new DateTime(2026, 12, 1, 10, 30, 45, DateTimeKind.Utc).AddTicks(1234567);
    private static readonly Guid Id = Guid.Parse("6f1c7a5e-8a4b-4c1e-9a55-0b3c2d1e0f99");

    private static void Everything(KakashiLogger logger) => logger.Everything(-7, 1L << 40, 1.5, 12.25m, true, "a\"b\\c\n", 'x', When,
        new DateTimeOffset(When).ToOffset(TimeSpan.FromHours(2)), TimeSpan.FromMinutes(90), Id, Side.Sell, 5, null, new DateOnly(2026, 12, 1),
        new TimeOnly(10, 30, 45), 0.25f, (Half)2.5);

    [Fact]
    public async Task Kakashi_fields_keep_each_property_s_json_type()
    {
        var e = Assert.Single(await Log(new JsonFormatter(), Everything));
        Assert.Equal(JsonValueKind.String, e.GetProperty("Timestamp").ValueKind);
        Assert.True(DateTime.TryParseExact(e.GetProperty("Timestamp").GetString(), "yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture, DateTimeStyles.None, out _));
        Assert.Equal("Warning", e.GetProperty("Level").GetString());
        Assert.Equal("Orders.Engine", e.GetProperty("Category").GetString());
        Assert.Equal(42, e.GetProperty("EventId").GetInt32());
        Assert.Equal("Everything", e.GetProperty("EventName").GetString());
        Assert.StartsWith("All {I} {L}", e.GetProperty("MessageTemplate").GetString());
        Assert.StartsWith("All -7 1099511627776 1.5 12.25 True a\"b\\c\n x ", e.GetProperty("Message").GetString());
        var p = e.GetProperty("Properties");
        Assert.Equal(-7, p.GetProperty("I").GetInt32());
        Assert.Equal(1L << 40, p.GetProperty("L").GetInt64());
        Assert.Equal(1.5, p.GetProperty("D").GetDouble());
        Assert.Equal(12.25m, p.GetProperty("M").GetDecimal());
        Assert.Equal(JsonValueKind.True, p.GetProperty("B").ValueKind);
        Assert.Equal("a\"b\\c\n", p.GetProperty("S").GetString());
        Assert.Equal("x", p.GetProperty("C").GetString());
        Assert.Equal(When, p.GetProperty("When").GetDateTime());
        Assert.Equal("2026-12-01T12:30:45.1234567+02:00", p.GetProperty("Offset").GetString());
        Assert.Equal("01:30:00", p.GetProperty("Span").GetString());
        Assert.Equal(Id, p.GetProperty("Id").GetGuid());
        Assert.Equal("Sell", p.GetProperty("Side").GetString());
        Assert.Equal(5, p.GetProperty("Maybe").GetInt32());
        Assert.Equal(JsonValueKind.Null, p.GetProperty("None").ValueKind);
        Assert.Equal("2026-12-01", p.GetProperty("Day").GetString());
        Assert.Equal("10:30:45.0000000", p.GetProperty("Time").GetString());
        Assert.Equal(0.25, p.GetProperty("F").GetDouble());
        Assert.Equal(2.5, p.GetProperty("H").GetDouble());
        Assert.False(e.TryGetProperty("Exception", out _));
    }

    [Theory]
    [InlineData(double.NaN, "NaN")]
    [InlineData(double.PositiveInfinity, "Infinity")]
    [InlineData(double.NegativeInfinity, "-Infinity")]
    public async Task NaN_and_infinities_are_strings(double value, string text)
    {
        var e = Assert.Single(await Log(new JsonFormatter(), l => l.AtName("s", value)));
        Assert.Equal(text, e.GetProperty("Properties").GetProperty("V").GetString());
    }

    [Fact]
    public async Task Exceptions_carry_type_message_stack_and_inner_exceptions()
    {
        Exception error;
        try { Throw(); } catch (Exception e) { error = e; }
        var line = Assert.Single(await Log(new JsonFormatter(), l => l.Broke("it", error)));
        var x = line.GetProperty("Exception");
        Assert.Equal("System.InvalidOperationException", x.GetProperty("Type").GetString());
        Assert.Equal("outer\nline two", x.GetProperty("Message").GetString());
        Assert.Contains(nameof(Throw), x.GetProperty("StackTrace").GetString());
        var inner = Assert.Single(x.GetProperty("InnerExceptions").EnumerateArray());
        Assert.Equal("System.ArgumentException", inner.GetProperty("Type").GetString());
        Assert.Equal("inner", inner.GetProperty("Message").GetString());
        Assert.False(line.GetProperty("Properties").TryGetProperty("Error", out _)); // the exception is not also a property

        var clef = Assert.Single(await Log(new JsonFormatter { Fields = JsonFieldSet.Clef }, l => l.Broke("it", error)));
        Assert.Equal(error.ToString(), clef.GetProperty("@x").GetString());
        var ecs = Assert.Single(await Log(new JsonFormatter { Fields = JsonFieldSet.Ecs }, l => l.Broke("it", error)));
        Assert.Equal("System.InvalidOperationException", ecs.GetProperty("error.type").GetString());
        Assert.Equal("outer\nline two", ecs.GetProperty("error.message").GetString());
        Assert.Equal(error.ToString(), ecs.GetProperty("error.stack_trace").GetString());

        static void Throw()
        {
            try { throw new ArgumentException("inner"); }
            catch (Exception e) { throw new InvalidOperationException("outer\nline two", e); }
        }
    }

    [Fact]
    public async Task Clef_uses_the_reserved_names_and_escapes_at_names()
    {
        using var source = new ActivitySource("kakashi-json-test");
        using var listener = new ActivityListener { ShouldListenTo = s => s.Name == source.Name, Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllData };
        ActivitySource.AddActivityListener(listener);
        using var activity = source.StartActivity("op")!;
        var lines = await Log(new JsonFormatter { Fields = JsonFieldSet.Clef }, l =>
        {
            l.AtName("at", 3);
            l.Everything(1, 2, 3, 4, false, null, 'c', When, default, default, Id, Side.Buy, null, null, default, default, 0, default);
        }, c => c.Enrichers = [new ActivityEnricher(), new ThreadEnricher()]);
        var first = lines[0];
        Assert.Equal("Value {@Special} {V}", first.GetProperty("@mt").GetString());
        Assert.Equal("Value at 3", first.GetProperty("@m").GetString());
        Assert.False(first.TryGetProperty("@l", out _)); // Information is CLEF's default
        Assert.Equal("at", first.GetProperty("@@Special").GetString()); // CLEF: a property named @x is written @@x
        Assert.Equal(3, first.GetProperty("V").GetDouble());
        Assert.Equal(activity.TraceId.ToHexString(), first.GetProperty("@tr").GetString());
        Assert.Equal(activity.SpanId.ToHexString(), first.GetProperty("@sp").GetString());
        Assert.Equal("Orders.Engine", first.GetProperty("SourceContext").GetString());
        Assert.Equal(JsonValueKind.Number, first.GetProperty("ThreadId").ValueKind);
        Assert.False(first.TryGetProperty("TraceId", out _));
        var second = lines[1];
        Assert.Equal("Warning", second.GetProperty("@l").GetString());
        Assert.Equal(42, second.GetProperty("@i").GetInt32());
        Assert.Equal("Everything", second.GetProperty("EventId").GetProperty("Name").GetString());
        Assert.Equal(JsonValueKind.Null, second.GetProperty("S").ValueKind);
        Assert.DoesNotContain(lines.SelectMany(l => l.EnumerateObject()), p => p.Name.StartsWith('@') && !new[] { "@t", "@mt", "@m", "@l", "@x", "@i", "@tr", "@sp", "@@Special" }.Contains(p.Name));

        var noMessage = Assert.Single(await Log(new JsonFormatter { Fields = JsonFieldSet.Clef, IncludeMessage = false }, l => l.AtName("at", 3)));
        Assert.False(noMessage.TryGetProperty("@m", out _));
        Assert.True(noMessage.TryGetProperty("@mt", out _));
    }

    [Fact]
    public async Task Ecs_puts_each_field_where_the_schema_says()
    {
        using var source = new ActivitySource("kakashi-json-ecs");
        using var listener = new ActivityListener { ShouldListenTo = s => s.Name == source.Name, Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllData };
        ActivitySource.AddActivityListener(listener);
        using var activity = source.StartActivity("op")!;
        var e = Assert.Single(await Log(new JsonFormatter { Fields = JsonFieldSet.Ecs }, Everything,
            c => c.Enrichers = [new ActivityEnricher(), new ThreadEnricher(), new MachineNameEnricher(), new PropertiesEnricher(("Region", "eu-1"))]));
        var names = e.EnumerateObject().Select(p => p.Name).ToArray();
        Assert.Equal(["@timestamp", "log.level", "message"], names[..3]); // ecs-logging: these three first
        Assert.Equal(JsonFormatter.EcsVersion, e.GetProperty("ecs.version").GetString());
        Assert.Equal("Warning", e.GetProperty("log.level").GetString());
        Assert.Equal("Orders.Engine", e.GetProperty("log.logger").GetString());
        Assert.Equal("42", e.GetProperty("event.code").GetString());
        Assert.Equal("Everything", e.GetProperty("event.action").GetString());
        Assert.Equal(activity.TraceId.ToHexString(), e.GetProperty("trace.id").GetString());
        Assert.Equal(activity.SpanId.ToHexString(), e.GetProperty("span.id").GetString());
        Assert.True(e.GetProperty("process.thread.id").GetInt32() > 0);
        Assert.Equal(Environment.MachineName, e.GetProperty("host.name").GetString());
        Assert.Equal("eu-1", e.GetProperty("labels").GetProperty("Region").GetString());
        var k = e.GetProperty("kakashi");
        Assert.StartsWith("All {I}", k.GetProperty("message_template").GetString());
        Assert.Equal(-7, k.GetProperty("properties").GetProperty("I").GetInt32());
        Assert.Equal("Sell", k.GetProperty("properties").GetProperty("Side").GetString());
    }

    [Fact]
    public async Task Enricher_properties_are_typed_and_never_duplicate_a_template_property()
    {
        using var scope = default(IDisposable);
        var e = Assert.Single(await Log(new JsonFormatter(), l =>
        {
            using (l.BeginScope("RequestId", 17)) l.AtName("x", 1);
        }, c => c.Enrichers = [new ThreadEnricher(), new ScopeEnricher(), new PropertiesEnricher(("V", "enricher"))]));
        var p = e.GetProperty("Properties");
        Assert.Equal(JsonValueKind.Number, p.GetProperty("ThreadId").ValueKind);
        Assert.Equal("17", p.GetProperty("RequestId").GetString());
        Assert.Equal(1, p.GetProperty("V").GetDouble()); // the template's V, not the enricher's
        Assert.Single(p.EnumerateObject(), q => q.Name == "V");
    }

    public static IEnumerable<object[]> Hostile() =>
    [
        ["\0"], ["\u001b[31mred\u001b[0m"], ["line\nfake: {\"@t\":1}"], ["\r\n"], ["\u0085\u2028\u2029"], ["\"\\\"\\"], ["\ud800"], ["x\udc00y"],
        ["\ud83d\ude00 ok"], ["\u007f\u0080\u009f"], ["</script>"], [new string('\u00e9', 100)], [""],
    ];

    [Theory]
    [MemberData(nameof(Hostile))]
    public async Task Every_line_is_valid_json_for_hostile_values(string value)
    {
        foreach (var fields in new[] { JsonFieldSet.Kakashi, JsonFieldSet.Clef, JsonFieldSet.Ecs })
        {
            var lines = await Log(new JsonFormatter { Fields = fields }, l =>
            {
                l.Text(value);
                l.Span(value.AsSpan());
                l.Tagged(new Tagged(value, 1));
            });
            Assert.Equal(3, lines.Length);
            string expected = Replaced(value);
            var text = lines[0];
            var props = fields switch { JsonFieldSet.Kakashi => text.GetProperty("Properties"), JsonFieldSet.Ecs => text.GetProperty("kakashi").GetProperty("properties"), _ => text };
            Assert.Equal(expected, props.GetProperty("Text").GetString());
        }
    }

    [Fact]
    public async Task Property_names_that_need_escaping_are_valid_in_every_field_set()
    {
        string weird = "we\"ird\nna\\me\u001b\u2028";
        foreach (var fields in new[] { JsonFieldSet.Kakashi, JsonFieldSet.Clef, JsonFieldSet.Ecs })
        {
            var e = Assert.Single(await Log(new JsonFormatter { Fields = fields }, l => l.AtName("x", 1),
                c => c.Enrichers = [new PropertiesEnricher((weird, "v\"1"), ("@at", "2"))]));
            var holder = fields switch { JsonFieldSet.Kakashi => e.GetProperty("Properties"), JsonFieldSet.Ecs => e.GetProperty("labels"), _ => e };
            Assert.Equal("v\"1", holder.GetProperty(weird).GetString());
            Assert.Equal("2", holder.GetProperty(fields == JsonFieldSet.Clef ? "@@at" : "@at").GetString()); // CLEF: @ doubled
        }
    }

    [Fact]
    public async Task A_megabyte_string_is_one_valid_line()
    {
        string big = string.Concat(Enumerable.Repeat("ab\"\n\u2028c", 1 << 17)); // 1 Mi chars
        var e = Assert.Single(await Log(new JsonFormatter(), l => l.Text(big), c => c.BufferSize = 4 << 20));
        string value = e.GetProperty("Properties").GetProperty("Text").GetString()!;
        Assert.StartsWith("ab\"\n\u2028c", value);
        Assert.True(value.Length > 100_000);
    }

    [Fact]
    public async Task Constant_messages_and_escaped_categories_are_valid()
    {
        var writer = new TestWriter();
        await using (var pipeline = new AsyncPipeline(new AsyncPipelineConfig { Formatter = new JsonFormatter(), Writers = [writer], FlushOnProcessExit = false }))
        {
            pipeline.CreateLogger("bad\"cat\n\u001b").Constant();
            await pipeline.FlushAllAsync();
        }
        var e = JsonDocument.Parse(writer.Lines.Single(l => l.Contains("Plain constant"))).RootElement;
        Assert.Equal("bad\"cat\n\u001b", e.GetProperty("Category").GetString());
        Assert.Equal("Plain constant text", e.GetProperty("Message").GetString());
        Assert.False(e.TryGetProperty("Properties", out _));
    }

    /// <summary>Random strings over the characters that break JSON, against System.Text.Json's reading of the result.</summary>
    [Fact]
    public void Escaping_random_strings_always_reads_back_as_the_input()
    {
        var random = new Random(20261201);
        char[] alphabet = ['a', 'Z', '0', ' ', '"', '\\', '/', '\n', '\r', '\t', '\b', '\f', '\0', '\u001b', '\u007f', '\u0085', '\u009b', '\u00e9', '\u2028', '\u2029', '\u4e2d', '\ud83d', '\ude00', '\ufffd', '\uffff', '<', '&', '\''];
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        for (int n = 0; n < 20_000; n++)
        {
            int length = random.Next(0, 40);
            var chars = new char[length];
            for (int i = 0; i < length; i++) chars[i] = random.Next(4) == 0 ? (char)random.Next(0, 0x10000) : alphabet[random.Next(alphabet.Length)];
            string s = new(chars);
            foreach (bool utf8 in new[] { false, true })
            {
                buffer.ResetWrittenCount();
                var w = new Utf8Writer(buffer);
                w.Write((byte)'"');
                if (utf8) Formatting.JsonEscaping.WriteUtf8(ref w, Encoding.UTF8.GetBytes(s));
                else Formatting.JsonEscaping.WriteUtf16(ref w, s);
                w.Write((byte)'"');
                w.Commit();
                var reader = new Utf8JsonReader(buffer.WrittenSpan);
                Assert.True(reader.Read());
                Assert.Equal(Replaced(s), reader.GetString());
                Assert.Equal(-1, buffer.WrittenSpan.IndexOfAny((byte)'\n', (byte)'\r')); // never a raw line break
            }
        }
        // invalid UTF-8 bytes become U+FFFD
        buffer.ResetWrittenCount();
        var writer = new Utf8Writer(buffer);
        writer.Write((byte)'"');
        Formatting.JsonEscaping.WriteUtf8(ref writer, [0x61, 0xFF, 0xC3, 0x28, 0xE2, 0x82, 0x62]);
        writer.Write((byte)'"');
        writer.Commit();
        var r = new Utf8JsonReader(buffer.WrittenSpan);
        r.Read();
        Assert.Equal("a\ufffd\ufffd(\ufffdb", r.GetString());
    }

    [Theory]
    [InlineData("0", true)] [InlineData("-12.5e+3", true)] [InlineData("1E9", true)] [InlineData("NaN", false)] [InlineData("Infinity", false)]
    [InlineData("-", false)] [InlineData("01", false)] [InlineData("1.", false)] [InlineData("1e", false)] [InlineData("1,5", false)] [InlineData("", false)]
    public void Json_numbers_are_recognised_strictly(string text, bool number)
        => Assert.Equal(number, Formatting.JsonEscaping.IsJsonNumber(Encoding.UTF8.GetBytes(text)));

    /// <summary>What a string reads back as after a UTF-8 trip: lone surrogates become U+FFFD.</summary>
    private static string Replaced(string s) => Encoding.UTF8.GetString(Encoding.UTF8.GetBytes(s));
}
