using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Numerics;
using System.Text;
using System.Threading.Tasks;
using Microsoft.Extensions.Logging;

namespace Kakashi.Runtime.Tests.Parity;

/// <summary>
/// Format parity: for every case, the message Kakashi renders (generated [KakashiLog] method, raw bytes through the ring,
/// rendered by the drain, read back from the file) must equal the message Microsoft.Extensions.Logging renders for the same
/// template and arguments (<c>LoggerMessage.Define</c>, i.e. what a [LoggerMessage] method produces).
/// </summary>
/// <remarks>
/// The MEL message is compared after a UTF-8 round trip: a lone surrogate becomes U+FFFD in any UTF-8 output (MEL's file or
/// console providers included), which is what Kakashi writes. Nothing else is normalised.
/// </remarks>
public sealed class FormatParityTests(ParityFixture fixture) : IClassFixture<ParityFixture>
{
    public static TheoryData<string> Cases() => new(ParityCases.All.Keys);

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Kakashi_renders_what_MEL_renders(string name)
    {
        var c = ParityCases.All[name];
        string expected, actual;
        var previousCulture = CultureInfo.CurrentCulture;
        var previousDefault = CultureInfo.DefaultThreadCurrentCulture;
        if (c.Culture is not null)
        {
            // The calling thread gets the culture, and so does the drain thread (it never sets its own culture, so it
            // reads DefaultThreadCurrentCulture): both sides must still render with the invariant culture.
            var culture = CultureInfo.GetCultureInfo(c.Culture);
            CultureInfo.CurrentCulture = culture;
            CultureInfo.DefaultThreadCurrentCulture = culture;
        }
        try
        {
            // read Kakashi's record before rendering with MEL: a case whose MEL side throws must not leave it to the next case
            c.Kakashi(fixture.Log.Logger);
            actual = await fixture.ReadNextRecordAsync();
            expected = Mel.Utf8RoundTrip(c.Mel());
        }
        finally
        {
            CultureInfo.CurrentCulture = previousCulture;
            CultureInfo.DefaultThreadCurrentCulture = previousDefault;
        }
        Assert.Equal(expected, actual);
    }

    /// <summary>
    /// Alignment of non-ASCII text (3 UTF-8 bytes per char, shorter than the width in chars) whose bytes nearly fill the span
    /// the writer hands out: through a writer with a fixed 64 KiB buffer, the 5531-char prefix leaves 60005 bytes for the
    /// 60000 bytes of text, and the 10 chars of padding must still fit. Deterministic, whatever the file writer's buffer size.
    /// </summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Aligned_non_ASCII_text_filling_the_writer_span(bool right)
    {
        string prefix = new('p', 5531);
        string euros = new('€', 20000);
        var writer = new FixedBufferWriter(64 * 1024);
        var pipeline = new AsyncPipeline(new AsyncPipelineConfig
        {
            MinLevel = LogLevel.Trace,
            Formatter = new TextFormatter("{Message}" + ParityFixture.Separator) { EscapeControlCharacters = false },
            Writers = [writer],
            FlushOnProcessExit = false,
        });
        await using (pipeline)
        {
            var logger = pipeline.CreateLogger("Parity");
            if (right) logger.AlignUnicodeOverflowRight(prefix, euros);
            else logger.AlignUnicodeOverflowLeft(prefix, euros);
            await pipeline.FlushAllAsync().WaitAsync(TimeSpan.FromSeconds(10));
            string expected = right ? Mel.Render(T.AlignUnicodeOverflowRight, prefix, euros) : Mel.Render(T.AlignUnicodeOverflowLeft, prefix, euros);
            Assert.Equal(expected + ParityFixture.Separator, writer.Text);
        }
    }

    [Fact]
    public void The_catalog_has_enough_cases()
    {
        Assert.True(ParityCases.All.Count >= 60, $"{ParityCases.All.Count} cases");
    }
}

/// <summary>One pipeline shared by the cases of the class: each case logs one record, flushes and reads what was appended.</summary>
public sealed class ParityFixture : IAsyncLifetime
{
    /// <summary>Ends each record: messages may contain new lines, never this control character.</summary>
    internal const char Separator = '\u001e';

    private long _read;

    /// <summary>Escaping off: MEL writes control characters in values as they are, and so must Kakashi then.</summary>
    internal TempLog Log { get; } = new TempLog(configure: c => c.Formatter = new TextFormatter("{Message}" + Separator) { EscapeControlCharacters = false });

