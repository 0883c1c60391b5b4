using System;
using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace Kakashi;

/// <summary>What a property's value is: lets structured formatters (JSON) keep its type.</summary>
public enum PropertyKind : byte
{
    /// <summary>Text (quoted in JSON).</summary>
    String = 0,
    /// <summary>A number (written bare in JSON when it is a valid JSON number: NaN and Infinity stay strings).</summary>
    Number = 1,
    /// <summary><c>true</c> or <c>false</c>.</summary>
    Boolean = 2,
}

/// <summary>
/// Properties with a meaning outputs know (ECS writes <c>trace.id</c>, CLEF <c>@tr</c>): set by the shipped enrichers.
/// </summary>
internal enum WellKnownProperty : byte
{
    None = 0,
    ThreadId,
    ThreadName,
    TraceId,
    SpanId,
    MachineName,
    ProcessId,
    ProcessName,
    Application,
    Version,
}

/// <summary>
/// Collects a record's properties on the drain thread (reused, no allocation per record). Each property is kept as its
/// UTF-8 name, its UTF-8 value and its <see cref="PropertyKind"/>, so text writes them as logfmt and JSON as typed fields.
/// </summary>
/// <remarks>Storage, per property: tag (1 byte), kind (1), name length (2), value length (4), the name, the value.</remarks>
public ref struct PropertyWriter
{
    internal const int EntryHeader = 8;
    private const int MaxNameBytes = ushort.MaxValue;

    private readonly ArrayBufferWriter<byte> _buffer;
    private int _count;

    internal PropertyWriter(ArrayBufferWriter<byte> buffer)
    {
        _buffer = buffer;
        _count = 0;
    }

    /// <summary>Properties added so far.</summary>
    public readonly int Count => _count;

    /// <summary>Appends <paramref name="count"/> properties already collected by a <see cref="PropertyWriter"/> (constant enrichers).</summary>
    internal void AddRendered(scoped ReadOnlySpan<byte> rendered, int count)
    {
        if (count == 0) return;
        _buffer.Write(rendered);
        _count += count;
    }

    /// <summary>Adds a text property whose name and value are already UTF-8 (pre-encode constant ones once).</summary>
    public void Add(scoped ReadOnlySpan<byte> name, scoped ReadOnlySpan<byte> value) => Add(WellKnownProperty.None, PropertyKind.String, name, value);

    /// <summary>Adds a property with an explicit kind (the value must be UTF-8 text of that kind: <c>42</c>, <c>true</c>).</summary>
    public void Add(scoped ReadOnlySpan<byte> name, scoped ReadOnlySpan<byte> value, PropertyKind kind) => Add(WellKnownProperty.None, kind, name, value);

    /// <summary>Adds a text property.</summary>
    public void Add(scoped ReadOnlySpan<byte> name, scoped ReadOnlySpan<char> value) => Add(WellKnownProperty.None, name, value);

    /// <summary>Adds a property with a formattable value (numbers, ids) written without allocating; numbers keep their kind.</summary>
    public void Add<T>(scoped ReadOnlySpan<byte> name, T value) where T : IUtf8SpanFormattable => Add(WellKnownProperty.None, name, value);

    internal void Add(WellKnownProperty tag, scoped ReadOnlySpan<byte> name, scoped ReadOnlySpan<char> value)
    {
        if (value.Length <= 128)
        {
            Span<byte> small = stackalloc byte[value.Length * 3];
            Add(tag, PropertyKind.String, name, small[..Encoding.UTF8.GetBytes(value, small)]);
            return;
        }
        // a long value: a scratch buffer kept by the (drain) thread, grown once, so nothing is allocated per record
        int max = Encoding.UTF8.GetMaxByteCount(value.Length);
        var scratch = t_scratch is { } kept && kept.Length >= max ? kept : t_scratch = new byte[Math.Max(max, 1024)];
        Add(tag, PropertyKind.String, name, scratch.AsSpan(0, Encoding.UTF8.GetBytes(value, scratch)));
    }

    [ThreadStatic] private static byte[]? t_scratch;

    internal void Add<T>(WellKnownProperty tag, scoped ReadOnlySpan<byte> name, T value) where T : IUtf8SpanFormattable
    {
        Span<byte> scratch = stackalloc byte[128];
        if (!value.TryFormat(scratch, out int n, default, System.Globalization.CultureInfo.InvariantCulture)) return;
        var kind = typeof(T) == typeof(int) || typeof(T) == typeof(long) || typeof(T) == typeof(uint) || typeof(T) == typeof(ulong)
            || typeof(T) == typeof(short) || typeof(T) == typeof(ushort) || typeof(T) == typeof(byte) || typeof(T) == typeof(sbyte)
            || typeof(T) == typeof(double) || typeof(T) == typeof(float) || typeof(T) == typeof(decimal)
            ? PropertyKind.Number : PropertyKind.String;
        Add(tag, kind, name, scratch[..n]);
    }

    internal void Add(WellKnownProperty tag, PropertyKind kind, scoped ReadOnlySpan<byte> name, scoped ReadOnlySpan<byte> value)
    {
        if (name.Length > MaxNameBytes) name = name[..MaxNameBytes];
        var dest = _buffer.GetSpan(EntryHeader + name.Length + value.Length);
        dest[0] = (byte)tag;
        dest[1] = (byte)kind;
        BinaryPrimitives.WriteUInt16LittleEndian(dest[2..], (ushort)name.Length);
        BinaryPrimitives.WriteInt32LittleEndian(dest[4..], value.Length);
        name.CopyTo(dest[EntryHeader..]);
        value.CopyTo(dest[(EntryHeader + name.Length)..]);
        _buffer.Advance(EntryHeader + name.Length + value.Length);
        _count++;
    }
}

