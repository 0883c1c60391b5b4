using System;
using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text.Unicode;
using Kakashi.Templates;

namespace Kakashi.Writers.BinaryLog;

/// <summary>
/// A record's arguments as a <c>.klog</c> file stores them (docs/binary-log.md, "Arguments"): the ring's payload
/// (record format v1) without its fixed widths. Integers are LEB128 (signed ones zigzag), strings UTF-8 with their length,
/// everything else the v1 bytes. <see cref="Encode"/> turns a v1 payload into this; <see cref="TryDecode"/> turns it back into
/// the identical v1 payload, which the runtime's codecs and formatters then read as they read the ring.
/// </summary>
internal static class CompactPayload
{
    /// <summary>Most bytes <see cref="Encode"/> writes for a v1 payload of <paramref name="v1Length"/> bytes with <paramref name="args"/> arguments.</summary>
    public static int MaxSize(int v1Length, int args) => v1Length * 2 + args * 10 + 16;

    // string header: 0 = null; 1 = the previous record's value (delta mode); else ((length << 2) | truncated << 1 | utf16) + 2
    private const int StrTruncated = 2, StrUtf16 = 1;
    private const byte StrSame = 1;
    private const int StrBias = 2;

    /// <summary>The v1 string at <paramref name="src"/> equals the one at <paramref name="pv"/> in <paramref name="prev"/> (header included).</summary>
    private static bool SameString(ReadOnlySpan<byte> payload, int src, ReadOnlySpan<byte> prev, int pv)
    {
        if (payload.Length - src < 4 || prev.Length - pv < 4) return false;
        int header = BinaryPrimitives.ReadInt32LittleEndian(payload[src..]);
        if (header == Buffers.RecordLayout.NullString || header != BinaryPrimitives.ReadInt32LittleEndian(prev[pv..])) return false;
        int bytes = 4 + 2 * (header & ~Buffers.RecordLayout.TruncatedStringBit);
        return bytes >= 4 && payload.Length - src >= bytes && prev.Length - pv >= bytes && payload.Slice(src, bytes).SequenceEqual(prev.Slice(pv, bytes));
    }

    /// <summary>
    /// An integer of at most 32 bits: in delta mode (<paramref name="previous"/> given) the `s` difference from the previous
    /// record's value, else `u` (<paramref name="unsigned"/>) or `s`.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void PutInteger(Span<byte> dest, ref int pos, long value, long? previous, bool unsigned)
    {
        if (previous is { } p) KlogFormat.PutVarInt(dest, ref pos, value - p);
        else if (unsigned) KlogFormat.PutVarUInt(dest, ref pos, (ulong)value);
        else KlogFormat.PutVarInt(dest, ref pos, value);
    }

    /// <summary>
    /// Where argument <paramref name="a"/> starts in the previous record's payload: its fixed offset while every argument
    /// before it has a fixed size (no walk), else found by walking <paramref name="prev"/> from <paramref name="psrc"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool PreviousAt(TemplateArg arg, int[] fixedOffsets, int a, ReadOnlySpan<byte> prev, ref int psrc, out int pv)
    {
        int fixedOffset = fixedOffsets[a];
        if (fixedOffset >= 0)
        {
            pv = fixedOffset;
            if (a + 1 < fixedOffsets.Length && fixedOffsets[a + 1] >= 0) return prev.Length >= fixedOffsets[a + 1];
            psrc = fixedOffset; // the next argument's start is walked from here
        }
        else pv = psrc;
        int length = ArgLength(arg, prev[psrc..]);
        if (length < 0) return false;
        psrc += length;
        return true;
    }

    /// <summary>Bytes the v1 value of <paramref name="arg"/> takes at the start of <paramref name="data"/>; -1 when it does not fit.</summary>
    internal static int ArgLength(TemplateArg arg, ReadOnlySpan<byte> data)
    {
        var type = arg.Type;
        int size;
        if ((type & ArgType.Nullable) != 0) size = arg.Codec.FixedLength;
        else
        {
            switch (type)
            {
                case ArgType.String:
                    {
                        if (data.Length < 4) return -1;
                        int header = BinaryPrimitives.ReadInt32LittleEndian(data);
                        size = header == Buffers.RecordLayout.NullString ? 4 : 4 + 2 * (header & ~Buffers.RecordLayout.TruncatedStringBit);
                        break;
                    }
                case ArgType.Utf8Text:
                    {
                        if (data.Length < 4) return -1;
                        size = 4 + (BinaryPrimitives.ReadInt32LittleEndian(data) & ~Buffers.RecordLayout.TruncatedStringBit);
                        break;
                    }
                case ArgType.DateTimeOffset: size = Unsafe.SizeOf<DateTimeOffset>(); break;
                case ArgType.Enum: size = ArgTypes.FixedSize(arg.EnumTable!.Underlying); break;
                case ArgType.Exception: size = 0; break;
                case ArgType.Custom: size = arg.CustomSize; break;
                default: size = ArgTypes.FixedSize(type); break;
            }
        }
        return size < 0 || size > data.Length ? -1 : size;
    }