    /// <summary>The message of the one record written since the last call (the text before the separator).</summary>
    internal async Task<string> ReadNextRecordAsync()
    {
        await Log.Pipeline.FlushAllAsync().WaitAsync(TimeSpan.FromSeconds(10));
        byte[] bytes;
        using (var stream = new FileStream(Log.Path_, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete))
        {
            stream.Position = _read;
            bytes = new byte[stream.Length - _read];
            stream.ReadExactly(bytes);
        }
        _read += bytes.Length;
        string text = new UTF8Encoding(false).GetString(bytes);
        // a record the drain failed to format leaves no separator (and maybe part of the message): shown as is
        return text.Length > 0 && text[^1] == Separator ? text[..^1] : "<<no complete record>>" + text;
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await Log.DisposeAsync();
}

/// <summary>A writer keeping what it is given in memory (the batches the drain formats, in order).</summary>
internal sealed class FixedBufferWriter(int capacity) : LogWriter
{
    private readonly MemoryStream _flushed = new(capacity);

    public string Text
    {
        get
        {
            lock (_flushed) return new UTF8Encoding(false).GetString(_flushed.ToArray());
        }
    }

    protected internal override void Open(WriterContext context)
    {
    }

    protected internal override System.Threading.Tasks.ValueTask WriteAsync(LogBatch batch, System.Threading.CancellationToken cancellationToken)
    {
        lock (_flushed) _flushed.Write(batch.Bytes.Span);
        return default;
    }

    protected internal override System.Threading.Tasks.ValueTask FlushAsync(System.Threading.CancellationToken cancellationToken) => default;

    public override System.Threading.Tasks.ValueTask DisposeAsync() => default;
}

internal sealed record ParityCase(string Name, Action<KakashiLogger> Kakashi, Func<string> Mel, string? Culture = null);

/// <summary>Renders a template with MEL's own machinery: <c>LoggerMessage.Define</c> binds values by hole position.</summary>
internal static class Mel
{
    private static readonly EventId Id = new(1);

    public static string Render(string template)
    {
        var log = LoggerMessage.Define(LogLevel.Information, Id, template);
        return Capture(l => log(l, null));
    }

    public static string Render<T1>(string template, T1 a, Exception? exception = null)
    {
        var log = LoggerMessage.Define<T1>(LogLevel.Information, Id, template);
        return Capture(l => log(l, a, exception));
    }

    public static string Render<T1, T2>(string template, T1 a, T2 b, Exception? exception = null)
    {
        var log = LoggerMessage.Define<T1, T2>(LogLevel.Information, Id, template);
        return Capture(l => log(l, a, b, exception));
    }

    public static string Render<T1, T2, T3>(string template, T1 a, T2 b, T3 c)
    {
        var log = LoggerMessage.Define<T1, T2, T3>(LogLevel.Information, Id, template);
        return Capture(l => log(l, a, b, c, null));
    }

    public static string Render<T1, T2, T3, T4>(string template, T1 a, T2 b, T3 c, T4 d)
    {
        var log = LoggerMessage.Define<T1, T2, T3, T4>(LogLevel.Information, Id, template);
        return Capture(l => log(l, a, b, c, d, null));
    }

    public static string Render<T1, T2, T3, T4, T5>(string template, T1 a, T2 b, T3 c, T4 d, T5 e)
    {
        var log = LoggerMessage.Define<T1, T2, T3, T4, T5>(LogLevel.Information, Id, template);
        return Capture(l => log(l, a, b, c, d, e, null));
    }

    public static string Render<T1, T2, T3, T4, T5, T6>(string template, T1 a, T2 b, T3 c, T4 d, T5 e, T6 f)
    {
        var log = LoggerMessage.Define<T1, T2, T3, T4, T5, T6>(LogLevel.Information, Id, template);
        return Capture(l => log(l, a, b, c, d, e, f, null));
    }

    /// <summary>Same value in every hole (a parameter used by all the holes of the template).</summary>
    public static string RenderSix<T1>(string template, T1 v) => Render(template, v, v, v, v, v, v);

    public static string Utf8RoundTrip(string text) => Encoding.UTF8.GetString(Encoding.UTF8.GetBytes(text));

    private static string Capture(Action<ILogger> call)
    {
        var logger = new CaptureLogger();
        call(logger);
        return logger.Message ?? throw new InvalidOperationException("MEL did not log");
    }

    private sealed class CaptureLogger : ILogger
    {
        public string? Message { get; private set; }

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            => Message = formatter(state, exception);
    }
}

/// <summary>The cases, by topic. Each value is written once and handed to both sides.</summary>
internal static class ParityCases
{
    public static readonly IReadOnlyDictionary<string, ParityCase> All = Build();

    private static Dictionary<string, ParityCase> Build()
    {
        var all = new Dictionary<string, ParityCase>(StringComparer.Ordinal);
        foreach (var c in Alignment().Concat(StandardNumeric()).Concat(CustomNumeric()).Concat(DateAndTime()).Concat(GuidEnumBoolChar())
            .Concat(Nullables()).Concat(Strings()).Concat(Escapes()).Concat(Binding()).Concat(UserValueTypes()).Concat(ReferenceTypes())
            .Concat(Cultures()))
        {
            all.Add(c.Name, c); // throws on a duplicate name
        }
        return all;
    }

