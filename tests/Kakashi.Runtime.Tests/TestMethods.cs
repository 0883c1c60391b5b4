using System;
using System.Globalization;
using Kakashi;
using Microsoft.Extensions.Logging;

namespace Kakashi.Runtime.Tests;

public enum Side { Buy, Sell }

[Flags]
public enum Permissions { None = 0, Read = 1, Write = 2, Execute = 4 }

/// <summary>A value type holding a reference: formatted on the calling thread.</summary>
public readonly struct Tagged(string tag, int value) : ISpanFormattable, IUtf8SpanFormattable
{
    public string ToString(string? format, IFormatProvider? formatProvider) => tag + ":" + value.ToString(format, formatProvider);
    public bool TryFormat(Span<char> destination, out int charsWritten, ReadOnlySpan<char> format, IFormatProvider? provider)
        => destination.TryWrite(provider, $"{tag}:{value}", out charsWritten);
    public bool TryFormat(Span<byte> utf8Destination, out int bytesWritten, ReadOnlySpan<char> format, IFormatProvider? provider)
    {
        // (Utf8.TryWrite with a string hole allocates in .NET 10: write the pieces by hand)
        bytesWritten = 0;
        if (System.Text.Unicode.Utf8.FromUtf16(tag, utf8Destination, out _, out int n) != System.Buffers.OperationStatus.Done || n >= utf8Destination.Length) return false;
        utf8Destination[n++] = (byte)':';
        if (!value.TryFormat(utf8Destination[n..], out int m, format, provider)) return false;
        bytesWritten = n + m;
        return true;
    }
    public override string ToString() => ToString(null, CultureInfo.InvariantCulture);
}

/// <summary>An unmanaged value type: copied raw, formatted on the drain.</summary>
public readonly struct Price(long mantissa) : ISpanFormattable
{
    public string ToString(string? format, IFormatProvider? formatProvider) => (mantissa / 100m).ToString(format, formatProvider);
    public bool TryFormat(Span<char> destination, out int charsWritten, ReadOnlySpan<char> format, IFormatProvider? provider)
        => (mantissa / 100m).TryFormat(destination, out charsWritten, format, provider);
}

public sealed class Order(int id)
{
    public override string ToString() => $"Order#{id}";
}

public sealed class Throwing
{
    public override string ToString() => throw new InvalidOperationException("ToString failed");
}

/// <summary>One log method per supported parameter type, plus the shapes the generator supports.</summary>
public static partial class Log
{
    [KakashiLog(LogLevel.Information, "Order {OrderId} filled {Quantity} at {Price} for {Symbol}", EventId = 1001)]
    public static partial void OrderFilled(this KakashiLogger logger, int orderId, int quantity, double price, string symbol);

    [KakashiLog(LogLevel.Information, "T{Thread} N{Seq}")]
    public static partial void Seq(this KakashiLogger logger, int thread, long seq);

    [KakashiLog(LogLevel.Debug, "Debug {Value}")]
    public static partial void DebugValue(this KakashiLogger logger, int value);

    [KakashiLog("Dynamic {Value}")]
    public static partial void Dynamic(this KakashiLogger logger, LogLevel level, int value);

    [KakashiLog(LogLevel.Information, "No holes at all")]
    public static partial void NoHoles(this KakashiLogger logger);

    [KakashiLog(LogLevel.Error, "Failed {What}")]
    public static partial void Failed(this KakashiLogger logger, string what, Exception? error);

    [KakashiLog(LogLevel.Information, "Text {Text}")]
    public static partial void Text(this KakashiLogger logger, string? text);

    [KakashiLog(LogLevel.Information, "Span {Text}")]
    public static partial void Span(this KakashiLogger logger, ReadOnlySpan<char> text);

    [KakashiLog(LogLevel.Information, "Two {A} {B}")]
    public static partial void TwoStrings(this KakashiLogger logger, string a, string b);

