using System;
using System.Buffers.Binary;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using Kakashi.Buffers;

namespace Kakashi.Templates;

/// <summary>What kind of value a codec decodes: lets structured formatters (JSON) choose quoting.</summary>
public enum ArgKind : byte
{
    /// <summary>A number: bare in structured output.</summary>
    Number,
    /// <summary>Text: quoted in structured output.</summary>
    String,
    /// <summary><c>true</c> or <c>false</c>: bare in structured output.</summary>
    Boolean,
    /// <summary>Formatted text (dates, enums, GUIDs, user types): quoted in structured output.</summary>
    Text,
    /// <summary>An exception: written after the message, not as a value.</summary>
    Exception,
}

/// <summary>
/// Decodes one argument's bytes in a record's payload, on the consumer side. The generator picks the codec per parameter
/// type; the caller only copied raw bytes, so all formatting happens here, off the hot path.
/// </summary>
public abstract class ArgCodec
{
    /// <summary>What kind of value this codec decodes.</summary>
    public abstract ArgKind Kind { get; }

    /// <summary>Bytes the argument occupies at the start of <paramref name="data"/>.</summary>
    public abstract int GetLength(ReadOnlySpan<byte> data);

    /// <summary>The encoded size when it is the same for every value (raw unmanaged values), else -1: lets the drain skip the call.</summary>
    public virtual int FixedLength => -1;

    /// <summary>False when no encoded value can be null: lets the renderer skip <see cref="IsNull"/>.</summary>
    public virtual bool CanBeNull => false;

    /// <summary>True when the encoded value is null (rendered as <c>(null)</c>).</summary>
    public virtual bool IsNull(ReadOnlySpan<byte> data) => false;

    /// <summary>Formats the value as UTF-8 with the invariant culture. False when <paramref name="destination"/> is too small.</summary>
    public abstract bool TryFormat(ReadOnlySpan<byte> data, Span<byte> destination, out int written, ReadOnlySpan<char> format);

    internal virtual bool IsException => false;

    /// <summary>Transcodes chars to UTF-8 (invalid surrogates become U+FFFD, as a UTF-8 stream writer would write them).</summary>
    internal static bool TryTranscode(ReadOnlySpan<char> chars, Span<byte> destination, out int written)
    {
        var status = System.Text.Unicode.Utf8.FromUtf16(chars, destination, out _, out written, replaceInvalidSequences: true);
        return status == System.Buffers.OperationStatus.Done;
    }
}

/// <summary>The codec of each <see cref="ArgType"/> (one cached instance per type): the runtime's side of the record format.</summary>
internal static class ArgCodecs
{
    private static readonly ArgCodec?[] s_byType = Build();

    /// <summary>The codec of a fixed-size or text <paramref name="type"/> (not <see cref="ArgType.Enum"/> or <see cref="ArgType.Custom"/>, which need their table or type), or null.</summary>
    public static ArgCodec? For(ArgType type)
    {
        var baseType = type.Base();
        var codec = (int)baseType < s_byType.Length ? s_byType[(int)baseType] : null;
        if (codec is null || !type.IsNullable()) return codec;
        return NullableCodec.For(baseType, codec);
    }

    private static ArgCodec?[] Build()
    {
        var table = new ArgCodec?[(int)ArgType.Custom + 1];
        table[(int)ArgType.Boolean] = BooleanCodec.Instance;
        table[(int)ArgType.Char] = CharCodec.Instance;
        table[(int)ArgType.SByte] = Utf8FormattableCodec<sbyte>.Instance;
        table[(int)ArgType.Byte] = Utf8FormattableCodec<byte>.Instance;
        table[(int)ArgType.Int16] = Utf8FormattableCodec<short>.Instance;
        table[(int)ArgType.UInt16] = Utf8FormattableCodec<ushort>.Instance;
        table[(int)ArgType.Int32] = Utf8FormattableCodec<int>.Instance;
        table[(int)ArgType.UInt32] = Utf8FormattableCodec<uint>.Instance;
        table[(int)ArgType.Int64] = Utf8FormattableCodec<long>.Instance;
        table[(int)ArgType.UInt64] = Utf8FormattableCodec<ulong>.Instance;
        table[(int)ArgType.Int128] = Utf8FormattableCodec<Int128>.Instance;
        table[(int)ArgType.UInt128] = Utf8FormattableCodec<UInt128>.Instance;
        table[(int)ArgType.Half] = Utf8FormattableCodec<Half>.Instance;
        table[(int)ArgType.Single] = Utf8FormattableCodec<float>.Instance;
        table[(int)ArgType.Double] = DoubleCodec.Instance;
        table[(int)ArgType.Decimal] = Utf8FormattableCodec<decimal>.Instance;
        table[(int)ArgType.DateTime] = Utf8FormattableCodec<DateTime>.Instance;
        table[(int)ArgType.DateTimeOffset] = Utf8FormattableCodec<DateTimeOffset>.Instance;
        table[(int)ArgType.TimeSpan] = Utf8FormattableCodec<TimeSpan>.Instance;
        table[(int)ArgType.DateOnly] = Utf8FormattableCodec<DateOnly>.Instance;
        table[(int)ArgType.TimeOnly] = Utf8FormattableCodec<TimeOnly>.Instance;
        table[(int)ArgType.Guid] = Utf8FormattableCodec<Guid>.Instance;
        table[(int)ArgType.String] = StringCodec.Instance;
        table[(int)ArgType.Utf8Text] = Utf8TextCodec.Instance;
        table[(int)ArgType.Exception] = ExceptionCodec.Instance;
        return table;
    }