    private static ParityCase C(string name, Action<KakashiLogger> kakashi, Func<string> mel, string? culture = null) => new(name, kakashi, mel, culture);

    // ------------------------------------------------------------------ alignment: positive, negative, wider/narrower, strings, numbers, null
    private static IEnumerable<ParityCase> Alignment()
    {
        var texts = new (string Label, string? Value)[]
        {
            ("shorter", "abc"), ("exact width", "12345678"), ("wider than width", "abcdefghijkl"), ("empty", ""), ("null", null),
            ("emoji (2 UTF-16 chars)", "😀"), ("combining mark", "e\u0301"), ("CJK", "日本語"),
        };
        foreach (var (label, text) in texts)
        {
            yield return C($"align right string {label}", l => l.AlignString(text), () => Mel.Render(T.AlignString, text));
            yield return C($"align left string {label}", l => l.AlignStringLeft(text), () => Mel.Render(T.AlignStringLeft, text));
        }
        foreach (int count in new[] { 42, -12345, 1234567 })
            yield return C($"align int {count}", l => l.AlignInt(count), () => Mel.Render(T.AlignInt, count, count, count, count));
        foreach (double price in new[] { 1234.5678, -0.5 })
            yield return C($"align double with format {price.ToString(CultureInfo.InvariantCulture)}", l => l.AlignDouble(price), () => Mel.Render(T.AlignDouble, price, price, price));
        foreach (int? amount in new int?[] { 7, null })
            yield return C($"align nullable int {(amount is null ? "null" : "7")}", l => l.AlignNullable(amount), () => Mel.Render(T.AlignNullable, amount, amount, amount));

        var when = new DateTime(2024, 2, 29, 13, 45, 30, DateTimeKind.Utc);
        var id = Guid.Parse("0f8fad5b-d9cb-469f-a165-70867728950e");
        yield return C("align bool, enum, date, guid", l => l.AlignOther(true, Color.Blue, when, id), () => Mel.Render(T.AlignOther, true, Color.Blue, when, id));
        yield return C("align bool, undefined enum, min date, empty guid", l => l.AlignOther(false, (Color)9, DateTime.MinValue, Guid.Empty),
            () => Mel.Render(T.AlignOther, false, (Color)9, DateTime.MinValue, Guid.Empty));
        foreach (string? text in new[] { "ab", null })
            yield return C($"align with spaces around name and width ({text ?? "null"})", l => l.AlignSpaces(text), () => Mel.Render(T.AlignSpaces, text, text));
    }

    // ------------------------------------------------------------------ standard numeric formats: C D E F G N P R X, precisions, edge values
    private static IEnumerable<ParityCase> StandardNumeric()
    {
        foreach (int v in new[] { 255, -255, 0, int.MinValue, int.MaxValue })
        {
            yield return C($"int C D D8 E X x8 {v}", l => l.Int1(v), () => Mel.RenderSix(T.Int1, v));
            yield return C($"int F F3 G N N0 P {v}", l => l.Int2(v), () => Mel.RenderSix(T.Int2, v));
        }
        foreach (long v in new[] { long.MaxValue, long.MinValue, 0L })
            yield return C($"long D20 X16 N0 E3 C2 {v}", l => l.Long1(v), () => Mel.RenderSix(T.Long1, v));

        var doubles = new (string Label, double Value)[]
        {
            ("1234.5678", 1234.5678), ("-0.000123", -0.000123), ("NaN", double.NaN), ("+Infinity", double.PositiveInfinity),
            ("-Infinity", double.NegativeInfinity), ("-0.0", -0.0), ("MaxValue", double.MaxValue), ("Epsilon", double.Epsilon), ("0.1+0.2", 0.1 + 0.2),
        };
        foreach (var (label, v) in doubles)
        {
            yield return C($"double C C0 E e2 F F4 {label}", l => l.Double1(v), () => Mel.RenderSix(T.Double1, v));
            yield return C($"double G G3 G17 N N1 P {label}", l => l.Double2(v), () => Mel.RenderSix(T.Double2, v));
            yield return C($"double P0 R default {label}", l => l.Double3(v), () => Mel.Render(T.Double3, v, v, v));
        }

        var floats = new (string Label, float Value)[] { ("3.14159", 3.14159f), ("MaxValue", float.MaxValue), ("-1.5e-10", -1.5e-10f), ("NaN", float.NaN), ("-Infinity", float.NegativeInfinity) };
        foreach (var (label, v) in floats)
            yield return C($"float default R G9 F2 E N3 {label}", l => l.Float1(v), () => Mel.RenderSix(T.Float1, v));

        var decimals = new (string Label, decimal Value)[] { ("1234.5678", 1234.5678m), ("-0.0001", -0.0001m), ("MaxValue", decimal.MaxValue), ("MinValue", decimal.MinValue), ("1.10 (trailing zero)", 1.10m) };
        foreach (var (label, v) in decimals)
            yield return C($"decimal default C F2 N4 E P1 {label}", l => l.Decimal1(v), () => Mel.RenderSix(T.Decimal1, v));

        yield return C("byte short sbyte ushort extremes", l => l.Small(255, short.MinValue, sbyte.MinValue, ushort.MaxValue),
            () => Mel.Render(T.Small, (byte)255, (byte)255, short.MinValue, short.MinValue, sbyte.MinValue, ushort.MaxValue));
        yield return C("byte short sbyte ushort zero", l => l.Small(0, 0, 0, 0),
            () => Mel.Render(T.Small, (byte)0, (byte)0, (short)0, (short)0, (sbyte)0, (ushort)0));
        yield return C("uint ulong Int128 nint extremes", l => l.Wide(uint.MaxValue, ulong.MaxValue, Int128.MinValue, nint.MinValue),
            () => Mel.Render(T.Wide, uint.MaxValue, ulong.MaxValue, ulong.MaxValue, Int128.MinValue, Int128.MinValue, nint.MinValue));
        yield return C("uint ulong Int128 nint small", l => l.Wide(7, 42, 12345, -1),
            () => Mel.Render(T.Wide, 7u, 42ul, 42ul, (Int128)12345, (Int128)12345, (nint)(-1)));
        yield return C("Half UInt128 nuint Complex", l => l.Other((Half)3.1415, UInt128.MaxValue, nuint.MaxValue, new Complex(1.5, -2)),
            () => Mel.Render(T.Other, (Half)3.1415, (Half)3.1415, UInt128.MaxValue, nuint.MaxValue, new Complex(1.5, -2)));
        yield return C("Half NaN, UInt128 zero, Complex infinity", l => l.Other(Half.NaN, UInt128.Zero, 0, new Complex(double.PositiveInfinity, double.NaN)),
            () => Mel.Render(T.Other, Half.NaN, Half.NaN, UInt128.Zero, (nuint)0, new Complex(double.PositiveInfinity, double.NaN)));
    }

