using System;
using System.Buffers;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Kakashi.Runtime.Tests.Parity;
using Microsoft.Extensions.Logging;

namespace Kakashi.Runtime.Tests;

/// <summary>Reads .klog files back through the runtime's formatters (what `kakashi decode` does).</summary>
internal static class Klog
{
    /// <summary>Every record of <paramref name="path"/> formatted by <paramref name="formatter"/>, concatenated.</summary>
    public static byte[] Decode(string path, LogFormatter formatter, Action<KlogReader>? check = null)
    {
        using var reader = KlogReader.Open(path);
        var output = new ArrayBufferWriter<byte>(1 << 16);
        while (reader.MoveNext())
        {
            var w = new Utf8Writer(output);
            formatter.Format(reader.Current, ref w);
            w.Commit();
        }
        check?.Invoke(reader);
        return output.WrittenSpan.ToArray();
    }

    /// <summary>The number of records in <paramref name="path"/>; asserts the file has no damage.</summary>
    public static long Count(string path)
    {
        using var reader = KlogReader.Open(path);
        while (reader.MoveNext())
        {
        }
        Assert.Empty(reader.Damage);
        Assert.Equal(0, reader.PendingBytes);
        return reader.RecordsRead;
    }

    public static string Text(byte[] bytes) => new UTF8Encoding(false).GetString(bytes);

    public static string TempFolder()
    {
        string folder = Path.Combine(Path.GetTempPath(), "kakashi-tests", "klog-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        return folder;
    }
}

/// <summary>
/// The binary log's promise: decoding a .klog with a formatter gives, byte for byte, what that formatter wrote live — for
/// every argument type and template shape (the MEL parity cases), exceptions, enrichers' properties, trace ids, event ids,
/// thread names and the pipeline's own records.
/// </summary>
public sealed class BinaryLogParityTests
{
    private const string FullText = "{Timestamp:O} {Timestamp:local} [{Level,-11}] {Level:u3} {Category}({EventId}:{EventName}) t{ThreadId}/{ThreadName} " +
        "{TraceId}/{SpanId} {Message} |{Properties}|{NewLine}{Exception}";

    public static TheoryData<string> Formatters() => new(["text", "text-unescaped", "json", "clef", "ecs", "json-lean"]);

    private static LogFormatter Make(string name) => name switch
    {
        "text" => new TextFormatter(FullText),
        "text-unescaped" => new TextFormatter("{Timestamp:yyyy-MM-dd HH:mm:ss.fff} {Message}\u001e{Exception}") { EscapeControlCharacters = false },
        "json" => new JsonFormatter(),
        "clef" => new JsonFormatter { Fields = JsonFieldSet.Clef },
        "ecs" => new JsonFormatter { Fields = JsonFieldSet.Ecs },
        "json-lean" => new JsonFormatter { IncludeMessage = false },
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

    /// <summary>Every parity case and every typed method, logged once through a pipeline writing text (or JSON) and .klog at once.</summary>
    [Theory]
    [MemberData(nameof(Formatters))]
    public async Task Decoded_klog_equals_live_output(string formatter)
    {
        string folder = Klog.TempFolder();
        string path = Path.Combine(folder, "app.klog");
        var live = new FixedBufferWriter(1 << 20) { Formatter = Make(formatter) };
        using var source = new ActivitySource("klog-parity");
        using var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name == "klog-parity",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
        };
        ActivitySource.AddActivityListener(listener);
        var pipeline = new AsyncPipeline(new AsyncPipelineConfig
        {
            MinLevel = LogLevel.Trace,
            Writers = [live, new BinaryLogWriter(path)],
            Enrichers = [new ScopeEnricher(), new ActivityEnricher(), new PropertiesEnricher(("service", "checkout"), ("region", "eu \"west\""))],
            FlushOnProcessExit = false,
        });
        await using (pipeline)
        {
            await LogEverything(pipeline, source);
            var m = pipeline.GetMetrics();
            Assert.True(m.Writers[1].Written == m.Writers[0].Written && m.Writers[1].Failed == 0 && m.Writers[1].Dropped == 0,
                $"live: {m.Writers[0].Written} written; klog: {m.Writers[1].Written} written, {m.Writers[1].Failed} failed, {m.Writers[1].Dropped} dropped; format errors {m.FormatErrors}");
        }
        string expected = Klog.Text(Encoding.UTF8.GetBytes(live.Text));
        string decoded = Klog.Text(Klog.Decode(path, Make(formatter), r => Assert.Empty(r.Damage)));
        Assert.True(expected.Length > 10_000, "the live output is suspiciously short");
        AssertSameLines(expected, decoded);
    }

