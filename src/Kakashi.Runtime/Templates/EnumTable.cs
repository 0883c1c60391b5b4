using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace Kakashi.Templates;

/// <summary>
/// An enum's wire description: its underlying integer type, its names and values, and whether it is <see cref="FlagsAttribute"/>.
/// Carried in the template manifest, so an enum argument renders by name where the enum type is not loaded.
/// </summary>
public sealed class EnumTable
{
    /// <summary>The description of the enum <paramref name="typeName"/>: its integer type, and its names with their values.</summary>
    public EnumTable(string typeName, ArgType underlying, bool isFlags, string[] names, long[] values)
    {
        ArgumentNullException.ThrowIfNull(typeName);
        ArgumentNullException.ThrowIfNull(names);
        ArgumentNullException.ThrowIfNull(values);
        if (!ArgTypes.IsInteger(underlying)) throw new ArgumentOutOfRangeException(nameof(underlying), underlying, "An enum's underlying type is an integer type.");
        if (names.Length != values.Length) throw new ArgumentException("Every enum name needs a value.", nameof(values));
        TypeName = typeName;
        Underlying = underlying;
        IsFlags = isFlags;
        Names = names;
        Values = values;
    }

    /// <summary>The enum's full type name.</summary>
    public string TypeName { get; }

    /// <summary>The integer type its values are stored as.</summary>
    public ArgType Underlying { get; }

    /// <summary>True for a <see cref="FlagsAttribute"/> enum (values render as <c>A, B</c>, like <see cref="Enum.ToString()"/>).</summary>
    public bool IsFlags { get; }

    /// <summary>The names, in the order of <see cref="Values"/>.</summary>
    public string[] Names { get; }

    /// <summary>The values, widened to 64 bits (unsigned ones reinterpreted).</summary>
    public long[] Values { get; }

    /// <summary>The table of <typeparamref name="T"/>.</summary>
    public static EnumTable Of<T>() where T : struct, Enum
    {
        var names = Enum.GetNames<T>();
        var values = Enum.GetValuesAsUnderlyingType<T>();
        var widened = new long[values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            object raw = values.GetValue(i)!;
            widened[i] = raw is ulong u ? unchecked((long)u) : Convert.ToInt64(raw, CultureInfo.InvariantCulture);
        }
        var underlying = ArgTypes.Of(Enum.GetUnderlyingType(typeof(T)));
        return new EnumTable(typeof(T).FullName ?? typeof(T).Name, underlying, typeof(T).IsDefined(typeof(FlagsAttribute), false), names, widened);
    }

    /// <summary>Reads a stored value as 64 bits (sign-extended for signed types, zero-extended for unsigned).</summary>
    internal long Read(ReadOnlySpan<byte> data) => Underlying switch
    {
        ArgType.SByte => (sbyte)data[0],
        ArgType.Byte => data[0],
        ArgType.Int16 => BinaryPrimitives.ReadInt16LittleEndian(data),
        ArgType.UInt16 => BinaryPrimitives.ReadUInt16LittleEndian(data),
        ArgType.Int32 => BinaryPrimitives.ReadInt32LittleEndian(data),
        ArgType.UInt32 => BinaryPrimitives.ReadUInt32LittleEndian(data),
        ArgType.UInt64 => BinaryPrimitives.ReadInt64LittleEndian(data),
        _ => BinaryPrimitives.ReadInt64LittleEndian(data),
    };

    internal bool IsSigned => Underlying is ArgType.SByte or ArgType.Int16 or ArgType.Int32 or ArgType.Int64;

    /// <summary>
    /// Formats like <see cref="Enum.ToString(string)"/>: G (a defined name; for flags enums, or with F, the names of the set
    /// bits joined by ", "; otherwise the number), D (the number), X (hex, two digits per byte).
    /// </summary>
    internal string Format(long value, ReadOnlySpan<char> format)
    {
        char f = format.IsEmpty ? 'G' : format.Length == 1 ? char.ToUpperInvariant(format[0]) : '?';
        switch (f)
        {
            case 'D': return Number(value);
            case 'X':
                int size = ArgTypes.FixedSize(Underlying);
                ulong bits = size == 8 ? (ulong)value : (ulong)value & ((1UL << (size * 8)) - 1);
                return bits.ToString("X" + (size * 2).ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
            case 'G':
            case 'F':
                for (int i = 0; i < Values.Length; i++) if (Values[i] == value) return Names[i];
                if (f == 'F' || IsFlags) return Flags(value) ?? Number(value);
                return Number(value);
            default:
                throw new FormatException($"Format string '{format.ToString()}' is not valid for an enum.");
        }
    }

    private string Number(long value) => IsSigned ? value.ToString(CultureInfo.InvariantCulture) : ((ulong)value).ToString(CultureInfo.InvariantCulture);

    private string? Flags(long value)
    {
        // as .NET does: take the largest values that fit first, report them smallest first; fail if bits remain
        var order = new int[Values.Length];
        for (int i = 0; i < order.Length; i++) order[i] = i;
        Array.Sort(order, (a, b) => ((ulong)Values[a]).CompareTo((ulong)Values[b]));
        ulong remaining = (ulong)value;
        var picked = new List<string>();
        for (int k = order.Length - 1; k >= 0; k--)
        {
            ulong v = (ulong)Values[order[k]];
            if (v == 0) continue;
            if ((remaining & v) == v)
            {
                remaining -= v;
                picked.Add(Names[order[k]]);
            }
        }
        if (remaining != 0 || picked.Count == 0) return null;
        picked.Reverse();
        return string.Join(", ", picked);
    }
}

/// <summary>An enum decoded from its <see cref="EnumTable"/> (where the enum type itself is not loaded).</summary>
internal sealed class EnumTableCodec(EnumTable table) : ArgCodec
{
    private readonly int _size = ArgTypes.FixedSize(table.Underlying);
    public EnumTable Table { get; } = table;
    public override ArgKind Kind => ArgKind.Text;
    public override int GetLength(ReadOnlySpan<byte> data) => _size;
    public override int FixedLength => _size;

    public override bool TryFormat(ReadOnlySpan<byte> data, Span<byte> destination, out int written, ReadOnlySpan<char> format)
    {
        string text = Table.Format(Table.Read(data), format);
        return TryTranscode(text, destination, out written);
    }
}

/// <summary>A user value type decoded where the type is not loaded: its type name and raw bytes in hex.</summary>
internal sealed class OpaqueCodec(string typeName, int size) : ArgCodec
{
    public string TypeName { get; } = typeName;
    public override ArgKind Kind => ArgKind.Text;
    public override int GetLength(ReadOnlySpan<byte> data) => size;
    public override int FixedLength => size;

    public override bool TryFormat(ReadOnlySpan<byte> data, Span<byte> destination, out int written, ReadOnlySpan<char> format)
    {
        string text = TypeName + ":0x" + Convert.ToHexString(data[..size]);
        written = Encoding.UTF8.GetByteCount(text);
        return written <= destination.Length && Encoding.UTF8.GetBytes(text, destination) == written;
    }
}