    // ------------------------------------------------------------------ custom numeric formats: digits, groups, exponent, percent, permille, sections
    private static IEnumerable<ParityCase> CustomNumeric()
    {
        foreach (double v in new[] { 1234567.891, -1234.5, 0.0, 0.00042 })
        {
            string label = v.ToString("R", CultureInfo.InvariantCulture);
            yield return C($"double #,##0.00 0.###E+0 00000 {label}", l => l.CustomDouble1(v), () => Mel.Render(T.CustomDouble1, v, v, v));
            yield return C($"double percent permille sections {label}", l => l.CustomDouble2(v), () => Mel.Render(T.CustomDouble2, v, v, v));
        }
        foreach (int v in new[] { 42, -42, 0 })
            yield return C($"int 00000 #,##0 sections #% quoted {v}", l => l.CustomInt(v), () => Mel.RenderSix(T.CustomInt, v));
    }

    // ------------------------------------------------------------------ DateTime, DateTimeOffset, DateOnly, TimeOnly, TimeSpan
    private static IEnumerable<ParityCase> DateAndTime()
    {
        var dates = new (string Label, DateTime Value)[]
        {
            ("UTC with ticks", new DateTime(2024, 2, 29, 13, 45, 30, 123, DateTimeKind.Utc).AddTicks(4567)),
            ("unspecified", new DateTime(1999, 12, 31, 23, 59, 59, DateTimeKind.Unspecified)),
            ("local", new DateTime(2030, 7, 4, 6, 5, 4, DateTimeKind.Local)),
            ("MinValue", DateTime.MinValue),
            ("MaxValue", DateTime.MaxValue),
        };
        foreach (var (label, v) in dates)
        {
            yield return C($"DateTime d D f F g G {label}", l => l.Date1(v), () => Mel.RenderSix(T.Date1, v));
            yield return C($"DateTime M O R s t T {label}", l => l.Date2(v), () => Mel.RenderSix(T.Date2, v));
            yield return C($"DateTime u U Y default custom {label}", l => l.Date3(v), () => Mel.RenderSix(T.Date3, v));
            yield return C($"DateTime K zzz {label}", l => l.DateKind(v), () => Mel.Render(T.DateKind, v, v, v));
        }

        var offsets = new (string Label, DateTimeOffset Value)[]
        {
            ("+05:30", new DateTimeOffset(2024, 2, 29, 13, 45, 30, 123, TimeSpan.FromMinutes(330))),
            ("-08:00", new DateTimeOffset(2001, 1, 1, 0, 0, 0, TimeSpan.FromHours(-8))),
            ("UTC", new DateTimeOffset(2024, 12, 31, 23, 59, 59, 999, TimeSpan.Zero)),
        };
        foreach (var (label, v) in offsets)
            yield return C($"DateTimeOffset default O zzz custom R u {label}", l => l.Offset1(v), () => Mel.RenderSix(T.Offset1, v));

        var day = new DateOnly(2024, 2, 29);
        var time = new TimeOnly(13, 45, 30, 123);
        yield return C("DateOnly TimeOnly", l => l.DateOnlyTimeOnly(day, time), () => Mel.Render(T.DateOnlyTimeOnly, day, day, day, time, time, time));
        yield return C("DateOnly TimeOnly extremes", l => l.DateOnlyTimeOnly(DateOnly.MinValue, TimeOnly.MaxValue),
            () => Mel.Render(T.DateOnlyTimeOnly, DateOnly.MinValue, DateOnly.MinValue, DateOnly.MinValue, TimeOnly.MaxValue, TimeOnly.MaxValue, TimeOnly.MaxValue));

        var spans = new (string Label, TimeSpan Value)[]
        {
            ("1.02:03:04.567", new TimeSpan(1, 2, 3, 4, 567)), ("negative", TimeSpan.FromSeconds(-1.5)), ("zero", TimeSpan.Zero),
            ("MaxValue", TimeSpan.MaxValue), ("MinValue", TimeSpan.MinValue),
        };
        foreach (var (label, v) in spans)
        {
            yield return C($"TimeSpan default c g G hh:mm %d {label}", l => l.Span1(v), () => Mel.RenderSix(T.Span1, v));
            yield return C($"TimeSpan custom and aligned c {label}", l => l.Span2(v), () => Mel.Render(T.Span2, v, v));
        }
    }