/// <summary>One property of a record: its name, value and kind (views, valid during the call that sees the record).</summary>
public readonly ref struct RecordProperty
{
    internal RecordProperty(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value, PropertyKind kind, WellKnownProperty tag)
    {
        Name = name;
        Value = value;
        Kind = kind;
        Tag = tag;
    }

    /// <summary>The name, UTF-8, as the enricher gave it.</summary>
    public ReadOnlySpan<byte> Name { get; }

    /// <summary>The value, UTF-8, unescaped.</summary>
    public ReadOnlySpan<byte> Value { get; }

    /// <summary>The value's kind: how structured formats (JSON) write it.</summary>
    public PropertyKind Kind { get; }

    internal WellKnownProperty Tag { get; }
}

/// <summary>A record's enricher properties, in the configured enrichers' order (no copy, no allocation).</summary>
public readonly ref struct RecordProperties
{
    private readonly ReadOnlySpan<byte> _data;

    internal RecordProperties(ReadOnlySpan<byte> data) => _data = data;

    /// <summary>True when the record has no properties.</summary>
    public bool IsEmpty => _data.IsEmpty;

    /// <summary>Enumerates the properties in order.</summary>
    public Enumerator GetEnumerator() => new(_data);

    /// <summary>Writes the properties as logfmt (<c>Name=Value Name="a value"</c>): names with spaces, quotes, equals signs
    /// or control characters get <c>_</c> instead, values with spaces, quotes, equals signs, backslashes or control
    /// characters are quoted with <c>\"</c>, <c>\\</c>, <c>\n</c>, <c>\r</c>, <c>\t</c> escaped (other control bytes become
    /// spaces), so a property can never forge a line or a pair.</summary>
    public void WriteLogfmt(ref Utf8Writer output) => WriteLogfmt(ref output, escapeControl: false);

    /// <summary>Logfmt, with DEL, the C1 controls and U+2028/U+2029 escaped too when <paramref name="escapeControl"/> is set
    /// (what <see cref="TextFormatter.EscapeControlCharacters"/> asks for).</summary>
    internal void WriteLogfmt(ref Utf8Writer output, bool escapeControl)
    {
        bool first = true;
        foreach (var property in this)
        {
            if (!first) output.Write((byte)' ');
            first = false;
            WriteName(ref output, property.Name, escapeControl);
            output.Write((byte)'=');
            WriteValue(ref output, property.Value, escapeControl);
        }
    }

    /// <summary>The properties as logfmt (allocates; for tests and diagnostics).</summary>
    public override string ToString()
    {
        var buffer = new ArrayBufferWriter<byte>();
        var writer = new Utf8Writer(buffer);
        WriteLogfmt(ref writer);
        writer.Commit();
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static readonly SearchValues<byte> s_nameSpecial = SearchValues.Create(" \"=\u0000\u0001\u0002\u0003\u0004\u0005\u0006\u0007\u0008\u0009\u000a\u000b\u000c\u000d\u000e\u000f\u0010\u0011\u0012\u0013\u0014\u0015\u0016\u0017\u0018\u0019\u001a\u001b\u001c\u001d\u001e\u001f\u007f"u8);
    private static readonly SearchValues<byte> s_valueSpecial = SearchValues.Create(" \"=\\\u0000\u0001\u0002\u0003\u0004\u0005\u0006\u0007\u0008\u0009\u000a\u000b\u000c\u000d\u000e\u000f\u0010\u0011\u0012\u0013\u0014\u0015\u0016\u0017\u0018\u0019\u001a\u001b\u001c\u001d\u001e\u001f"u8);

    private static void WriteName(ref Utf8Writer output, ReadOnlySpan<byte> name, bool escapeControl)
    {
        if (name.IndexOfAny(s_nameSpecial) < 0)
        {
            if (escapeControl) Formatting.TextEscaping.WriteEscaped(ref output, name);
            else output.Write(name);
            return;
        }
        var dest = output.GetSpan(name.Length);
        for (int i = 0; i < name.Length; i++)
        {
            byte b = name[i];
            dest[i] = b is (byte)' ' or (byte)'"' or (byte)'=' or < 32 or 127 ? (byte)'_' : b;
        }
        output.Advance(name.Length);
    }

    private static void WriteValue(ref Utf8Writer output, ReadOnlySpan<byte> value, bool escapeControl)
    {
        if (!value.IsEmpty && value.IndexOfAny(s_valueSpecial) < 0)
        {
            if (escapeControl) Formatting.TextEscaping.WriteEscaped(ref output, value);
            else output.Write(value);
            return;
        }
        output.Write((byte)'"');
        for (int i = 0; i < value.Length; i++)
        {
            byte b = value[i];
            if (escapeControl && b >= 0x7F && TryEscapeControl(ref output, value, ref i)) continue;
            switch (b)
            {
                case (byte)'"': output.Write("\\\""u8); break;
                case (byte)'\\': output.Write("\\\\"u8); break;
                case (byte)'\n': output.Write("\\n"u8); break;
                case (byte)'\r': output.Write("\\r"u8); break;
                case (byte)'\t': output.Write("\\t"u8); break;
                default: output.Write(b < 32 ? (byte)' ' : b); break;
            }
        }
        output.Write((byte)'"');
    }

    /// <summary>DEL, a C1 control (C2 80–9F) or U+2028/U+2029 (E2 80 A8/A9) at <paramref name="i"/>: written as <c>\uXXXX</c>, <paramref name="i"/> moved to its last byte.</summary>
    private static bool TryEscapeControl(ref Utf8Writer output, ReadOnlySpan<byte> value, ref int i)
    {
        int scalar;
        int extra;
        if (value[i] == 0x7F) { scalar = 0x7F; extra = 0; }
        else if (value[i] == 0xC2 && i + 1 < value.Length && value[i + 1] is >= 0x80 and <= 0x9F) { scalar = value[i + 1]; extra = 1; }
        else if (value[i] == 0xE2 && i + 2 < value.Length && value[i + 1] == 0x80 && value[i + 2] is 0xA8 or 0xA9) { scalar = 0x2000 | value[i + 2] - 0x80; extra = 2; }
        else return false;
        var dest = output.GetSpan(6);
        dest[0] = (byte)'\\';
        dest[1] = (byte)'u';
        scalar.TryFormat(dest[2..], out _, "x4", System.Globalization.CultureInfo.InvariantCulture);
        output.Advance(6);
        i += extra;
        return true;
    }

    /// <summary>Walks the properties.</summary>
    public ref struct Enumerator
    {
        private readonly ReadOnlySpan<byte> _data;
        private int _next;
        private RecordProperty _current;

        internal Enumerator(ReadOnlySpan<byte> data)
        {
            _data = data;
            _next = 0;
            _current = default;
        }

        /// <summary>The current property.</summary>
        public readonly RecordProperty Current => _current;

        /// <summary>Moves to the next property; false after the last.</summary>
        public bool MoveNext()
        {
            if (_next + PropertyWriter.EntryHeader > _data.Length) return false;
            var entry = _data[_next..];
            int nameLength = BinaryPrimitives.ReadUInt16LittleEndian(entry[2..]);
            int valueLength = BinaryPrimitives.ReadInt32LittleEndian(entry[4..]);
            if (valueLength < 0 || (long)PropertyWriter.EntryHeader + nameLength + valueLength > entry.Length) return false; // not properties a PropertyWriter wrote
            var name = entry.Slice(PropertyWriter.EntryHeader, nameLength);
            var value = entry.Slice(PropertyWriter.EntryHeader + nameLength, valueLength);
            _current = new RecordProperty(name, value, (PropertyKind)entry[1], (WellKnownProperty)entry[0]);
            _next += PropertyWriter.EntryHeader + nameLength + valueLength;
            return true;
        }
    }
}
