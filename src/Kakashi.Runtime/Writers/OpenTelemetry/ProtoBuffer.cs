using System;
using System.Buffers.Binary;
using System.Text.Unicode;

namespace Kakashi.OpenTelemetry;

/// <summary>
/// A growable byte buffer with the protobuf wire primitives the OTLP encoder needs (varints, fixed64/32, length-delimited
/// fields). A nested message reserves one byte for its length and, when it turns out longer than 127 bytes, moves its
/// content right by the extra varint bytes: lengths are always minimally encoded. Reused per thread: grows once, then
/// allocates nothing.
/// </summary>
internal sealed class ProtoBuffer
{
    public const int Varint = 0;
    public const int Fixed64 = 1;
    public const int Len = 2;
    public const int Fixed32 = 5;

    public byte[] Data;
    public int Pos;

    public ProtoBuffer(int capacity = 4096) => Data = new byte[capacity];

    public ReadOnlySpan<byte> Written => Data.AsSpan(0, Pos);

    public void Reset() => Pos = 0;

    public void Ensure(int bytes)
    {
        if (Data.Length - Pos >= bytes) return;
        long size = Math.Max((long)Data.Length * 2, (long)Pos + bytes);
        if (size > Array.MaxLength) size = Math.Max(Array.MaxLength, Pos + bytes);
        Array.Resize(ref Data, (int)size);
    }

    public void Tag(int field, int wireType) => WriteVarint((uint)((field << 3) | wireType));

    public void WriteVarint(ulong value)
    {
        Ensure(10);
        var data = Data;
        int pos = Pos;
        while (value >= 0x80)
        {
            data[pos++] = (byte)(value | 0x80);
            value >>= 7;
        }
        data[pos++] = (byte)value;
        Pos = pos;
    }

    public void WriteFixed64(ulong value)
    {
        Ensure(8);
        BinaryPrimitives.WriteUInt64LittleEndian(Data.AsSpan(Pos), value);
        Pos += 8;
    }

    public void WriteFixed32(uint value)
    {
        Ensure(4);
        BinaryPrimitives.WriteUInt32LittleEndian(Data.AsSpan(Pos), value);
        Pos += 4;
    }

    public void WriteBytes(scoped ReadOnlySpan<byte> bytes)
    {
        Ensure(bytes.Length);
        bytes.CopyTo(Data.AsSpan(Pos));
        Pos += bytes.Length;
    }

    /// <summary>Starts a length-delimited field's content (the tag is written already): returns where its length goes.</summary>
    public int BeginLength()
    {
        Ensure(1);
        return Pos++;
    }

    /// <summary>Ends the content started at <paramref name="at"/>: writes its length there, moving the content if the length needs more than one byte.</summary>
    public void EndLength(int at)
    {
        int length = Pos - at - 1;
        int size = VarintSize((ulong)length);
        if (size > 1)
        {
            Ensure(size - 1);
            Buffer.BlockCopy(Data, at + 1, Data, at + size, length);
            Pos += size - 1;
        }
        WriteVarintAt(Data, at, (ulong)length);
    }

    public void StringField(int field, scoped ReadOnlySpan<byte> utf8)
    {
        Tag(field, Len);
        WriteVarint((ulong)utf8.Length);
        WriteBytes(utf8);
    }

    /// <summary>A string field from UTF-16 text (invalid surrogates replaced), optionally followed by extra UTF-8 bytes.</summary>
    public void StringField(int field, scoped ReadOnlySpan<char> text, scoped ReadOnlySpan<byte> suffix = default)
    {
        Tag(field, Len);
        int at = BeginLength();
        WriteUtf16(text);
        WriteBytes(suffix);
        EndLength(at);
    }

    public void WriteUtf16(scoped ReadOnlySpan<char> text)
    {
        while (true)
        {
            Ensure(Math.Min(text.Length, 1 << 20) * 3 + 4);
            var status = Utf8.FromUtf16(text, Data.AsSpan(Pos), out int read, out int written, replaceInvalidSequences: true);
            Pos += written;
            if (status == System.Buffers.OperationStatus.Done) return;
            text = text[read..];
        }
    }

    public static int VarintSize(ulong value)
    {
        int size = 1;
        while (value >= 0x80)
        {
            value >>= 7;
            size++;
        }
        return size;
    }

    public static int WriteVarintAt(Span<byte> destination, int at, ulong value)
    {
        int pos = at;
        while (value >= 0x80)
        {
            destination[pos++] = (byte)(value | 0x80);
            value >>= 7;
        }
        destination[pos++] = (byte)value;
        return pos - at;
    }

    /// <summary>Reads a varint at <paramref name="pos"/>; false when the data ends first or it is longer than 10 bytes.</summary>
    public static bool TryReadVarint(ReadOnlySpan<byte> data, ref int pos, out ulong value)
    {
        value = 0;
        for (int shift = 0; shift < 70 && pos < data.Length; shift += 7)
        {
            byte b = data[pos++];
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80) return true;
        }
        return false;
    }
}