    // ------------------------------------------------------------------ Guid, enums, bool, char, Rune
    private static IEnumerable<ParityCase> GuidEnumBoolChar()
    {
        foreach (var g in new[] { Guid.Parse("0f8fad5b-d9cb-469f-a165-70867728950e"), Guid.Empty })
            yield return C($"Guid N D B P X {g}", l => l.Guids(g), () => Mel.RenderSix(T.Guids, g));

        foreach (var v in new[] { Color.Green, (Color)42, (Color)(-1) })
            yield return C($"enum G D X F {(int)v}", l => l.Enum1(v), () => Mel.Render(T.Enum1, v, v, v, v, v));
        foreach (var v in new[] { Perm.Read | Perm.Write, Perm.All, Perm.None, (Perm)8, Perm.Read | (Perm)16 })
            yield return C($"flags enum G D X F {(int)v}", l => l.Flags1(v), () => Mel.Render(T.Flags1, v, v, v, v, v));
        yield return C("byte and long enums", l => l.SmallEnums(ByteCode.Ten, WideCode.Huge), () => Mel.Render(T.SmallEnums, ByteCode.Ten, ByteCode.Ten, ByteCode.Ten, WideCode.Huge, WideCode.Huge));
        yield return C("byte and long enums undefined", l => l.SmallEnums((ByteCode)7, (WideCode)(-5)), () => Mel.Render(T.SmallEnums, (ByteCode)7, (ByteCode)7, (ByteCode)7, (WideCode)(-5), (WideCode)(-5)));

        var boolChars = new (string Label, bool Flag, char Letter)[]
        {
            ("true A", true, 'A'), ("false é", false, 'é'), ("brace", true, '{'), ("NUL", false, '\0'),
            ("lone high surrogate", true, '\uD83D'),
        };
        foreach (var (label, flag, letter) in boolChars)
            yield return C($"bool and char {label}", l => l.BoolChar(flag, letter), () => Mel.Render(T.BoolChar, flag, flag, flag, letter, letter, letter));

        foreach (var (label, rune) in new[] { ("emoji", new Rune(0x1F600)), ("ASCII", new Rune('A')) })
            yield return C($"Rune {label}", l => l.RuneText(rune), () => Mel.Render(T.RuneText, rune, rune, rune));
    }

    // ------------------------------------------------------------------ nullable with value and null
    private static IEnumerable<ParityCase> Nullables()
    {
        int? i = -7;
        double? d = 2.5;
        DateTime? when = new DateTime(2024, 2, 29, 0, 0, 0, DateTimeKind.Utc);
        Guid? id = Guid.Parse("0f8fad5b-d9cb-469f-a165-70867728950e");
        Color? color = Color.Red;
        yield return C("nullables with values", l => l.Nullables1(i, d, when, id, color), () => Mel.Render(T.Nullables1, i, i, d, when, id, color));
        yield return C("nullables null", l => l.Nullables1(null, null, null, null, null),
            () => Mel.Render(T.Nullables1, (int?)null, (int?)null, (double?)null, (DateTime?)null, (Guid?)null, (Color?)null));

        bool? flag = false;
        char? letter = 'z';
        TimeSpan? span = TimeSpan.FromMinutes(90);
        DateTimeOffset? offset = new DateTimeOffset(2024, 2, 29, 1, 2, 3, TimeSpan.FromHours(2));
        ByteCode? code = ByteCode.Max;
        yield return C("nullables 2 with values", l => l.Nullables2(flag, letter, span, offset, code), () => Mel.Render(T.Nullables2, flag, letter, span, offset, code));
        yield return C("nullables 2 null", l => l.Nullables2(null, null, null, null, null),
            () => Mel.Render(T.Nullables2, (bool?)null, (char?)null, (TimeSpan?)null, (DateTimeOffset?)null, (ByteCode?)null));
    }

