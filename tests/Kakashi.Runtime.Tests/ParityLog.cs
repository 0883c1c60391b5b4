using System;
using System.Buffers;
using System.Collections.Generic;
using System.Globalization;
using System.Numerics;
using System.Text;
using Microsoft.Extensions.Logging;

// A namespace of its own: the other test files declare types (Side, Permissions, Tagged, Log...) in Kakashi.Runtime.Tests.
namespace Kakashi.Runtime.Tests.Parity;

/// <summary>
/// The message templates of the parity tests. Each is a const so that the [KakashiLog] method and the
/// <c>LoggerMessage.Define</c> call of the MEL side use the very same text.
/// </summary>
internal static class T
{
    // alignment
    public const string AlignString = "[{Text,8}]";
    public const string AlignStringLeft = "[{Text,-8}]";
    public const string AlignInt = "[{Count,6}|{Count,-6}|{Count,2}|{Count,0}]";
    public const string AlignDouble = "[{Price,12:N2}|{Price,-12:F3}|{Price,3:E1}]";
    public const string AlignNullable = "[{Amount,10}|{Amount,-10}|{Amount,3}]";
    public const string AlignOther = "[{Flag,7}|{Color,-8}|{When,22:yyyy-MM-dd}|{Id,-40:N}]";
    public const string AlignSpaces = "[{ Text , 6 }|{Text,-6 }]";
    public const string AlignUnicodeOverflowRight = "{Prefix}{Text,20010}";
    public const string AlignUnicodeOverflowLeft = "{Prefix}{Text,-20010}|";

    // standard numeric formats
    public const string Int1 = "{Value:C}|{Value:D}|{Value:D8}|{Value:E}|{Value:X}|{Value:x8}";
    public const string Int2 = "{Value:F}|{Value:F3}|{Value:G}|{Value:N}|{Value:N0}|{Value:P}";
    public const string Long1 = "{Value}|{Value:D20}|{Value:X16}|{Value:N0}|{Value:E3}|{Value:C2}";
    public const string Double1 = "{Value:C}|{Value:C0}|{Value:E}|{Value:e2}|{Value:F}|{Value:F4}";
    public const string Double2 = "{Value:G}|{Value:G3}|{Value:G17}|{Value:N}|{Value:N1}|{Value:P}";
    public const string Double3 = "{Value:P0}|{Value:R}|{Value}";
    public const string Float1 = "{Value}|{Value:R}|{Value:G9}|{Value:F2}|{Value:E}|{Value:N3}";
    public const string Decimal1 = "{Value}|{Value:C}|{Value:F2}|{Value:N4}|{Value:E}|{Value:P1}";
    public const string Small = "{B}|{B:X2}|{S:N0}|{S:X}|{Sb:D3}|{Us:x}";
    public const string Wide = "{U:N0}|{Ul:X}|{Ul}|{Big}|{Big:X}|{N:D}";
    public const string Other = "{H}|{H:F2}|{Ub}|{Nu}|{Cx}";

    // custom numeric formats
    public const string CustomDouble1 = "{Value:#,##0.00}|{Value:0.###E+0}|{Value:00000}";
    public const string CustomDouble2 = "{Value:0.0%}|{Value:0.0‰}|{Value:#,##0.00;(#,##0.00);zero}";
    public const string CustomInt = "{Value:00000}|{Value:#,##0}|{Value:0;neg;zero}|{Value:#%}|{Value:'#'0}|{Value:'['0']'}";

    // date and time
    public const string Date1 = "{Value:d}|{Value:D}|{Value:f}|{Value:F}|{Value:g}|{Value:G}";
    public const string Date2 = "{Value:M}|{Value:O}|{Value:R}|{Value:s}|{Value:t}|{Value:T}";
    public const string DateKind = "{Value:%K}|{Value:zzz}|{Value:yyyy'-'MM'-'dd'T'HH':'mm':'ssK}";
    public const string Date3 = "{Value:u}|{Value:U}|{Value:Y}|{Value}|{Value:yyyy-MM-dd HH:mm:ss.fffffff}|{Value:ddd MMM}";
    public const string Offset1 = "{Value}|{Value:O}|{Value:zzz}|{Value:yyyy-MM-ddTHH:mm:ss.fffzzz}|{Value:R}|{Value:u}";
    public const string DateOnlyTimeOnly = "{D}|{D:O}|{D:yyyy/MM/dd}|{T}|{T:HH:mm:ss.fff}|{T:t}";
    public const string Span1 = "{Value}|{Value:c}|{Value:g}|{Value:G}|{Value:hh\\:mm}|{Value:%d}";
    public const string Span2 = "{Value:d\\.hh\\:mm\\:ss\\.fff}|{Value,20:c}";

