using System;
using System.Globalization;
using System.Threading.Tasks;
using Microsoft.Extensions.Logging;

namespace Kakashi.Runtime.Tests;

/// <summary>Every supported parameter type travels through the ring and renders as string.Format (invariant) renders it.</summary>
public class ArgumentTypeTests
{
    private static string F(string format, object? value) => string.Format(CultureInfo.InvariantCulture, format, value ?? "(null)");

    [Fact]
    public async Task Every_supported_type_renders_like_string_Format()
    {
        await using var log = new TempLog();
        var l = log.Logger;
        var now = new DateTime(2026, 11, 27, 20, 45, 52, 123, DateTimeKind.Utc).AddTicks(4567);
        var offset = new DateTimeOffset(2026, 11, 27, 21, 45, 52, TimeSpan.FromHours(1));
        var guid = System.Guid.Parse("0f8fad5b-d9cb-469f-a165-70867728950e");
        var expected = new[]
        {
            F("Bool {0}", true), F("Byte {0}", (byte)200), F("SByte {0}", (sbyte)-100), F("Short {0}", (short)-30000), F("UShort {0}", (ushort)60000),
            F("Int {0}", int.MinValue), F("UInt {0}", uint.MaxValue), F("Long {0}", long.MinValue), F("ULong {0}", ulong.MaxValue),
            F("Float {0}", 3.14159f), F("Double {0:F3}", Math.PI), F("Decimal {0}", 79228162514264337593543950335m), F("Char {0}", 'é'),
            F("NInt {0}", (nint)(-42)), F("Half {0}", (Half)1.5), F("Int128 {0}", System.Int128.MaxValue),
            F("DateTime {0:O}", now), F("DateTimeOffset {0:O}", offset), F("TimeSpan {0}", System.TimeSpan.FromMilliseconds(90061001)), F("Guid {0}", guid),
            F("Enum {0}", Side.Sell), F("Flags {0}", Permissions.Read | Permissions.Write), F("NullableInt {0}", (int?)7), F("NullableInt {0}", null),
            F("NullableDate {0:yyyy-MM-dd}", (DateTime?)now), F("NullableDate {0:yyyy-MM-dd}", null), F("NullableEnum {0}", (Side?)Side.Buy), F("NullableEnum {0}", null),
            F("Tagged {0}", new Tagged("t", 5)), F("Price {0:F1}", new Price(12345)), F("Object {0}", new Order(9)), F("Object {0}", null),
            F("Text {0}", null), F("Text {0}", ""), "Span ab😀c", string.Format(CultureInfo.InvariantCulture, "Keyword {0} {1}", "e", 3),
            "In 1.5 " + guid, "No holes at all",
        };
        l.Bool(true); l.Byte(200); l.SByte(-100); l.Short(-30000); l.UShort(60000);
        l.Int(int.MinValue); l.UInt(uint.MaxValue); l.Long(long.MinValue); l.ULong(ulong.MaxValue);
        l.Float(3.14159f); l.Double(Math.PI); l.Decimal(79228162514264337593543950335m); l.Char('é');
        l.NInt(-42); l.Half((Half)1.5); l.Int128(System.Int128.MaxValue);
        l.DateTime(now); l.DateTimeOffset(offset); l.TimeSpan(System.TimeSpan.FromMilliseconds(90061001)); l.Guid(guid);
        l.Enum(Side.Sell); l.Flags(Permissions.Read | Permissions.Write); l.NullableInt(7); l.NullableInt(null);
        l.NullableDate(now); l.NullableDate(null); l.NullableEnum(Side.Buy); l.NullableEnum(null);
        l.Tagged(new Tagged("t", 5)); l.Price(new Price(12345)); l.Object(new Order(9)); l.Object(null);
        l.Text(null); l.Text(""); l.Span("ab😀c".AsSpan()); l.Keywords("e", 3);
        decimal d = 1.5m;
        l.InParameters(in d, in guid); l.NoHoles();

        var lines = await log.ReadLinesAsync();
        Assert.Equal(expected, lines);
    }

    [Fact]
    public async Task Exception_parameter_is_rendered_after_the_message()
    {
        await using var log = new TempLog("{Message}{NewLine}{Exception}");
        var error = new InvalidOperationException("boom");
        log.Logger.Failed("checkout", error);
        log.Logger.Failed("no error", null);
        string text = await log.ReadAsync();
        Assert.Equal("Failed checkout\n" + error + "\nFailed no error\n", text);
    }