    public static ArgCodec String => StringCodec.Instance;
}

internal sealed class Utf8FormattableCodec<T> : ArgCodec where T : unmanaged, IUtf8SpanFormattable
{
    public static readonly Utf8FormattableCodec<T> Instance = new();
    private static readonly ArgKind s_kind =
        typeof(T).IsPrimitive || typeof(T) == typeof(decimal) || typeof(T) == typeof(Int128) || typeof(T) == typeof(UInt128) || typeof(T) == typeof(Half)
        ? ArgKind.Number : ArgKind.Text;
    public override ArgKind Kind => s_kind;
    public override unsafe int GetLength(ReadOnlySpan<byte> data) => sizeof(T);
    public override unsafe int FixedLength => sizeof(T);
    public override bool TryFormat(ReadOnlySpan<byte> data, Span<byte> destination, out int written, ReadOnlySpan<char> format)
        => MemoryMarshal.Read<T>(data).TryFormat(destination, out written, format, CultureInfo.InvariantCulture);
}

internal sealed class SpanFormattableCodec<T> : ArgCodec where T : unmanaged, ISpanFormattable
{
    public static readonly SpanFormattableCodec<T> Instance = new();
    public override ArgKind Kind => ArgKind.Text;
    public override unsafe int GetLength(ReadOnlySpan<byte> data) => sizeof(T);
    public override unsafe int FixedLength => sizeof(T);
    public override bool TryFormat(ReadOnlySpan<byte> data, Span<byte> destination, out int written, ReadOnlySpan<char> format)
    {
        Span<char> chars = stackalloc char[512];
        if (!MemoryMarshal.Read<T>(data).TryFormat(chars, out int n, format, CultureInfo.InvariantCulture))
        {
            // Longer than 512 chars: rare, allocate once for this value.
            return TryTranscode(MemoryMarshal.Read<T>(data).ToString(format.IsEmpty ? null : format.ToString(), CultureInfo.InvariantCulture), destination, out written);
        }
        return TryTranscode(chars[..n], destination, out written);
    }
}

internal sealed class EnumCodec<T> : ArgCodec where T : unmanaged, Enum
{
    public static readonly EnumCodec<T> Instance = new();
    public override ArgKind Kind => ArgKind.Text;
    public override unsafe int GetLength(ReadOnlySpan<byte> data) => sizeof(T);
    public override unsafe int FixedLength => sizeof(T);
    public override bool TryFormat(ReadOnlySpan<byte> data, Span<byte> destination, out int written, ReadOnlySpan<char> format)
    {
        Span<char> chars = stackalloc char[512];
        T value = MemoryMarshal.Read<T>(data);
        if (!System.Enum.TryFormat(value, chars, out int n, format))
            return TryTranscode(value.ToString(), destination, out written);
        return TryTranscode(chars[..n], destination, out written);
    }
}

internal sealed class NullableCodec(ArgCodec inner, int size) : ArgCodec
{
    private static readonly NullableCodec?[] s_byType = new NullableCodec?[(int)ArgType.Custom + 1];

    /// <summary>The cached nullable codec of a fixed-size type.</summary>
    public static NullableCodec? For(ArgType baseType, ArgCodec inner)
    {
        int size = ArgTypes.FixedSize(baseType);
        if (size <= 0) return null;
        return s_byType[(int)baseType] ??= new NullableCodec(inner, size);
    }

    public ArgCodec Inner { get; } = inner;
    public override ArgKind Kind => Inner.Kind;
    public override int GetLength(ReadOnlySpan<byte> data) => 1 + size;
    public override int FixedLength => 1 + size;
    public override bool CanBeNull => true;
    public override bool IsNull(ReadOnlySpan<byte> data) => data[0] == 0;
    public override bool TryFormat(ReadOnlySpan<byte> data, Span<byte> destination, out int written, ReadOnlySpan<char> format)
        => Inner.TryFormat(data[1..], destination, out written, format);
}