    /// <summary>
    /// The raw path (only .klog writers, no filter or enricher: the drain copies records without decoding them) writes what
    /// the decoding path writes: the same calls through a text pipeline and a raw .klog pipeline render alike (without
    /// timestamps, which differ between the two runs).
    /// </summary>
    [Fact]
    public async Task Raw_path_decodes_to_what_a_text_pipeline_writes()
    {
        const string template = "[{Level}] {Category} {EventId}:{EventName} {Message}|{NewLine}{Exception}";
        string folder = Klog.TempFolder();
        string path = Path.Combine(folder, "raw.klog");
        var live = new FixedBufferWriter(1 << 20) { Formatter = new TextFormatter(template) };
        await using (var text = new AsyncPipeline(new AsyncPipelineConfig { MinLevel = LogLevel.Trace, Writers = [live], FlushOnProcessExit = false }))
        {
            await LogEverything(text, null);
        }
        await using (var raw = new AsyncPipeline(new AsyncPipelineConfig { MinLevel = LogLevel.Trace, Writers = [new BinaryLogWriter(path)], FlushOnProcessExit = false }))
        {
            Assert.True(raw.UsesRawBinaryPath, "a pipeline of .klog writers alone takes the raw path");
            await LogEverything(raw, null);
        }
        string decoded = Klog.Text(Klog.Decode(path, new TextFormatter(template), r => Assert.Empty(r.Damage)));
        AssertSameLines(Klog.Text(Encoding.UTF8.GetBytes(live.Text)), decoded);
    }