    // ------------------------------------------------------------------ strings: null, empty, unicode, emoji, RTL, combining, huge; spans
    private static IEnumerable<ParityCase> Strings()
    {
        var texts = new (string Label, string? Value)[]
        {
            ("null", null), ("empty", ""), ("accents", "héllo wörld"), ("CJK", "日本語テキスト"),
            ("emoji surrogate pairs, ZWJ, skin tone, flag", "👍🏽 👨‍👩‍👧 🇯🇵 😀"), ("RTL Hebrew and Arabic", "שלום עולם مرحبا بالعالم"),
            ("combining marks", "e\u0301 a\u0308 n\u0303 Z\u0351\u0360"), ("lone surrogates", "x\uD800y\uDC00z"),
            ("braces in the value", "{not a hole} {0} {{ }}"), ("control chars and new lines", "line1\nline2\r\nline3\ttab\u0007"),
            ("100 KB ASCII", new string('x', 100 * 1024) + "end"), ("100 KB non-ASCII", new string('ü', 100 * 1024) + "end"),
        };
        foreach (var (label, text) in texts)
            yield return C($"string {label}", l => l.Text(text), () => Mel.Render(T.Text, text));

        yield return C("string with a format (ignored) and alignment", l => l.TextFormatted("abc"), () => Mel.Render(T.TextFormatted, "abc", "abc"));
        yield return C("string null with a format and alignment", l => l.TextFormatted(null), () => Mel.Render(T.TextFormatted, (string?)null, (string?)null));
        yield return C("unicode literals in the template", l => l.UnicodeLiterals("mid"), () => Mel.Render(T.UnicodeLiterals, "mid"));

        var spans = new (string Label, string Value)[] { ("abc", "abc"), ("empty", ""), ("emoji", "a😀b") };
        foreach (var (label, s) in spans)
            yield return C($"ReadOnlySpan<char> {label}", l => l.Chars(s.AsSpan()), () => Mel.Render(T.Chars, s, s, s));
        string sentence = "hello wonderful world";
        yield return C("ReadOnlySpan<char> slice of a string", l => l.Chars(sentence.AsSpan(6, 9)), () => Mel.Render(T.Chars, sentence[6..15], sentence[6..15], sentence[6..15]));
        yield return C("Span<char>", l => l.MutableChars("mutable".ToCharArray()), () => Mel.Render(T.MutableChars, "mutable"));

        string big = new('y', 100 * 1024);
        yield return C("100 KB string right-aligned to 110000", l => l.BigTextAligned(big), () => Mel.Render(T.BigTextAligned, big));
        string bigEmoji = string.Concat(Enumerable.Repeat("😀", 25600));
        yield return C("100 KB emoji string right-aligned to 51210", l => l.BigEmojiAligned(bigEmoji), () => Mel.Render(T.BigEmojiAligned, bigEmoji));
    }

    // ------------------------------------------------------------------ brace escapes, templates without holes
    private static IEnumerable<ParityCase> Escapes()
    {
        yield return C("escaped braces before a hole", l => l.EscapedLiteral(5), () => Mel.Render(T.EscapedLiteral, 5));
        yield return C("escaped braces around a hole", l => l.EscapedAroundHole(5), () => Mel.Render(T.EscapedAroundHole, 5));
        yield return C("escaped closing then opening brace", l => l.EscapedReversed(5), () => Mel.Render(T.EscapedReversed, 5));
        yield return C("quadruple braces with holes", l => l.EscapedQuad(5), () => Mel.Render(T.EscapedQuad, 5, 5));
        yield return C("no holes, escaped braces", l => l.NoHolesWithBraces(), () => Mel.Render(T.NoHolesWithBraces));
        yield return C("no holes, quadruple braces", l => l.NoHolesQuadBraces(), () => Mel.Render(T.NoHolesQuadBraces));
        yield return C("no holes, plain text", l => l.NoHolesPlain(), () => Mel.Render(T.NoHolesPlain));
    }