    /// <summary>
    /// Encodes the v1 <paramref name="payload"/> of a record of <paramref name="template"/> (against <paramref name="prev"/>, the previous record of it in the frame, when not empty) at <paramref name="pos"/>;
    /// false when the payload is shorter than its arguments say (nothing useful was written).
    /// </summary>
    public static bool Encode(LogTemplate template, ReadOnlySpan<byte> payload, ReadOnlySpan<byte> prev, Span<byte> dest, ref int pos)
    {
        var args = template.Args;
        var fixedOffsets = template.FixedOffsets;
        int src = 0, psrc = 0;
        bool delta = !prev.IsEmpty;
        for (int a = 0; a < args.Length; a++)
        {
            var arg = args[a];
            var type = arg.Type;
            // the previous record's value of this argument (delta mode): where it starts in prev
            int pv = 0;
            if (delta && !PreviousAt(arg, fixedOffsets, a, prev, ref psrc, out pv)) return false;
            bool d = delta && (type & ArgType.Nullable) == 0;
            if ((type & ArgType.Nullable) != 0)
            {
                int size = arg.Codec.FixedLength;
                if (size < 1 || payload.Length - src < size) return false;
                byte present = payload[src];
                dest[pos++] = present;
                if (present == 0)
                {
                    src += size;
                    continue;
                }
                src++;
                type = type.Base();
            }
            switch (type)
            {
                case ArgType.Int32:
                    if (payload.Length - src < 4) return false;
                    PutInteger(dest, ref pos, BinaryPrimitives.ReadInt32LittleEndian(payload[src..]), d ? BinaryPrimitives.ReadInt32LittleEndian(prev[pv..]) : null, unsigned: false);
                    src += 4;
                    break;
                case ArgType.String:
                    if (d && SameString(payload, src, prev, pv))
                    {
                        dest[pos++] = StrSame;
                        src += 4 + 2 * (BinaryPrimitives.ReadInt32LittleEndian(payload[src..]) & ~Buffers.RecordLayout.TruncatedStringBit);
                        break;
                    }
                    if (!String(payload, ref src, dest, ref pos)) return false;
                    break;
                case ArgType.Int64:
                case ArgType.TimeSpan:
                case ArgType.UInt64:
                case ArgType.TimeOnly:
                case ArgType.DateTime:
                    {
                        // 64-bit values as their bits: zigzag varint, or the (wrapping) difference from the previous value
                        if (payload.Length - src < 8) return false;
                        long v = BinaryPrimitives.ReadInt64LittleEndian(payload[src..]);
                        if (d) v = unchecked(v - BinaryPrimitives.ReadInt64LittleEndian(prev[pv..]));
                        if (type is ArgType.UInt64 or ArgType.TimeOnly && !d) KlogFormat.PutVarUInt(dest, ref pos, (ulong)v);
                        else if (type == ArgType.DateTime && !d)
                        {
                            BinaryPrimitives.WriteInt64LittleEndian(dest[pos..], v);
                            pos += 8;
                        }
                        else KlogFormat.PutVarInt(dest, ref pos, v);
                        src += 8;
                        break;
                    }
                case ArgType.UInt32:
                case ArgType.DateOnly:
                    if (payload.Length - src < 4) return false;
                    PutInteger(dest, ref pos, BinaryPrimitives.ReadUInt32LittleEndian(payload[src..]), d ? BinaryPrimitives.ReadUInt32LittleEndian(prev[pv..]) : null, unsigned: true);
                    src += 4;
                    break;
                case ArgType.Int16:
                    if (payload.Length - src < 2) return false;
                    PutInteger(dest, ref pos, BinaryPrimitives.ReadInt16LittleEndian(payload[src..]), d ? BinaryPrimitives.ReadInt16LittleEndian(prev[pv..]) : null, unsigned: false);
                    src += 2;
                    break;
                case ArgType.UInt16:
                case ArgType.Char:
                    if (payload.Length - src < 2) return false;
                    PutInteger(dest, ref pos, BinaryPrimitives.ReadUInt16LittleEndian(payload[src..]), d ? BinaryPrimitives.ReadUInt16LittleEndian(prev[pv..]) : null, unsigned: true);
                    src += 2;
                    break;
                case ArgType.DateTimeOffset:
                    {
                        // the UTC ticks (8 bytes) and the offset in minutes (varint): DateTimeOffset's layout is the runtime's
                        // (LayoutKind.Auto), so it is read as a value, never as bytes at assumed positions
                        if (payload.Length - src < Unsafe.SizeOf<DateTimeOffset>()) return false;
                        var value = MemoryMarshal.Read<DateTimeOffset>(payload[src..]);
                        BinaryPrimitives.WriteInt64LittleEndian(dest[pos..], value.UtcTicks);
                        pos += 8;
                        KlogFormat.PutVarInt(dest, ref pos, (long)value.Offset.TotalMinutes);
                        src += Unsafe.SizeOf<DateTimeOffset>();
                        break;
                    }
                case ArgType.Utf8Text:
                    {
                        if (payload.Length - src < 4) return false;
                        int header = BinaryPrimitives.ReadInt32LittleEndian(payload[src..]);
                        int length = header & ~Buffers.RecordLayout.TruncatedStringBit;
                        if (length < 0 || payload.Length - src - 4 < length) return false;
                        KlogFormat.PutVarUInt(dest, ref pos, ((ulong)(uint)length << 1) | ((header & Buffers.RecordLayout.TruncatedStringBit) != 0 ? 1UL : 0));
                        payload.Slice(src + 4, length).CopyTo(dest[pos..]);
                        pos += length;
                        src += 4 + length;
                        break;
                    }
                case ArgType.Enum:
                    {
                        var underlying = arg.EnumTable!.Underlying;
                        int size = ArgTypes.FixedSize(underlying);
                        if (payload.Length - src < size) return false;
                        var raw = payload[src..];
                        switch (underlying)
                        {
                            case ArgType.SByte: KlogFormat.PutVarInt(dest, ref pos, (sbyte)raw[0]); break;
                            case ArgType.Byte: KlogFormat.PutVarUInt(dest, ref pos, raw[0]); break;
                            case ArgType.Int16: KlogFormat.PutVarInt(dest, ref pos, BinaryPrimitives.ReadInt16LittleEndian(raw)); break;
                            case ArgType.UInt16: KlogFormat.PutVarUInt(dest, ref pos, BinaryPrimitives.ReadUInt16LittleEndian(raw)); break;
                            case ArgType.Int32: KlogFormat.PutVarInt(dest, ref pos, BinaryPrimitives.ReadInt32LittleEndian(raw)); break;
                            case ArgType.UInt32: KlogFormat.PutVarUInt(dest, ref pos, BinaryPrimitives.ReadUInt32LittleEndian(raw)); break;
                            case ArgType.Int64: KlogFormat.PutVarInt(dest, ref pos, BinaryPrimitives.ReadInt64LittleEndian(raw)); break;
                            default: KlogFormat.PutVarUInt(dest, ref pos, BinaryPrimitives.ReadUInt64LittleEndian(raw)); break;
                        }
                        src += size;
                        break;
                    }
                case ArgType.Double:
                    {
                        // 8 raw bytes, moved as one word; in delta mode a 0 byte when unchanged, else 1 and the bytes
                        if (payload.Length - src < 8) return false;
                        ulong bits = BinaryPrimitives.ReadUInt64LittleEndian(payload[src..]);
                        src += 8;
                        if (d)
                        {
                            if (bits == BinaryPrimitives.ReadUInt64LittleEndian(prev[pv..]))
                            {
                                dest[pos++] = 0;
                                break;
                            }
                            dest[pos++] = 1;
                        }
                        BinaryPrimitives.WriteUInt64LittleEndian(dest[pos..], bits);
                        pos += 8;
                        break;
                    }
                case ArgType.Exception:
                    break; // an object slot: written after the payload
                default:
                    {
                        // Boolean, SByte, Byte, Int128, UInt128, Half, Single, Double, Decimal, DateTime, Guid, Custom: the v1 bytes
                        int size = type == ArgType.Custom ? arg.CustomSize : ArgTypes.FixedSize(type);
                        if (size < 0 || payload.Length - src < size) return false;
                        payload.Slice(src, size).CopyTo(dest[pos..]);
                        pos += size;
                        src += size;
                        break;
                    }
            }
        }
        return true;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool String(ReadOnlySpan<byte> payload, ref int src, Span<byte> dest, ref int pos)
    {
        if (payload.Length - src < 4) return false;
        int header = BinaryPrimitives.ReadInt32LittleEndian(payload[src..]);
        src += 4;
        if (header == Buffers.RecordLayout.NullString)
        {
            dest[pos++] = 0;
            return true;
        }
        int truncated = (header & Buffers.RecordLayout.TruncatedStringBit) != 0 ? StrTruncated : 0;
        int chars = header & ~Buffers.RecordLayout.TruncatedStringBit;
        if (chars < 0 || (payload.Length - src) / 2 < chars) return false;
        var text = MemoryMarshal.Cast<byte, char>(payload.Slice(src, chars * 2));
        src += chars * 2;
        if (chars < 31 && truncated == 0)
        {
            // a short ASCII string (symbols, codes, names): narrowed in place, header (length << 2) + 1 in one byte
            int i = 0;
            var target = dest.Slice(pos + 1, chars);
            for (; i < text.Length; i++)
            {
                char c = text[i];
                if (c >= 0x80) break;
                target[i] = (byte)c;
            }
            if (i == text.Length)
            {
                dest[pos] = (byte)((chars << 2) + StrBias);
                pos += 1 + chars;
                return true;
            }
        }
        // short strings (the common case) take a one-byte header: transcode right after it, move only if it needs more
        var status = Utf8.FromUtf16(text, dest[(pos + 1)..], out _, out int written, replaceInvalidSequences: false);
        if (status == OperationStatus.Done)
        {
            ulong value = ((ulong)(uint)written << 2 | (uint)truncated) + StrBias;
            if (value < 0x80)
            {
                dest[pos] = (byte)value;
                pos += 1 + written;
                return true;
            }
            int headerSize = VarSize(value);
            dest.Slice(pos + 1, written).CopyTo(dest[(pos + headerSize)..]);
            KlogFormat.PutVarUInt(dest, ref pos, value);
            pos += written;
            return true;
        }
        // a lone surrogate: UTF-8 cannot hold it; keep the UTF-16 code units so the value renders exactly as it was logged
        KlogFormat.PutVarUInt(dest, ref pos, ((ulong)(uint)chars << 2 | (uint)truncated | StrUtf16) + StrBias);
        MemoryMarshal.AsBytes(text).CopyTo(dest[pos..]);
        pos += chars * 2;
        return true;
    }

    private static int VarSize(ulong value)
    {
        int n = 1;
        while (value >= 0x80)
        {
            value >>= 7;
            n++;
        }
        return n;
    }

    /// <summary>
    /// Decodes the compact arguments at <paramref name="pos"/> back into their v1 payload in <paramref name="v1"/>, with
    /// each argument's offset in <paramref name="offsets"/>. False on damaged data (it never reads past <paramref name="data"/>).
    /// </summary>
    public static bool TryDecode(LogTemplate template, ReadOnlySpan<byte> data, ref int pos, ReadOnlySpan<byte> prev, ArrayBufferWriter<byte> v1, Span<int> offsets)
    {
        var args = template.Args;
        var fixedOffsets = template.FixedOffsets;
        int psrc = 0;
        bool delta = !prev.IsEmpty;
        for (int a = 0; a < args.Length; a++)
        {
            var arg = args[a];
            var type = arg.Type;
            offsets[a] = v1.WrittenCount;
            int pv = 0;
            if (delta && !PreviousAt(arg, fixedOffsets, a, prev, ref psrc, out pv)) return false;
            bool d = delta && (type & ArgType.Nullable) == 0;
            if ((type & ArgType.Nullable) != 0)
            {
                int size = arg.Codec.FixedLength;
                if ((uint)pos >= (uint)data.Length || size < 1) return false;
                byte present = data[pos++];
                var span = v1.GetSpan(1);
                span[0] = present;
                v1.Advance(1);
                if (present == 0)
                {
                    v1.GetSpan(size - 1)[..(size - 1)].Clear();
                    v1.Advance(size - 1);
                    continue;
                }
                type = type.Base();
            }
            switch (type)
            {
                case ArgType.Int32:
                    {
                        if (!KlogFormat.TryGetVarInt(data, ref pos, out long i32)) return false;
                        if (d) i32 += BinaryPrimitives.ReadInt32LittleEndian(prev[pv..]);
                        if (i32 is < int.MinValue or > int.MaxValue) return false;
                        BinaryPrimitives.WriteInt32LittleEndian(Take(v1, 4), (int)i32);
                        break;
                    }
                case ArgType.String:
                    if (d && (uint)pos < (uint)data.Length && data[pos] == StrSame)
                    {
                        pos++;
                        int length = ArgLength(arg, prev[pv..]);
                        if (length < 4) return false;
                        prev.Slice(pv, length).CopyTo(Take(v1, length));
                        break;
                    }
                    if (!TryDecodeString(data, ref pos, v1)) return false;
                    break;
                case ArgType.Int64:
                case ArgType.TimeSpan:
                case ArgType.UInt64:
                case ArgType.TimeOnly:
                case ArgType.DateTime:
                    {
                        long v;
                        if (type == ArgType.DateTime && !d)
                        {
                            if (data.Length - pos < 8) return false;
                            v = BinaryPrimitives.ReadInt64LittleEndian(data[pos..]);
                            pos += 8;
                        }
                        else if (type is ArgType.UInt64 or ArgType.TimeOnly && !d)
                        {
                            if (!KlogFormat.TryGetVarUInt(data, ref pos, out ulong u)) return false;
                            v = (long)u;
                        }
                        else if (!KlogFormat.TryGetVarInt(data, ref pos, out v)) return false;
                        if (d) v = unchecked(v + BinaryPrimitives.ReadInt64LittleEndian(prev[pv..]));
                        BinaryPrimitives.WriteInt64LittleEndian(Take(v1, 8), v);
                        break;
                    }
                case ArgType.UInt32:
                case ArgType.DateOnly:
                    {
                        if (!TryGetUnsigned(data, ref pos, d ? BinaryPrimitives.ReadUInt32LittleEndian(prev[pv..]) : -1, uint.MaxValue, out long v)) return false;
                        BinaryPrimitives.WriteUInt32LittleEndian(Take(v1, 4), (uint)v);
                        break;
                    }
                case ArgType.Int16:
                    {
                        if (!KlogFormat.TryGetVarInt(data, ref pos, out long i16)) return false;
                        if (d) i16 += BinaryPrimitives.ReadInt16LittleEndian(prev[pv..]);
                        if (i16 is < short.MinValue or > short.MaxValue) return false;
                        BinaryPrimitives.WriteInt16LittleEndian(Take(v1, 2), (short)i16);
                        break;
                    }
                case ArgType.UInt16:
                case ArgType.Char:
                    {
                        if (!TryGetUnsigned(data, ref pos, d ? BinaryPrimitives.ReadUInt16LittleEndian(prev[pv..]) : -1, ushort.MaxValue, out long v)) return false;
                        BinaryPrimitives.WriteUInt16LittleEndian(Take(v1, 2), (ushort)v);
                        break;
                    }
                case ArgType.Double:
                    {
                        if (d)
                        {
                            if ((uint)pos >= (uint)data.Length) return false;
                            byte changed = data[pos++];
                            if (changed > 1) return false;
                            if (changed == 0)
                            {
                                prev.Slice(pv, 8).CopyTo(Take(v1, 8));
                                break;
                            }
                        }
                        if (data.Length - pos < 8) return false;
                        data.Slice(pos, 8).CopyTo(Take(v1, 8));
                        pos += 8;
                        break;
                    }
                case ArgType.DateTimeOffset:
                    {
                        if (data.Length - pos < 8) return false;
                        long utc = BinaryPrimitives.ReadInt64LittleEndian(data[pos..]);
                        pos += 8;
                        if (!KlogFormat.TryGetVarInt(data, ref pos, out long minutes) || minutes is < -840 or > 840) return false;
                        long local = utc + minutes * TimeSpan.TicksPerMinute;
                        if ((ulong)utc > (ulong)DateTime.MaxValue.Ticks || (ulong)local > (ulong)DateTime.MaxValue.Ticks) return false;
                        var value = new DateTimeOffset(local, TimeSpan.FromMinutes(minutes));
                        MemoryMarshal.Write(Take(v1, Unsafe.SizeOf<DateTimeOffset>()), in value);
                        break;
                    }
                case ArgType.Utf8Text:
                    {
                        if (!KlogFormat.TryGetVarUInt(data, ref pos, out ulong h)) return false;
                        ulong length = h >> 1;
                        if (length > (ulong)(data.Length - pos) || length >= Buffers.RecordLayout.TruncatedStringBit) return false;
                        int n = (int)length;
                        var span = Take(v1, 4 + n);
                        BinaryPrimitives.WriteInt32LittleEndian(span, n | ((h & 1) != 0 ? Buffers.RecordLayout.TruncatedStringBit : 0));
                        data.Slice(pos, n).CopyTo(span[4..]);
                        pos += n;
                        break;
                    }
                case ArgType.Enum:
                    {
                        var underlying = arg.EnumTable!.Underlying;
                        int size = ArgTypes.FixedSize(underlying);
                        if (size is not (1 or 2 or 4 or 8)) return false;
                        var span = Take(v1, size);
                        bool signed = underlying is ArgType.SByte or ArgType.Int16 or ArgType.Int32 or ArgType.Int64;
                        ulong bits;
                        if (signed)
                        {
                            if (!KlogFormat.TryGetVarInt(data, ref pos, out long s)) return false;
                            bits = (ulong)s;
                        }
                        else if (!KlogFormat.TryGetVarUInt(data, ref pos, out bits)) return false;
                        switch (size)
                        {
                            case 1: span[0] = (byte)bits; break;
                            case 2: BinaryPrimitives.WriteUInt16LittleEndian(span, (ushort)bits); break;
                            case 4: BinaryPrimitives.WriteUInt32LittleEndian(span, (uint)bits); break;
                            default: BinaryPrimitives.WriteUInt64LittleEndian(span, bits); break;
                        }
                        break;
                    }
                case ArgType.Exception:
                    break;
                default:
                    {
                        int size = type == ArgType.Custom ? arg.CustomSize : ArgTypes.FixedSize(type);
                        if (size < 0 || data.Length - pos < size) return false;
                        data.Slice(pos, size).CopyTo(Take(v1, size));
                        pos += size;
                        break;
                    }
            }
        }
        return true;
    }

    /// <summary>
    /// An unsigned value of at most <paramref name="max"/>: a `u`, or in delta mode (<paramref name="previous"/> ≥ 0) the `s`
    /// difference from the previous record's value. False when it is damaged or out of range.
    /// </summary>
    private static bool TryGetUnsigned(ReadOnlySpan<byte> data, ref int pos, long previous, long max, out long value)
    {
        if (previous >= 0)
        {
            if (!KlogFormat.TryGetVarInt(data, ref pos, out long difference)) return Fail(out value);
            value = unchecked(previous + difference);
        }
        else
        {
            if (!KlogFormat.TryGetVarUInt(data, ref pos, out ulong u) || u > (ulong)max) return Fail(out value);
            value = (long)u;
        }
        return value >= 0 && value <= max;
    }

    private static bool Fail(out long value)
    {
        value = 0;
        return false;
    }

    private static bool TryDecodeString(ReadOnlySpan<byte> data, ref int pos, ArrayBufferWriter<byte> v1)
    {
        if (!KlogFormat.TryGetVarUInt(data, ref pos, out ulong h)) return false;
        if (h == 0)
        {
            BinaryPrimitives.WriteInt32LittleEndian(Take(v1, 4), Buffers.RecordLayout.NullString);
            return true;
        }
        if (h < StrBias) return false; // "same as before" outside delta mode
        h -= StrBias;
        int truncated = (h & StrTruncated) != 0 ? Buffers.RecordLayout.TruncatedStringBit : 0;
        ulong length = h >> 2;
        if (length > (ulong)(data.Length - pos)) return false;
        int n = (int)length;
        if ((h & StrUtf16) != 0)
        {
            if (n * 2L > data.Length - pos) return false;
            var raw = Take(v1, 4 + n * 2);
            BinaryPrimitives.WriteInt32LittleEndian(raw, n | truncated);
            data.Slice(pos, n * 2).CopyTo(raw[4..]);
            pos += n * 2;
            return true;
        }
        // at most one UTF-16 unit per UTF-8 byte
        var span = v1.GetSpan(4 + n * 2);
        var status = Utf8.ToUtf16(data.Slice(pos, n), MemoryMarshal.Cast<byte, char>(span.Slice(4, n * 2)), out _, out int chars, replaceInvalidSequences: true);
        if (status != OperationStatus.Done) return false;
        BinaryPrimitives.WriteInt32LittleEndian(span, chars | truncated);
        v1.Advance(4 + chars * 2);
        pos += n;
        return true;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Span<byte> Take(ArrayBufferWriter<byte> v1, int size)
    {
        var span = v1.GetSpan(size)[..size];
        v1.Advance(size);
        return span;
    }
}
