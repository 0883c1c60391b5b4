using System;
using System.Buffers;
using System.Buffers.Binary;
using System.IO;
using System.Text;

namespace Kakashi;

/// <summary>Writes the primitives of the manifest format (docs/record-format.md): LEB128 integers, zigzag for signed ones, UTF-8 strings with a length.</summary>
internal readonly struct ManifestWriter(IBufferWriter<byte> output)
{
    public void Byte(byte value)
    {
        output.GetSpan(1)[0] = value;
        output.Advance(1);
    }

    public void VarUInt(ulong value)
    {
        var span = output.GetSpan(10);
        int n = 0;
        while (value >= 0x80)
        {
            span[n++] = (byte)(value | 0x80);
            value >>= 7;
        }
        span[n++] = (byte)value;
        output.Advance(n);
    }

    public void VarInt(long value) => VarUInt((ulong)((value << 1) ^ (value >> 63)));

    public void Int64(long value)
    {
        BinaryPrimitives.WriteInt64LittleEndian(output.GetSpan(8), value);
        output.Advance(8);
    }

    public void Bytes(ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(output.GetSpan(bytes.Length));
        output.Advance(bytes.Length);
    }

    public void String(string value)
    {
        int length = Encoding.UTF8.GetByteCount(value);
        VarUInt((uint)length);
        Encoding.UTF8.GetBytes(value, output.GetSpan(length));
        output.Advance(length);
    }

    /// <summary>Length + 1, so 0 says null.</summary>
    public void NullableString(string? value)
    {
        if (value is null)
        {
            VarUInt(0);
            return;
        }
        int length = Encoding.UTF8.GetByteCount(value);
        VarUInt((uint)length + 1);
        Encoding.UTF8.GetBytes(value, output.GetSpan(length));
        output.Advance(length);
    }
}

/// <summary>
/// Reads the manifest format with a bound on everything: a length past the end, an integer longer than ten bytes or a count
/// larger than the bytes left is refused with <see cref="InvalidDataException"/>, so hostile input never allocates without limit.
/// </summary>
internal ref struct ManifestReader(ReadOnlySpan<byte> data)
{
    private readonly ReadOnlySpan<byte> _data = data;
    private int _pos;

    public readonly int Position => _pos;

    public readonly int Remaining => _data.Length - _pos;

    public readonly bool End => _pos >= _data.Length;

    public byte Byte()
    {
        if (_pos >= _data.Length) throw Truncated();
        return _data[_pos++];
    }

    public ulong VarUInt()
    {
        ulong value = 0;
        for (int shift = 0; shift < 70; shift += 7)
        {
            byte b = Byte();
            if (shift == 63 && b > 1) throw new InvalidDataException("An integer in the manifest overflows 64 bits.");
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80) return value;
        }
        throw new InvalidDataException("An integer in the manifest is longer than ten bytes.");
    }

    public long VarInt()
    {
        ulong raw = VarUInt();
        return (long)(raw >> 1) ^ -(long)(raw & 1);
    }

    public int Int32(int min, int max)
    {
        long value = VarInt();
        if (value < min || value > max) throw new InvalidDataException($"A value in the manifest is {value}, outside {min}..{max}.");
        return (int)value;
    }

    /// <summary>An unsigned count or id, at most <paramref name="max"/>.</summary>
    public int Count(int max)
    {
        ulong value = VarUInt();
        if (value > (ulong)max) throw new InvalidDataException($"A count in the manifest is {value}, more than {max}.");
        return (int)value;
    }

    public long Int64()
    {
        if (Remaining < 8) throw Truncated();
        long value = BinaryPrimitives.ReadInt64LittleEndian(_data[_pos..]);
        _pos += 8;
        return value;
    }

    public ReadOnlySpan<byte> Bytes(int length)
    {
        if (length < 0 || length > Remaining) throw Truncated();
        var bytes = _data.Slice(_pos, length);
        _pos += length;
        return bytes;
    }

    public string String() => Encoding.UTF8.GetString(Bytes(Count(Math.Min(TemplateLimits.MaxString, Remaining))));

    public string? NullableString()
    {
        int length = Count(Math.Min(TemplateLimits.MaxString, Remaining) + 1);
        return length == 0 ? null : Encoding.UTF8.GetString(Bytes(length - 1));
    }

    private static InvalidDataException Truncated() => new("The manifest ends in the middle of an entry.");
}