    // ------------------------------------------------------------------ binding: same parameter twice, order, case, level and exception holes
    private static IEnumerable<ParityCase> Binding()
    {
        foreach (double price in new[] { 12.5, -0.001 })
            yield return C($"same parameter in four holes {price.ToString(CultureInfo.InvariantCulture)}", l => l.SameTwice(price), () => Mel.Render(T.SameTwice, price, price, price, price));
        yield return C("holes in another order than the parameters", l => l.Reordered(1, "two", 3.5), () => Mel.Render(T.Reordered, 3.5, 1, "two"));
        yield return C("hole names bind case-insensitively", l => l.CaseInsensitive(987654321012), () => Mel.Render(T.CaseInsensitive, 987654321012, 987654321012, 987654321012));
        foreach (var level in new[] { LogLevel.Warning, LogLevel.Critical })
            yield return C($"a hole on the level parameter {level}", l => l.LevelHole(level, 3), () => Mel.Render(T.LevelHole, level, 3));

        var error = new InvalidOperationException("boom");
        var nested = new ArgumentException("outer", new FormatException("inner"));
        yield return C("exception in a hole", l => l.ExceptionHole(error), () => Mel.Render<Exception?, Exception?>(T.ExceptionHole, error, error, error));
        yield return C("exception with inner exception in a hole", l => l.ExceptionHole(nested), () => Mel.Render<Exception?, Exception?>(T.ExceptionHole, nested, nested, nested));
        yield return C("null exception in a hole", l => l.ExceptionHole(null), () => Mel.Render<Exception?, Exception?>(T.ExceptionHole, null, null));
        yield return C("empty format and zero alignment", l => l.EmptyFormat(1.25), () => Mel.Render(T.EmptyFormat, 1.25, 1.25, 1.25));
    }

    // ------------------------------------------------------------------ user value types: ISpanFormattable, IUtf8SpanFormattable, holding references
    private static IEnumerable<ParityCase> UserValueTypes()
    {
        foreach (var p in new[] { new Vec2(1.5, -2.25), new Vec2(double.NaN, 1e21) })
            yield return C($"unmanaged ISpanFormattable struct {p}", l => l.SpanFormattable(p), () => Mel.Render(T.SpanFormattable, p, p, p));
        foreach (var t in new[] { new Celsius(21.456), new Celsius(-40) })
            yield return C($"unmanaged IUtf8SpanFormattable struct {t}", l => l.Utf8Formattable(t), () => Mel.Render(T.Utf8Formattable, t, t, t));

        var label = new Label("MixedCase");
        yield return C("struct holding a reference, no format", l => l.FormattedOnCaller(label), () => Mel.Render(T.FormattedOnCaller, label, label));
        yield return C("struct holding a reference, empty text", l => l.FormattedOnCaller(new Label("")), () => Mel.Render(T.FormattedOnCaller, new Label(""), new Label("")));
        yield return C("struct holding a reference, with a format", l => l.FormattedOnCallerWithFormat(label), () => Mel.Render(T.FormattedOnCallerWithFormat, label, label));
        yield return C("struct holding a reference, two holes with different formats", l => l.FormattedTwoFormats(label), () => Mel.Render(T.FormattedTwoFormats, label, label));
        Label? someLabel = label;
        yield return C("nullable struct holding a reference, with a format", l => l.NullableFormattedOnCaller(someLabel), () => Mel.Render(T.NullableFormattedOnCaller, someLabel));
        yield return C("nullable struct holding a reference, null", l => l.NullableFormattedOnCaller(null), () => Mel.Render(T.NullableFormattedOnCaller, (Label?)null));

        var small = BigInteger.Parse("-123456789012345678901234567890", CultureInfo.InvariantCulture);
        yield return C("BigInteger N0 and default", l => l.BigInt(small), () => Mel.Render(T.BigInt, small, small));
        var huge = BigInteger.Pow(10, 1500) + 7; // formatted output longer than 1024 bytes
        yield return C("BigInteger with 1501 digits", l => l.BigInt(huge), () => Mel.Render(T.BigInt, huge, huge));
        yield return C("BigInteger two holes with different formats", l => l.BigIntTwoFormats(small), () => Mel.Render(T.BigIntTwoFormats, small, small));

        Vec2? point = new Vec2(0.25, 4);
        yield return C("nullable unmanaged ISpanFormattable struct", l => l.NullableVector(point), () => Mel.Render(T.NullableVector, point));
        yield return C("nullable unmanaged ISpanFormattable struct null", l => l.NullableVector(null), () => Mel.Render(T.NullableVector, (Vec2?)null));
    }