    /// <summary>
    /// Records of one template in a row are stored as differences from the one before (delta mode): extremes, wrap-arounds,
    /// nulls, repeated and changed strings (lone surrogates included), NaN and negative zero, DateTime kinds — decoded exactly.
    /// </summary>
    [Fact]
    public async Task Consecutive_records_of_a_template_decode_exactly_at_the_extremes()
    {
        string path = Path.Combine(Klog.TempFolder(), "delta.klog");
        var formatter = new TextFormatter("{Message}|{NewLine}") { EscapeControlCharacters = false };
        var live = new FixedBufferWriter(1 << 20) { Formatter = formatter };
        await using (var pipeline = new AsyncPipeline(new AsyncPipelineConfig { MinLevel = LogLevel.Trace, Writers = [live, new BinaryLogWriter(path)], FlushOnProcessExit = false }))
        {
            var l = pipeline.CreateLogger("Delta");
            foreach (int v in new[] { int.MaxValue, int.MinValue, 0, -1, int.MaxValue, int.MaxValue }) l.Int(v);
            foreach (long v in new[] { long.MinValue, long.MaxValue, 0, long.MinValue }) l.Long(v);
            foreach (ulong v in new ulong[] { ulong.MaxValue, 0, ulong.MaxValue, 1 }) l.ULong(v);
            foreach (uint v in new[] { uint.MaxValue, 0u, uint.MaxValue }) l.UInt(v);
            foreach (short v in new[] { short.MinValue, short.MaxValue, (short)0 }) l.Short(v);
            foreach (ushort v in new[] { ushort.MaxValue, (ushort)0, ushort.MaxValue }) l.UShort(v);
            foreach (char v in new[] { '\uffff', '\0', 'a', 'a' }) l.Char(v);
            foreach (double v in new[] { double.NaN, double.NaN, -0.0, 0.0, 0.0, double.MaxValue, double.Epsilon }) l.Double(v);
            foreach (string? v in new[] { null, null, "a", "a", "", "", "\ud800 lone", "\ud800 lone", "ascii", "non-ASCII é", "non-ASCII é", null })
                l.Text(v);
            foreach (var v in new[] { DateTime.MinValue, DateTime.MaxValue, new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Local), new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc), DateTime.MinValue })
                l.DateTime(v);
            foreach (var v in new[] { TimeSpan.MinValue, TimeSpan.MaxValue, TimeSpan.Zero }) l.TimeSpan(v);
            foreach (int? v in new int?[] { null, 1, 1, null, int.MinValue }) l.NullableInt(v);
            for (int i = 0; i < 3; i++) l.OrderFilled(i, 100, 101.25, "MSFT");
        }
        string decoded = Klog.Text(Klog.Decode(path, formatter, r => Assert.Empty(r.Damage)));
        AssertSameLines(Klog.Text(Encoding.UTF8.GetBytes(live.Text)), decoded);
        Assert.Contains("Text (null)|", decoded, StringComparison.Ordinal);
    }

    private static void AssertSameLines(string expected, string actual)
    {
        if (expected == actual) return;
        string[] e = expected.Split('\n'), a = actual.Split('\n');
        var report = new StringBuilder();
        int differences = 0;
        for (int i = 0; i < Math.Min(e.Length, a.Length); i++)
        {
            if (e[i] == a[i] || ++differences > 12) continue;
            report.Append(CultureInfo.InvariantCulture, $"line {i} differs:\nlive:    {e[i]}\ndecoded: {a[i]}\n");
        }
        Assert.True(differences == 0, $"{differences} lines differ:\n{report}");
        Assert.Equal(e.Length, a.Length);
        Assert.Equal(expected, actual);
    }

    private static async Task LogEverything(AsyncPipeline pipeline, ActivitySource? source)
    {
        var logger = pipeline.CreateLogger("Parity.Category");
        var other = pipeline.CreateLogger("Other \"quoted\" category");
        foreach (var c in ParityCases.All.Values)
        {
            if (c.Name.Contains("Throwing", StringComparison.Ordinal)) continue;
            c.Kakashi(c.Name.GetHashCode(StringComparison.Ordinal) % 3 == 0 ? other : logger);
        }
        // every type of the typed methods, levels, event ids and names, exceptions with inner exceptions and stack traces
        LogTypes(logger);
        Exception error;
        try
        {
            try
            {
                throw new InvalidOperationException("inner \"quoted\"\nsecond line");
            }
            catch (Exception inner)
            {
                throw new ApplicationException("outer failure", inner);
            }
        }
        catch (Exception e)
        {
            error = e;
        }
        logger.Broke("the disk", error);
        logger.Failed("no error", null);
        logger.Failed("with error", error);
        logger.Broke("aggregate", new AggregateException("many", new ArgumentException("a"), new TimeoutException("b")));
        // on another thread with a name, in scopes, under an activity
        var thread = new Thread(() =>
        {
            using (logger.BeginScope("RequestId", 42))
            using (logger.BeginScope("User", "ann \"the\" admin"))
            {
                logger.Int(1);
                using var activity = source?.StartActivity("span");
                logger.Everything(1, 2, 3.5, 4.25m, true, "s", 'c', new DateTime(2024, 2, 29, 13, 45, 30, DateTimeKind.Utc), DateTimeOffset.UnixEpoch,
                    TimeSpan.FromMinutes(90), Guid.Empty, Side.Sell, 5, null, new DateOnly(2024, 1, 2), new TimeOnly(3, 4, 5), 1.5f, (Half)2.5);
                logger.Text("under the activity");
            }
            logger.Text("after the scopes");
        }) { Name = "worker \"one\"" };
        thread.Start();
        thread.Join();
        // a value whose ToString throws (rendered as the failure, and reported)
        logger.Throwing(new Throwing());
        await pipeline.FlushAllAsync();
    }

    private static void LogTypes(KakashiLogger l)
    {
        l.OrderFilled(1, 100, 101.25, "MSFT");
        l.Seq(2, 3);
        l.DebugValue(4);
        l.Dynamic(LogLevel.Critical, 5);
        l.Dynamic(LogLevel.Trace, 6);
        l.NoHoles();
        l.Text("text \u001b[31m red \r\n and a lone \ud800 surrogate");
        l.Text(null);
        l.Text(new string('x', 5000));
        l.Span("span text");
        l.TwoStrings("a", "");
        l.Bool(true);
        l.Byte(255);
        l.SByte(-128);
        l.Short(short.MinValue);
        l.UShort(ushort.MaxValue);
        l.Int(int.MinValue);
        l.UInt(uint.MaxValue);
        l.Long(long.MaxValue);
        l.ULong(ulong.MaxValue);
        l.Float(float.Epsilon);
        l.Double(Math.PI);
        l.Decimal(-79228162514264337593543950335m);
        l.Char('€');
        l.NInt(nint.MinValue);
        l.Half((Half)0.333);
        l.Int128(Int128.MaxValue);
        l.DateTime(new DateTime(2026, 12, 2, 1, 2, 3, 456, DateTimeKind.Local));
        l.DateTimeOffset(new DateTimeOffset(2026, 12, 2, 1, 2, 3, TimeSpan.FromHours(-7.5)));
        l.TimeSpan(TimeSpan.MinValue);
        l.Guid(Guid.Parse("0f8fad5b-d9cb-469f-a165-70867728950e"));
        l.Enum(Side.Sell);
        l.Enum((Side)17);
        l.Flags(Permissions.Read | Permissions.Execute);
        l.NullableInt(null);
        l.NullableInt(0);
        l.NullableDate(new DateTime(2000, 1, 1));
        l.NullableDate(null);
        l.NullableEnum(Side.Buy);
        l.NullableEnum(null);
        l.Tagged(new Tagged("tag", 7));
        l.Price(new Price(12345));
        l.Object(new Order(9));
        l.Object(null);
        l.Keywords("kw", 1);
        decimal m = 1.5m;
        var g = Guid.Empty;
        l.InParameters(in m, in g);
        new FieldHolder(l).Tick(1.1m, 1.2m);
        new Outer<int>.Inner(l).Warn(3);
        new OrderRecord(l).Create(8);
        l.AtName("special", double.NaN);
        l.Constant();
    }
}