    // Guid, enums, bool, char, Rune
    public const string Guids = "{Value}|{Value:N}|{Value:D}|{Value:B}|{Value:P}|{Value:X}";
    public const string Enum1 = "{Value}|{Value:G}|{Value:D}|{Value:X}|{Value:F}";
    public const string Flags1 = "{Value}|{Value:G}|{Value:D}|{Value:X}|{Value:F}";
    public const string SmallEnums = "{Code}|{Code:X}|{Code:D}|{Wide}|{Wide:X}";
    public const string BoolChar = "{Flag}|{Flag,6}|{Flag,-6}|{Letter}|{Letter,3}|{Letter:X}";
    public const string RuneText = "[{Value}|{Value,4}|{Value,-4}]";

    // nullable
    public const string Nullables1 = "{I}|{I,5}|{D:F2}|{When:yyyy-MM-dd}|{Id:N}|{Color}";
    public const string Nullables2 = "{Flag}|{Letter}|{Span:c}|{Offset:O}|{Code:X}";

    // strings and spans
    public const string Text = "<{Text}>";
    public const string TextFormatted = "<{Text:X}|{Text,-3:N2}>";
    public const string UnicodeLiterals = "Ünïcødé 😀 ←{Text}→ שלום\n\tdone";
    public const string Chars = "[{Span}|{Span,10}|{Span,-10}]";
    public const string MutableChars = "[{Span}]";
    public const string BigTextAligned = "[{Text,110000}]";
    public const string BigEmojiAligned = "[{Text,51210}]";

    // escapes
    public const string EscapedLiteral = "{{literal}} {Value}";
    public const string EscapedAroundHole = "{{{Value}}}";
    public const string EscapedReversed = "}}{Value}{{";
    public const string EscapedQuad = "{{{{x}}}} {Value} {{{{{Value}}}}}";
    public const string NoHolesWithBraces = "No holes here: {{braces}} and }} and {{";
    public const string NoHolesQuadBraces = "{{{{Value}}}}";
    public const string NoHolesPlain = "Plain text without any hole";

    // binding
    public const string SameTwice = "{Price:F2} vs {Price:E3} vs [{Price,10}] vs {Price}";
    public const string Reordered = "{C}-{A}-{B}";
    public const string CaseInsensitive = "{ORDERID}/{orderid}/{OrderId}";
    public const string LevelHole = "At {Level}: {Value}";
    public const string ExceptionHole = "Failed: {Error} [{Error,45}]";
    public const string EmptyFormat = "[{Value:}|{Value,5:}|{Value,-0}]";

    // user value types
    public const string SpanFormattable = "{Point}|{Point:F1}|[{Point,16:F2}]";
    public const string Utf8Formattable = "{Temp}|{Temp:F1}|[{Temp,-12:F0}]";
    public const string FormattedOnCaller = "{Label}|[{Label,10}]";
    public const string FormattedOnCallerWithFormat = "{Label:U}|[{Label,-12:U}]";
    public const string FormattedTwoFormats = "{Label:U} {Label:L}";
    public const string NullableFormattedOnCaller = "{Label:U}";
    public const string BigInt = "{Value:N0}|{Value}";
    public const string BigIntTwoFormats = "{Value:N0} {Value:X}";
    public const string NullableVector = "{Point:F1}";

    // reference types
    public const string Reference = "{Customer}|[{Customer,-16}]";
    public const string Uris = "{Uri}|{Version}|{Builder}";
    public const string Enumerable = "{Items}";
    public const string Formattable = "{Money:N2}|[{Money,16:N1}]";
    public const string FormattableNoFormat = "{Money}";
    public const string Numbers = "{Values}|[{Values,-20}]";
    public const string Map = "{Map}";
    public const string NullToString = "<{Odd}>|[{Odd,4}]";
    public const string PlainStructs = "{Pair}|{Tuple}|{Named:U}";
    public const string Objects = "{Value:N2}|[{Value,12}]|{Value}";

    // culture
    public const string Culture1 = "{D:N2}|{D}|{M:C}|{Dt}|{Dt:D}|{F:G}";
    public const string Culture2 = "{Ts:g}|{I:N0}|{Dto}|{Flag}|{Color}|{Probe}";
}

