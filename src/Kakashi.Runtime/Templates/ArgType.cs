using System;

namespace Kakashi.Templates;

/// <summary>
/// The wire type of one argument in a record's payload: a byte in the template's metadata (the generator emits it, the
/// manifest carries it), so a record decodes without the program that wrote it. Values are part of the record format
/// (docs/record-format.md): they are never renumbered; new types take new values.
/// </summary>
/// <remarks>Encodings, all little-endian: fixed-size types are their raw bytes; <see cref="String"/> is an int32 length in
/// chars (-1 = null, bit 30 = truncated) then UTF-16 code units; <see cref="Utf8Text"/> is an int32 length in bytes (bit 30 =
/// truncated) then UTF-8; <see cref="Nullable"/> adds a presence byte (0 = null) before the value's bytes.</remarks>
public enum ArgType : byte
{
    /// <summary>No value (not a valid argument type).</summary>
    None = 0,
    /// <summary><see cref="bool"/>: one byte.</summary>
    Boolean = 1,
    /// <summary><see cref="char"/>: two bytes.</summary>
    Char = 2,
    /// <summary><see cref="sbyte"/>.</summary>
    SByte = 3,
    /// <summary><see cref="byte"/>.</summary>
    Byte = 4,
    /// <summary><see cref="short"/>.</summary>
    Int16 = 5,
    /// <summary><see cref="ushort"/>.</summary>
    UInt16 = 6,
    /// <summary><see cref="int"/>.</summary>
    Int32 = 7,
    /// <summary><see cref="uint"/>.</summary>
    UInt32 = 8,
    /// <summary><see cref="long"/>.</summary>
    Int64 = 9,
    /// <summary><see cref="ulong"/>.</summary>
    UInt64 = 10,
    /// <summary><see cref="System.Int128"/>.</summary>
    Int128 = 11,
    /// <summary><see cref="System.UInt128"/>.</summary>
    UInt128 = 12,
    /// <summary><see cref="System.Half"/>.</summary>
    Half = 13,
    /// <summary><see cref="float"/>.</summary>
    Single = 14,
    /// <summary><see cref="double"/>.</summary>
    Double = 15,
    /// <summary><see cref="decimal"/>.</summary>
    Decimal = 16,
    /// <summary><see cref="System.DateTime"/>.</summary>
    DateTime = 17,
    /// <summary><see cref="System.DateTimeOffset"/>.</summary>
    DateTimeOffset = 18,
    /// <summary><see cref="System.TimeSpan"/>.</summary>
    TimeSpan = 19,
    /// <summary><see cref="System.DateOnly"/>.</summary>
    DateOnly = 20,
    /// <summary><see cref="System.TimeOnly"/>.</summary>
    TimeOnly = 21,
    /// <summary><see cref="System.Guid"/>: 16 bytes.</summary>
    Guid = 22,
    /// <summary>An enum: raw bytes of its underlying type; the template carries the underlying type, the name table and the flags bit (<see cref="EnumTable"/>).</summary>
    Enum = 23,
    /// <summary>UTF-16 text (a string, a span of chars, or a value formatted with <c>ToString()</c> on the calling thread).</summary>
    String = 24,
    /// <summary>UTF-8 text formatted on the calling thread (value types holding references).</summary>
    Utf8Text = 25,
    /// <summary>An exception: an object slot in the ring (no payload bytes); captured as bytes (<see cref="ExceptionInfo"/>) when a record outlives the process.</summary>
    Exception = 26,
    /// <summary>A user value type copied raw: the template carries its size and type name; it formats only where the type is loaded.</summary>
    Custom = 27,

    /// <summary>Flag: the value is nullable (a presence byte precedes it).</summary>
    Nullable = 0x80,
}

/// <summary>Facts about <see cref="ArgType"/> values.</summary>
public static class ArgTypes
{
    /// <summary>The type without the <see cref="ArgType.Nullable"/> flag.</summary>
    public static ArgType Base(this ArgType type) => type & ~ArgType.Nullable;

    /// <summary>True when the <see cref="ArgType.Nullable"/> flag is set.</summary>
    public static bool IsNullable(this ArgType type) => (type & ArgType.Nullable) != 0;

    /// <summary>Bytes of a value of a fixed-size base type (without the presence byte), or -1 for variable-size and table-described types.</summary>
    public static int FixedSize(ArgType type) => type.Base() switch
    {
        ArgType.Boolean or ArgType.SByte or ArgType.Byte => 1,
        ArgType.Char or ArgType.Int16 or ArgType.UInt16 or ArgType.Half => 2,
        ArgType.Int32 or ArgType.UInt32 or ArgType.Single or ArgType.DateOnly => 4,
        ArgType.Int64 or ArgType.UInt64 or ArgType.Double or ArgType.DateTime or ArgType.TimeSpan or ArgType.TimeOnly => 8,
        ArgType.Int128 or ArgType.UInt128 or ArgType.Decimal or ArgType.Guid or ArgType.DateTimeOffset => 16,
        ArgType.Exception => 0,
        _ => -1,
    };

    /// <summary>True for the integer types an enum may have as its underlying type.</summary>
    public static bool IsInteger(ArgType type) => type is >= ArgType.SByte and <= ArgType.UInt64;

    internal static bool IsDefined(ArgType type) => type.Base() is >= ArgType.Boolean and <= ArgType.Custom
        && (!type.IsNullable() || type.Base() is not (ArgType.String or ArgType.Utf8Text or ArgType.Exception));

    /// <summary>The wire type of a BCL type, or <see cref="ArgType.None"/>.</summary>
    public static ArgType Of(Type type)
    {
        if (type == typeof(bool)) return ArgType.Boolean;
        if (type == typeof(char)) return ArgType.Char;
        if (type == typeof(sbyte)) return ArgType.SByte;
        if (type == typeof(byte)) return ArgType.Byte;
        if (type == typeof(short)) return ArgType.Int16;
        if (type == typeof(ushort)) return ArgType.UInt16;
        if (type == typeof(int)) return ArgType.Int32;
        if (type == typeof(uint)) return ArgType.UInt32;
        if (type == typeof(long)) return ArgType.Int64;
        if (type == typeof(ulong)) return ArgType.UInt64;
        if (type == typeof(Int128)) return ArgType.Int128;
        if (type == typeof(UInt128)) return ArgType.UInt128;
        if (type == typeof(Half)) return ArgType.Half;
        if (type == typeof(float)) return ArgType.Single;
        if (type == typeof(double)) return ArgType.Double;
        if (type == typeof(decimal)) return ArgType.Decimal;
        if (type == typeof(DateTime)) return ArgType.DateTime;
        if (type == typeof(DateTimeOffset)) return ArgType.DateTimeOffset;
        if (type == typeof(TimeSpan)) return ArgType.TimeSpan;
        if (type == typeof(DateOnly)) return ArgType.DateOnly;
        if (type == typeof(TimeOnly)) return ArgType.TimeOnly;
        if (type == typeof(Guid)) return ArgType.Guid;
        if (type == typeof(string)) return ArgType.String;
        if (typeof(System.Exception).IsAssignableFrom(type)) return ArgType.Exception;
        return ArgType.None;
    }
}