    // ------------------------------------------------------------------ reference types: ToString() on the caller, and what MEL formats specially
    private static IEnumerable<ParityCase> ReferenceTypes()
    {
        var customer = new Customer(42, "Zoë");
        yield return C("reference type ToString", l => l.Reference(customer), () => Mel.Render(T.Reference, customer, customer));
        yield return C("reference type null", l => l.Reference(null), () => Mel.Render(T.Reference, (Customer?)null, (Customer?)null));
        var uri = new Uri("https://example.com/a b?q=ü");
        var version = new Version(1, 2, 3, 4);
        var builder = new StringBuilder("built ").Append(42);
        yield return C("Uri, Version, StringBuilder", l => l.Uris(uri, version, builder), () => Mel.Render(T.Uris, uri, version, builder));

        // MEL renders an IEnumerable argument as its items joined by ", " (null items as "(null)")
        var list = new List<string?> { "a", null, "c" };
        yield return C("IEnumerable argument (list)", l => l.Enumerable(list), () => Mel.Render<IEnumerable<string?>>(T.Enumerable, list));
        var array = new[] { "x", "y" };
        yield return C("IEnumerable argument (array)", l => l.Enumerable(array), () => Mel.Render<IEnumerable<string?>>(T.Enumerable, array));

        // string.Format calls IFormattable.ToString(format, InvariantCulture) on reference types too
        var money = new Money(1234.5m, "EUR");
        yield return C("IFormattable reference type with a format", l => l.Formattable(money), () => Mel.Render(T.Formattable, money, money));
        yield return C("IFormattable reference type, no format, de-DE", l => l.FormattableNoFormat(money), () => Mel.Render(T.FormattableNoFormat, money), "de-DE");

        // MEL renders sequence items that are IFormattable with the invariant culture, others with ToString()
        var numbers = new List<double> { 1.5, -2.25, double.NaN };
        yield return C("IEnumerable<double> argument", l => l.Numbers(numbers), () => Mel.Render<IEnumerable<double>?, IEnumerable<double>?>(T.Numbers, numbers, numbers));
        yield return C("IEnumerable<double> argument, de-DE", l => l.Numbers(numbers), () => Mel.Render<IEnumerable<double>?, IEnumerable<double>?>(T.Numbers, numbers, numbers), "de-DE");
        yield return C("IEnumerable argument, empty", l => l.Numbers([]), () => Mel.Render<IEnumerable<double>?, IEnumerable<double>?>(T.Numbers, Array.Empty<double>(), Array.Empty<double>()));
        yield return C("IEnumerable argument, null", l => l.Numbers(null), () => Mel.Render<IEnumerable<double>?, IEnumerable<double>?>(T.Numbers, null, null));
        var map = new Dictionary<string, int?> { ["a"] = 1, ["b"] = null };
        yield return C("dictionary argument", l => l.Map(map), () => Mel.Render(T.Map, map));

        // string.Format writes nothing for a ToString() that returns null (it is not a null argument)
        var nullText = new NullText();
        yield return C("reference type whose ToString() returns null", l => l.NullToString(nullText), () => Mel.Render(T.NullToString, nullText, nullText));
        var nullFormattable = new NullFormattable();
        yield return C("IFormattable reference type whose ToString(format, provider) returns null", l => l.NullFormattableText(nullFormattable),
            () => Mel.Render(T.NullToString, nullFormattable, nullFormattable));

        // object parameters: the runtime type decides (IFormattable with the format and the invariant culture, else ToString())
        var objects = new (string Label, object? Value)[] { ("double", 1234.5), ("decimal", -0.5m), ("string", "text"), ("null", null), ("DateTime", new DateTime(2024, 2, 29, 1, 2, 3, DateTimeKind.Utc)), ("Customer", customer) };
        foreach (var (label, value) in objects)
        {
            yield return C($"object parameter holding {label}", l => l.Objects(value), () => Mel.Render(T.Objects, value, value, value));
            yield return C($"object parameter holding {label}, fr-FR", l => l.Objects(value), () => Mel.Render(T.Objects, value, value, value), "fr-FR");
        }

        // value types holding references that are not span-formattable: ToString(), or IFormattable with the format
        var pair = new KeyValuePair<string, int>("k", 1);
        (int, string?) tuple = (7, null);
        var named = new Named("Zoë");
        yield return C("KeyValuePair, ValueTuple, IFormattable struct", l => l.PlainStructs(pair, tuple, named), () => Mel.Render(T.PlainStructs, pair, tuple, named));
    }

    // ------------------------------------------------------------------ culture-sensitive values under de-DE, fr-FR, tr-TR, th-TH (Buddhist calendar)
    private static IEnumerable<ParityCase> Cultures()
    {
        double d = 1234567.891;
        decimal m = -9876.54m;
        var dt = new DateTime(2024, 2, 29, 13, 45, 30, DateTimeKind.Utc);
        float f = 0.125f;
        var ts = new TimeSpan(1, 2, 3, 4, 500);
        var dto = new DateTimeOffset(2024, 2, 29, 13, 45, 30, TimeSpan.FromHours(1));
        var probe = new CultureProbe(1234.5);
        foreach (string culture in new[] { "de-DE", "fr-FR", "tr-TR", "th-TH" })
        {
            yield return C($"culture {culture}: numbers and dates", l => l.Culture1(d, m, dt, f), () => Mel.Render(T.Culture1, d, d, m, dt, dt, f), culture);
            yield return C($"culture {culture}: TimeSpan, int, offset, bool, enum, ToString()", l => l.Culture2(ts, 1234567, dto, true, Color.Blue, probe),
                () => Mel.Render(T.Culture2, ts, 1234567, dto, true, Color.Blue, probe), culture);
        }
    }
}