    [Fact]
    public async Task Level_parameter_sets_the_level_and_is_checked()
    {
        await using var log = new TempLog("{Level}: {Message}{NewLine}", LogLevel.Information);
        log.Logger.Dynamic(LogLevel.Debug, 1);
        log.Logger.Dynamic(LogLevel.Warning, 2);
        log.Logger.Dynamic(LogLevel.Critical, 3);
        Assert.Equal(["Warning: Dynamic 2", "Critical: Dynamic 3"], await log.ReadLinesAsync());
    }

    [Fact]
    public async Task Disabled_level_writes_nothing()
    {
        await using var log = new TempLog(minLevel: LogLevel.Information);
        log.Logger.DebugValue(1);
        log.Logger.Int(2);
        Assert.Equal(["Int 2"], await log.ReadLinesAsync());
        Assert.Equal(1, log.Pipeline.GetMetrics().LogsProcessed);
    }

    [Fact]
    public async Task Instance_methods_find_their_logger_in_fields_primary_constructors_and_records()
    {
        await using var log = new TempLog("{Level} {Category}: {Message}{NewLine}");
        new FieldHolder(log.Logger).Tick(1.25m, 1.5m);
        new Outer<string>.Inner(log.Pipeline.CreateLogger("Inner")).Warn(7);
        new OrderRecord(log.Logger).Create(11);
        Assert.Equal(["Information Test: Field 1.25/1.5", "Warning Inner: Inner 7", "Information Test: Record 11"], await log.ReadLinesAsync());
    }

    [Fact]
    public async Task A_throwing_ToString_never_escapes_the_logging_call()
    {
        await using var log = new TempLog();
        log.Logger.Throwing(new Throwing());
        log.Logger.Int(1);
        Assert.Equal(["Int 1"], await log.ReadLinesAsync());
        Assert.Equal(1, log.Pipeline.GetMetrics().LoggingErrors);
    }

    [Fact]
    public void A_null_logger_is_ignored()
    {
        KakashiLogger? none = null;
        none!.Int(1); // the generated level check treats null as disabled
    }
}

public class WideAlignmentTests
{
    [Fact]
    public async Task Alignment_of_long_non_ASCII_text_crossing_writer_chunks()
    {
        await using var log = new TempLog();
        string prefix = new('p', 5531);
        string euros = new('€', 20000);
        log.Logger.Aligned(prefix, euros);
        string expected = string.Format(System.Globalization.CultureInfo.InvariantCulture, "{0}{1,20010}|{1,-20010}|", prefix, euros);
        Assert.Equal([expected], await log.ReadLinesAsync());
    }
}

/// <summary>The renderer at the edge of a writer's span: a wide non-ASCII value whose padding does not fit in what is left.</summary>
public class RendererSpanEdgeTests
{
    private sealed class FixedSpans(int capacity) : System.Buffers.IBufferWriter<byte>
    {
        private readonly System.IO.MemoryStream _done = new();
        private readonly byte[] _buffer = new byte[capacity];
        private int _written;

        public string Text => System.Text.Encoding.UTF8.GetString(_done.ToArray()) + System.Text.Encoding.UTF8.GetString(_buffer, 0, _written);

        public void Advance(int count) => _written += count;

        public Memory<byte> GetMemory(int sizeHint = 0) => throw new NotSupportedException();

        public Span<byte> GetSpan(int sizeHint = 0)
        {
            if (_buffer.Length - _written < Math.Max(sizeHint, 1))
            {
                _done.Write(_buffer, 0, _written);
                _written = 0;
                if (sizeHint > _buffer.Length) throw new InvalidOperationException("larger than the buffer");
            }
            return _buffer.AsSpan(_written);
        }
    }

    [Theory]
    [InlineData(20010)]
    [InlineData(-20010)]
    public void Padding_of_wide_text_that_nearly_fills_the_span_is_not_lost(int alignment)
    {
        string prefix = new('p', 5531);
        string euros = new('€', 20000);
        var spans = new FixedSpans(64 * 1024);
        var writer = new Utf8Writer(spans);
        writer.Write(prefix.AsSpan());
        var data = new byte[4 + euros.Length * 2];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(data, euros.Length);
        System.Runtime.InteropServices.MemoryMarshal.AsBytes(euros.AsSpan()).CopyTo(data.AsSpan(4));
        Kakashi.Formatting.MessageRenderer.WriteArg(ref writer, Kakashi.Templates.ArgCodecs.String, data, alignment, null);
        writer.Commit();
        Assert.Equal(string.Format(System.Globalization.CultureInfo.InvariantCulture, "{0}{1," + alignment + "}", prefix, euros), spans.Text);
    }
}