public enum Color { Red, Green, Blue }

[Flags]
public enum Perm { None = 0, Read = 1, Write = 2, Exec = 4, All = Read | Write | Exec }

public enum ByteCode : byte { Zero = 0, Ten = 10, Max = 255 }

public enum WideCode : long { Small = 1, Huge = long.MaxValue }

/// <summary>An unmanaged value type that is only <see cref="ISpanFormattable"/>: copied raw, formatted on the drain.</summary>
public readonly struct Vec2(double x, double y) : ISpanFormattable
{
    public string ToString(string? format, IFormatProvider? formatProvider)
        => "(" + x.ToString(format, formatProvider) + "; " + y.ToString(format, formatProvider) + ")";

    public override string ToString() => ToString(null, CultureInfo.CurrentCulture);

    public bool TryFormat(Span<char> destination, out int charsWritten, ReadOnlySpan<char> format, IFormatProvider? provider)
    {
        string text = ToString(format.IsEmpty ? null : format.ToString(), provider);
        charsWritten = text.Length;
        return text.TryCopyTo(destination);
    }
}

/// <summary>An unmanaged value type that is <see cref="IUtf8SpanFormattable"/> (and <see cref="ISpanFormattable"/>, which MEL uses).</summary>
public readonly struct Celsius(double degrees) : ISpanFormattable, IUtf8SpanFormattable
{
    public string ToString(string? format, IFormatProvider? formatProvider) => degrees.ToString(format, formatProvider) + " °C";

    public override string ToString() => ToString(null, CultureInfo.CurrentCulture);

    public bool TryFormat(Span<char> destination, out int charsWritten, ReadOnlySpan<char> format, IFormatProvider? provider)
    {
        string text = ToString(format.IsEmpty ? null : format.ToString(), provider);
        charsWritten = text.Length;
        return text.TryCopyTo(destination);
    }

    public bool TryFormat(Span<byte> utf8Destination, out int bytesWritten, ReadOnlySpan<char> format, IFormatProvider? provider)
    {
        bytesWritten = 0;
        if (!degrees.TryFormat(utf8Destination, out int n, format, provider)) return false;
        ReadOnlySpan<byte> unit = " °C"u8;
        if (!unit.TryCopyTo(utf8Destination[n..])) return false;
        bytesWritten = n + unit.Length;
        return true;
    }
}

/// <summary>A value type holding a reference: Kakashi formats it on the calling thread (UTF-8), MEL with ISpanFormattable.</summary>
public readonly struct Label(string text) : ISpanFormattable, IUtf8SpanFormattable
{
    private string Render(ReadOnlySpan<char> format) => format switch
    {
        "U" => text.ToUpperInvariant(),
        "L" => text.ToLowerInvariant(),
        _ => text,
    };

    public string ToString(string? format, IFormatProvider? formatProvider) => Render(format);

    public override string ToString() => text;

    public bool TryFormat(Span<char> destination, out int charsWritten, ReadOnlySpan<char> format, IFormatProvider? provider)
    {
        string rendered = Render(format);
        charsWritten = rendered.Length;
        return rendered.TryCopyTo(destination);
    }

    public bool TryFormat(Span<byte> utf8Destination, out int bytesWritten, ReadOnlySpan<char> format, IFormatProvider? provider)
    {
        var status = System.Text.Unicode.Utf8.FromUtf16(Render(format), utf8Destination, out _, out bytesWritten);
        return status == OperationStatus.Done;
    }
}

/// <summary>A plain reference type: ToString() on the calling thread.</summary>
public sealed class Customer(int id, string name)
{
    public override string ToString() => $"Customer#{id} ({name})";
}

/// <summary>A reference type whose ToString() depends on the current culture (not IFormattable).</summary>
public sealed class CultureProbe(double value)
{
    public override string ToString() => value.ToString("N2", CultureInfo.CurrentCulture);
}

/// <summary>A reference type that is IFormattable: string.Format (so MEL) calls ToString(format, InvariantCulture).</summary>
public sealed class Money(decimal amount, string currency) : IFormattable
{
    public string ToString(string? format, IFormatProvider? formatProvider) => amount.ToString(format, formatProvider) + " " + currency;

    public override string ToString() => ToString(null, CultureInfo.CurrentCulture);
}

/// <summary>A reference type whose ToString() returns null: string.Format writes nothing for it.</summary>
public sealed class NullText
{
    public override string? ToString() => null;
}