internal sealed class BooleanCodec : ArgCodec
{
    public static readonly BooleanCodec Instance = new();
    public override ArgKind Kind => ArgKind.Boolean;
    public override int GetLength(ReadOnlySpan<byte> data) => 1;
    public override int FixedLength => 1;
    public override bool TryFormat(ReadOnlySpan<byte> data, Span<byte> destination, out int written, ReadOnlySpan<char> format)
    {
        // bool is not IFormattable: the format is ignored, as string.Format does.
        ReadOnlySpan<byte> text = data[0] != 0 ? "True"u8 : "False"u8;
        written = text.Length;
        return text.TryCopyTo(destination);
    }
}

internal sealed class CharCodec : ArgCodec
{
    public static readonly CharCodec Instance = new();
    public override ArgKind Kind => ArgKind.String;
    public override int GetLength(ReadOnlySpan<byte> data) => 2;
    public override int FixedLength => 2;
    public override bool TryFormat(ReadOnlySpan<byte> data, Span<byte> destination, out int written, ReadOnlySpan<char> format)
    {
        char c = (char)BinaryPrimitives.ReadUInt16LittleEndian(data);
        return TryTranscode(new ReadOnlySpan<char>(in c), destination, out written);
    }
}

internal sealed class StringCodec : ArgCodec
{
    public static readonly StringCodec Instance = new();
    private static ReadOnlySpan<byte> TruncationMarker => "…[truncated]"u8;
    public override ArgKind Kind => ArgKind.String;

    public override int GetLength(ReadOnlySpan<byte> data)
    {
        int header = MemoryMarshal.Read<int>(data);
        return header == RecordLayout.NullString ? 4 : 4 + (header & ~RecordLayout.TruncatedStringBit) * 2;
    }

    public override bool CanBeNull => true;
    public override bool IsNull(ReadOnlySpan<byte> data) => MemoryMarshal.Read<int>(data) == RecordLayout.NullString;

    public override bool TryFormat(ReadOnlySpan<byte> data, Span<byte> destination, out int written, ReadOnlySpan<char> format)
    {
        int header = MemoryMarshal.Read<int>(data);
        int length = header & ~RecordLayout.TruncatedStringBit;
        var chars = MemoryMarshal.Cast<byte, char>(data.Slice(4, length * 2));
        if (!TryTranscode(chars, destination, out written)) return false;
        if ((header & RecordLayout.TruncatedStringBit) != 0)
        {
            if (!TruncationMarker.TryCopyTo(destination[written..])) return false;
            written += TruncationMarker.Length;
        }
        return true;
    }

    /// <summary>The decoded chars (no copy).</summary>
    internal static ReadOnlySpan<char> GetChars(ReadOnlySpan<byte> data)
    {
        int header = MemoryMarshal.Read<int>(data);
        if (header == RecordLayout.NullString) return default;
        return MemoryMarshal.Cast<byte, char>(data.Slice(4, (header & ~RecordLayout.TruncatedStringBit) * 2));
    }
}

internal sealed class Utf8TextCodec : ArgCodec
{
    public static readonly Utf8TextCodec Instance = new();
    public override ArgKind Kind => ArgKind.Text;
    public override int GetLength(ReadOnlySpan<byte> data) => 4 + (MemoryMarshal.Read<int>(data) & ~RecordLayout.TruncatedStringBit);
    public override bool TryFormat(ReadOnlySpan<byte> data, Span<byte> destination, out int written, ReadOnlySpan<char> format)
    {
        int header = MemoryMarshal.Read<int>(data);
        var text = data.Slice(4, header & ~RecordLayout.TruncatedStringBit);
        written = text.Length;
        if (!text.TryCopyTo(destination)) return false;
        if ((header & RecordLayout.TruncatedStringBit) != 0)
        {
            if (!"…[truncated]"u8.TryCopyTo(destination[written..])) return false;
            written += "…[truncated]"u8.Length;
        }
        return true;
    }
}

internal sealed class ExceptionCodec : ArgCodec
{
    public static readonly ExceptionCodec Instance = new();
    public override ArgKind Kind => ArgKind.Exception;
    public override int GetLength(ReadOnlySpan<byte> data) => 0;
    public override int FixedLength => 0;
    internal override bool IsException => true;
    // Rendered by the message renderer from the record's object slots; nothing in the payload.
    public override bool TryFormat(ReadOnlySpan<byte> data, Span<byte> destination, out int written, ReadOnlySpan<char> format)
    {
        written = 0;
        return true;
    }
}