    [KakashiLog(LogLevel.Information, "Bool {V}")] public static partial void Bool(this KakashiLogger logger, bool v);
    [KakashiLog(LogLevel.Information, "Byte {V}")] public static partial void Byte(this KakashiLogger logger, byte v);
    [KakashiLog(LogLevel.Information, "SByte {V}")] public static partial void SByte(this KakashiLogger logger, sbyte v);
    [KakashiLog(LogLevel.Information, "Short {V}")] public static partial void Short(this KakashiLogger logger, short v);
    [KakashiLog(LogLevel.Information, "UShort {V}")] public static partial void UShort(this KakashiLogger logger, ushort v);
    [KakashiLog(LogLevel.Information, "Int {V}")] public static partial void Int(this KakashiLogger logger, int v);
    [KakashiLog(LogLevel.Information, "UInt {V}")] public static partial void UInt(this KakashiLogger logger, uint v);
    [KakashiLog(LogLevel.Information, "Long {V}")] public static partial void Long(this KakashiLogger logger, long v);
    [KakashiLog(LogLevel.Information, "ULong {V}")] public static partial void ULong(this KakashiLogger logger, ulong v);
    [KakashiLog(LogLevel.Information, "Float {V}")] public static partial void Float(this KakashiLogger logger, float v);
    [KakashiLog(LogLevel.Information, "Double {V:F3}")] public static partial void Double(this KakashiLogger logger, double v);
    [KakashiLog(LogLevel.Information, "Decimal {V}")] public static partial void Decimal(this KakashiLogger logger, decimal v);
    [KakashiLog(LogLevel.Information, "Char {V}")] public static partial void Char(this KakashiLogger logger, char v);
    [KakashiLog(LogLevel.Information, "NInt {V}")] public static partial void NInt(this KakashiLogger logger, nint v);
    [KakashiLog(LogLevel.Information, "Half {V}")] public static partial void Half(this KakashiLogger logger, Half v);
    [KakashiLog(LogLevel.Information, "Int128 {V}")] public static partial void Int128(this KakashiLogger logger, Int128 v);
    [KakashiLog(LogLevel.Information, "DateTime {V:O}")] public static partial void DateTime(this KakashiLogger logger, DateTime v);
    [KakashiLog(LogLevel.Information, "DateTimeOffset {V:O}")] public static partial void DateTimeOffset(this KakashiLogger logger, DateTimeOffset v);
    [KakashiLog(LogLevel.Information, "TimeSpan {V}")] public static partial void TimeSpan(this KakashiLogger logger, TimeSpan v);
    [KakashiLog(LogLevel.Information, "Guid {V}")] public static partial void Guid(this KakashiLogger logger, Guid v);
    [KakashiLog(LogLevel.Information, "Enum {V}")] public static partial void Enum(this KakashiLogger logger, Side v);
    [KakashiLog(LogLevel.Information, "Flags {V}")] public static partial void Flags(this KakashiLogger logger, Permissions v);
    [KakashiLog(LogLevel.Information, "NullableInt {V}")] public static partial void NullableInt(this KakashiLogger logger, int? v);
    [KakashiLog(LogLevel.Information, "NullableDate {V:yyyy-MM-dd}")] public static partial void NullableDate(this KakashiLogger logger, DateTime? v);
    [KakashiLog(LogLevel.Information, "NullableEnum {V}")] public static partial void NullableEnum(this KakashiLogger logger, Side? v);
    [KakashiLog(LogLevel.Information, "Tagged {V}")] public static partial void Tagged(this KakashiLogger logger, Tagged v);
    [KakashiLog(LogLevel.Information, "Price {V:F1}")] public static partial void Price(this KakashiLogger logger, Price v);
    [KakashiLog(LogLevel.Information, "Object {V}")] public static partial void Object(this KakashiLogger logger, Order? v);
    [KakashiLog(LogLevel.Information, "Throwing {V}")] public static partial void Throwing(this KakashiLogger logger, Throwing v);

    [KakashiLog(LogLevel.Information, "Keyword {Event} {Class}")]
    public static partial void Keywords(this KakashiLogger logger, string @event, int @class);

    [KakashiLog(LogLevel.Information, "In {Value} {Other}")]
    public static partial void InParameters(this KakashiLogger logger, in decimal value, ref readonly Guid other);
}

/// <summary>Instance form: the logger comes from a field.</summary>
public partial class FieldHolder(KakashiLogger logger)
{
    private readonly KakashiLogger _logger = logger;

    [KakashiLog(LogLevel.Information, "Field {Bid}/{Ask}")]
    public partial void Tick(decimal bid, decimal ask);
}

/// <summary>Instance form: the logger is a primary-constructor parameter; nested, generic, struct containers.</summary>
public partial class Outer<T>
{
    public partial struct Inner(KakashiLogger log)
    {
        [KakashiLog(LogLevel.Warning, "Inner {Value}")]
        internal partial void Warn(int value);
    }
}

public partial record OrderRecord(KakashiLogger Logger)
{
    [KakashiLog(LogLevel.Information, "Record {Id}")]
    private partial void Created(int id);

    public void Create(int id) => Created(id);
}

public static partial class WideLog
{
    [KakashiLog(LogLevel.Information, "{Prefix}{Text,20010}|{Text,-20010}|")]
    public static partial void Aligned(this KakashiLogger logger, string prefix, string text);
}

/// <summary>Methods the JSON formatter tests log through.</summary>
public static partial class JsonLog
{
    [KakashiLog(LogLevel.Warning, "All {I} {L} {D} {M} {B} {S} {C} {When} {Offset} {Span} {Id} {Side} {Maybe} {None} {Day} {Time} {F} {H}", EventId = 42, EventName = "Everything")]
    public static partial void Everything(this KakashiLogger logger, int i, long l, double d, decimal m, bool b, string? s, char c, DateTime when,
        DateTimeOffset offset, TimeSpan span, Guid id, Side side, int? maybe, int? none, DateOnly day, TimeOnly time, float f, Half h);

    [KakashiLog(LogLevel.Information, "Value {@Special} {V}")]
    public static partial void AtName(this KakashiLogger logger, string special, double v);

    [KakashiLog(LogLevel.Error, "Broke {What}", EventId = 7)]
    public static partial void Broke(this KakashiLogger logger, string what, Exception error);

    [KakashiLog(LogLevel.Information, "Plain constant text")]
    public static partial void Constant(this KakashiLogger logger);
}