/// <summary>An IFormattable reference type whose ToString(format, provider) returns null.</summary>
public sealed class NullFormattable : IFormattable
{
    public string ToString(string? format, IFormatProvider? formatProvider) => null!;

    public override string? ToString() => null;
}

/// <summary>A value type holding a reference that is only IFormattable (no span formatting).</summary>
public readonly struct Named(string name) : IFormattable
{
    public string ToString(string? format, IFormatProvider? formatProvider) => format == "U" ? name.ToUpperInvariant() : name;

    public override string ToString() => name;
}

/// <summary>The [KakashiLog] methods of the parity tests, one per template of <see cref="T"/>.</summary>
internal static partial class ParityLog
{
    // ------------------------------------------------------------------ alignment
    [KakashiLog(LogLevel.Information, T.AlignString)] public static partial void AlignString(this KakashiLogger logger, string? text);
    [KakashiLog(LogLevel.Information, T.AlignStringLeft)] public static partial void AlignStringLeft(this KakashiLogger logger, string? text);
    [KakashiLog(LogLevel.Information, T.AlignInt)] public static partial void AlignInt(this KakashiLogger logger, int count);
    [KakashiLog(LogLevel.Information, T.AlignDouble)] public static partial void AlignDouble(this KakashiLogger logger, double price);
    [KakashiLog(LogLevel.Information, T.AlignNullable)] public static partial void AlignNullable(this KakashiLogger logger, int? amount);
    [KakashiLog(LogLevel.Information, T.AlignOther)] public static partial void AlignOther(this KakashiLogger logger, bool flag, Color color, DateTime when, Guid id);
    [KakashiLog(LogLevel.Information, T.AlignSpaces)] public static partial void AlignSpaces(this KakashiLogger logger, string? text);
    [KakashiLog(LogLevel.Information, T.AlignUnicodeOverflowRight)] public static partial void AlignUnicodeOverflowRight(this KakashiLogger logger, string prefix, string text);
    [KakashiLog(LogLevel.Information, T.AlignUnicodeOverflowLeft)] public static partial void AlignUnicodeOverflowLeft(this KakashiLogger logger, string prefix, string text);

    // ------------------------------------------------------------------ standard numeric formats
    [KakashiLog(LogLevel.Information, T.Int1)] public static partial void Int1(this KakashiLogger logger, int value);
    [KakashiLog(LogLevel.Information, T.Int2)] public static partial void Int2(this KakashiLogger logger, int value);
    [KakashiLog(LogLevel.Information, T.Long1)] public static partial void Long1(this KakashiLogger logger, long value);
    [KakashiLog(LogLevel.Information, T.Double1)] public static partial void Double1(this KakashiLogger logger, double value);
    [KakashiLog(LogLevel.Information, T.Double2)] public static partial void Double2(this KakashiLogger logger, double value);
    [KakashiLog(LogLevel.Information, T.Double3)] public static partial void Double3(this KakashiLogger logger, double value);
    [KakashiLog(LogLevel.Information, T.Float1)] public static partial void Float1(this KakashiLogger logger, float value);
    [KakashiLog(LogLevel.Information, T.Decimal1)] public static partial void Decimal1(this KakashiLogger logger, decimal value);
    [KakashiLog(LogLevel.Information, T.Small)] public static partial void Small(this KakashiLogger logger, byte b, short s, sbyte sb, ushort us);
    [KakashiLog(LogLevel.Information, T.Wide)] public static partial void Wide(this KakashiLogger logger, uint u, ulong ul, Int128 big, nint n);
    [KakashiLog(LogLevel.Information, T.Other)] public static partial void Other(this KakashiLogger logger, Half h, UInt128 ub, nuint nu, Complex cx);

    // ------------------------------------------------------------------ custom numeric formats
    [KakashiLog(LogLevel.Information, T.CustomDouble1)] public static partial void CustomDouble1(this KakashiLogger logger, double value);
    [KakashiLog(LogLevel.Information, T.CustomDouble2)] public static partial void CustomDouble2(this KakashiLogger logger, double value);
    [KakashiLog(LogLevel.Information, T.CustomInt)] public static partial void CustomInt(this KakashiLogger logger, int value);

    // ------------------------------------------------------------------ date and time
    [KakashiLog(LogLevel.Information, T.Date1)] public static partial void Date1(this KakashiLogger logger, DateTime value);
    [KakashiLog(LogLevel.Information, T.Date2)] public static partial void Date2(this KakashiLogger logger, DateTime value);
    [KakashiLog(LogLevel.Information, T.DateKind)] public static partial void DateKind(this KakashiLogger logger, DateTime value);
    [KakashiLog(LogLevel.Information, T.Date3)] public static partial void Date3(this KakashiLogger logger, DateTime value);
    [KakashiLog(LogLevel.Information, T.Offset1)] public static partial void Offset1(this KakashiLogger logger, DateTimeOffset value);
    [KakashiLog(LogLevel.Information, T.DateOnlyTimeOnly)] public static partial void DateOnlyTimeOnly(this KakashiLogger logger, DateOnly d, TimeOnly t);
    [KakashiLog(LogLevel.Information, T.Span1)] public static partial void Span1(this KakashiLogger logger, TimeSpan value);
    [KakashiLog(LogLevel.Information, T.Span2)] public static partial void Span2(this KakashiLogger logger, TimeSpan value);

    // ------------------------------------------------------------------ Guid, enums, bool, char, Rune
    [KakashiLog(LogLevel.Information, T.Guids)] public static partial void Guids(this KakashiLogger logger, Guid value);
    [KakashiLog(LogLevel.Information, T.Enum1)] public static partial void Enum1(this KakashiLogger logger, Color value);
    [KakashiLog(LogLevel.Information, T.Flags1)] public static partial void Flags1(this KakashiLogger logger, Perm value);
    [KakashiLog(LogLevel.Information, T.SmallEnums)] public static partial void SmallEnums(this KakashiLogger logger, ByteCode code, WideCode wide);
    [KakashiLog(LogLevel.Information, T.BoolChar)] public static partial void BoolChar(this KakashiLogger logger, bool flag, char letter);
    [KakashiLog(LogLevel.Information, T.RuneText)] public static partial void RuneText(this KakashiLogger logger, Rune value);

    // ------------------------------------------------------------------ nullable
    [KakashiLog(LogLevel.Information, T.Nullables1)] public static partial void Nullables1(this KakashiLogger logger, int? i, double? d, DateTime? when, Guid? id, Color? color);
    [KakashiLog(LogLevel.Information, T.Nullables2)] public static partial void Nullables2(this KakashiLogger logger, bool? flag, char? letter, TimeSpan? span, DateTimeOffset? offset, ByteCode? code);

    // ------------------------------------------------------------------ strings and spans
    [KakashiLog(LogLevel.Information, T.Text)] public static partial void Text(this KakashiLogger logger, string? text);
    [KakashiLog(LogLevel.Information, T.TextFormatted)] public static partial void TextFormatted(this KakashiLogger logger, string? text);
    [KakashiLog(LogLevel.Information, T.UnicodeLiterals)] public static partial void UnicodeLiterals(this KakashiLogger logger, string? text);
    [KakashiLog(LogLevel.Information, T.Chars)] public static partial void Chars(this KakashiLogger logger, ReadOnlySpan<char> span);
    [KakashiLog(LogLevel.Information, T.MutableChars)] public static partial void MutableChars(this KakashiLogger logger, Span<char> span);
    [KakashiLog(LogLevel.Information, T.BigTextAligned)] public static partial void BigTextAligned(this KakashiLogger logger, string text);
    [KakashiLog(LogLevel.Information, T.BigEmojiAligned)] public static partial void BigEmojiAligned(this KakashiLogger logger, string text);

    // ------------------------------------------------------------------ escapes
    [KakashiLog(LogLevel.Information, T.EscapedLiteral)] public static partial void EscapedLiteral(this KakashiLogger logger, int value);
    [KakashiLog(LogLevel.Information, T.EscapedAroundHole)] public static partial void EscapedAroundHole(this KakashiLogger logger, int value);
    [KakashiLog(LogLevel.Information, T.EscapedReversed)] public static partial void EscapedReversed(this KakashiLogger logger, int value);
    [KakashiLog(LogLevel.Information, T.EscapedQuad)] public static partial void EscapedQuad(this KakashiLogger logger, int value);
    [KakashiLog(LogLevel.Information, T.NoHolesWithBraces)] public static partial void NoHolesWithBraces(this KakashiLogger logger);
    [KakashiLog(LogLevel.Information, T.NoHolesQuadBraces)] public static partial void NoHolesQuadBraces(this KakashiLogger logger);
    [KakashiLog(LogLevel.Information, T.NoHolesPlain)] public static partial void NoHolesPlain(this KakashiLogger logger);

    // ------------------------------------------------------------------ binding
    [KakashiLog(LogLevel.Information, T.SameTwice)] public static partial void SameTwice(this KakashiLogger logger, double price);
    [KakashiLog(LogLevel.Information, T.Reordered)] public static partial void Reordered(this KakashiLogger logger, int a, string b, double c);
    [KakashiLog(LogLevel.Information, T.CaseInsensitive)] public static partial void CaseInsensitive(this KakashiLogger logger, long orderId);
    [KakashiLog(T.LevelHole)] public static partial void LevelHole(this KakashiLogger logger, LogLevel level, int value);
    [KakashiLog(LogLevel.Error, T.ExceptionHole)] public static partial void ExceptionHole(this KakashiLogger logger, Exception? error);
    [KakashiLog(LogLevel.Information, T.EmptyFormat)] public static partial void EmptyFormat(this KakashiLogger logger, double value);

    // ------------------------------------------------------------------ user value types
    [KakashiLog(LogLevel.Information, T.SpanFormattable)] public static partial void SpanFormattable(this KakashiLogger logger, Vec2 point);
    [KakashiLog(LogLevel.Information, T.Utf8Formattable)] public static partial void Utf8Formattable(this KakashiLogger logger, Celsius temp);
    [KakashiLog(LogLevel.Information, T.FormattedOnCaller)] public static partial void FormattedOnCaller(this KakashiLogger logger, Label label);
    [KakashiLog(LogLevel.Information, T.FormattedOnCallerWithFormat)] public static partial void FormattedOnCallerWithFormat(this KakashiLogger logger, Label label);
    [KakashiLog(LogLevel.Information, T.FormattedTwoFormats)] public static partial void FormattedTwoFormats(this KakashiLogger logger, Label label);
    [KakashiLog(LogLevel.Information, T.NullableFormattedOnCaller)] public static partial void NullableFormattedOnCaller(this KakashiLogger logger, Label? label);
    [KakashiLog(LogLevel.Information, T.BigInt)] public static partial void BigInt(this KakashiLogger logger, BigInteger value);
    [KakashiLog(LogLevel.Information, T.BigIntTwoFormats)] public static partial void BigIntTwoFormats(this KakashiLogger logger, BigInteger value);
    [KakashiLog(LogLevel.Information, T.NullableVector)] public static partial void NullableVector(this KakashiLogger logger, Vec2? point);

    // ------------------------------------------------------------------ reference types
    [KakashiLog(LogLevel.Information, T.Reference)] public static partial void Reference(this KakashiLogger logger, Customer? customer);
    [KakashiLog(LogLevel.Information, T.Uris)] public static partial void Uris(this KakashiLogger logger, Uri uri, Version version, StringBuilder builder);
    [KakashiLog(LogLevel.Information, T.Enumerable)] public static partial void Enumerable(this KakashiLogger logger, IEnumerable<string?> items);
    [KakashiLog(LogLevel.Information, T.Formattable)] public static partial void Formattable(this KakashiLogger logger, Money money);
    [KakashiLog(LogLevel.Information, T.FormattableNoFormat)] public static partial void FormattableNoFormat(this KakashiLogger logger, Money money);
    [KakashiLog(LogLevel.Information, T.Numbers)] public static partial void Numbers(this KakashiLogger logger, IEnumerable<double>? values);
    [KakashiLog(LogLevel.Information, T.Map)] public static partial void Map(this KakashiLogger logger, Dictionary<string, int?> map);
    [KakashiLog(LogLevel.Information, T.NullToString)] public static partial void NullToString(this KakashiLogger logger, NullText odd);
    [KakashiLog(LogLevel.Information, T.Objects)] public static partial void Objects(this KakashiLogger logger, object? value);
    [KakashiLog(LogLevel.Information, T.NullToString)] public static partial void NullFormattableText(this KakashiLogger logger, NullFormattable odd);
    [KakashiLog(LogLevel.Information, T.PlainStructs)] public static partial void PlainStructs(this KakashiLogger logger, KeyValuePair<string, int> pair, (int, string?) tuple, Named named);

    // ------------------------------------------------------------------ culture
    [KakashiLog(LogLevel.Information, T.Culture1)] public static partial void Culture1(this KakashiLogger logger, double d, decimal m, DateTime dt, float f);
    [KakashiLog(LogLevel.Information, T.Culture2)] public static partial void Culture2(this KakashiLogger logger, TimeSpan ts, int i, DateTimeOffset dto, bool flag, Color color, CultureProbe probe);
}
