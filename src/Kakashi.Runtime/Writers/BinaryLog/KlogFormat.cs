using System;
using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace Kakashi.Writers.BinaryLog;

/// <summary>
/// The <c>.klog</c> file format, version 1 (docs/binary-log.md): a file is a sequence of <b>frames</b>, each a 20-byte
/// header and a body; a reader checks every frame's CRC-32C before it believes a byte of it, so a frame being written (or
/// cut short by a crash) is never read as valid, and damage costs the frames it hits, not the rest of the file.
/// </summary>
/// <remarks>
/// <code>
/// offset size field
///  0     2   sync      0x4B 0xB1: where a reader looks for the next frame after damage
///  2     1   type      'H' file header, 'M' metadata (manifest entries), 'R' records
///  3     1   flags     0 (reserved: a reader refuses a frame with flags it does not know)
///  4     4   session   the writing session (random per writer): frames of two sessions interleaved in one file keep their own metadata
///  8     4   length    bytes of the body (at most <see cref="MaxBody"/>)
/// 12     4   count     records in an R frame; 0 otherwise
/// 16     4   crc       CRC-32C (Castagnoli) of bytes 2..16 and the body
/// 20     ... body
/// </code>
/// </remarks>
internal static class KlogFormat
{
    public const byte FormatVersion = 1;
    public const int HeaderSize = 20;
    public const byte Sync0 = 0x4B, Sync1 = 0xB1;
    public const byte HeaderFrame = (byte)'H', MetadataFrame = (byte)'M', RecordsFrame = (byte)'R';

    /// <summary>Largest frame body a reader accepts (bounds what it buffers on hostile input).</summary>
    public const int MaxBody = 64 * 1024 * 1024;

    /// <summary>An R frame is closed once its body reaches this size (damage then costs at most one such frame).</summary>
    public const int TargetFrameBody = 16 * 1024;

    /// <summary>Bytes of an R frame's body before its first record: the base raw timestamp and the clock calibration.</summary>
    public const int RecordsPrologue = 8 + Clock.ClockCalibration.Size;

    // record info byte
    public const int LevelMask = 0x07;
    public const int HasTemplate = 0x08;
    public const int HasCategory = 0x10;
    public const int HasThread = 0x20;
    public const int HasExtension = 0x40;
    public const int NegativeDelta = 0x80;

    // record extension byte
    public const int ExtTruncated = 0x01;
    public const int ExtObjects = 0x02;
    public const int ExtProperties = 0x04;
    public const int ExtSameProperties = 0x08;
    public const int ExtUtcTimestamp = 0x10;
    public const int ExtTrace = 0x20;
    public const int KnownExtensions = 0x3F;

    /// <summary>Writes a frame header at <paramref name="frame"/> (the CRC is left for <see cref="Seal"/>).</summary>
    public static void WriteHeader(Span<byte> frame, byte type, uint session, int bodyLength, int count)
    {
        frame[0] = Sync0;
        frame[1] = Sync1;
        frame[2] = type;
        frame[3] = 0;
        BinaryPrimitives.WriteUInt32LittleEndian(frame[4..], session);
        BinaryPrimitives.WriteInt32LittleEndian(frame[8..], bodyLength);
        BinaryPrimitives.WriteInt32LittleEndian(frame[12..], count);
        BinaryPrimitives.WriteUInt32LittleEndian(frame[16..], 0);
    }

    /// <summary>Computes and stores the CRC of the whole frame at the start of <paramref name="frame"/>.</summary>
    public static void Seal(Span<byte> frame)
    {
        int length = BinaryPrimitives.ReadInt32LittleEndian(frame[8..]);
        BinaryPrimitives.WriteUInt32LittleEndian(frame[16..], Crc(frame[..(HeaderSize + length)]));
    }

    /// <summary>The CRC-32C a frame (header and body) should carry.</summary>
    public static uint Crc(ReadOnlySpan<byte> frame)
    {
        uint crc = Crc32C(0xFFFFFFFFu, frame[2..16]);
        return ~Crc32C(crc, frame[HeaderSize..]);
    }

    /// <summary>CRC-32C over <paramref name="data"/> (hardware CRC32 instructions where the CPU has them).</summary>
    public static uint Crc32C(uint crc, ReadOnlySpan<byte> data)
    {
        ref byte p = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(data);
        int n = data.Length, i = 0;
        for (; i + 8 <= n; i += 8) crc = BitOperations.Crc32C(crc, Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref p, i)));
        for (; i < n; i++) crc = BitOperations.Crc32C(crc, Unsafe.Add(ref p, i));
        return crc;
    }

    // ------------------------------------------------------------------ varints into a span at a position

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void PutVarUInt(Span<byte> dest, ref int pos, ulong value)
    {
        ref byte d = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(dest);
        int i = pos;
        while (value >= 0x80)
        {
            Unsafe.Add(ref d, i++) = (byte)(value | 0x80);
            value >>= 7;
        }
        Unsafe.Add(ref d, i++) = (byte)value;
        pos = i;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void PutVarInt(Span<byte> dest, ref int pos, long value) => PutVarUInt(dest, ref pos, (ulong)((value << 1) ^ (value >> 63)));

    /// <summary>Reads an unsigned LEB128 value; false when it runs past the data or is longer than ten bytes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool TryGetVarUInt(ReadOnlySpan<byte> data, ref int pos, out ulong value)
    {
        int i = pos;
        if ((uint)i < (uint)data.Length && data[i] < 0x80)
        {
            value = data[i];
            pos = i + 1;
            return true;
        }
        return TryGetVarUIntSlow(data, ref pos, out value);
    }

    private static bool TryGetVarUIntSlow(ReadOnlySpan<byte> data, ref int pos, out ulong value)
    {
        value = 0;
        int shift = 0;
        for (int i = pos; i < data.Length && shift < 70; i++, shift += 7)
        {
            byte b = data[i];
            if (shift == 63 && b > 1) return false;
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                pos = i + 1;
                return true;
            }
        }
        return false;
    }

    public static bool TryGetVarInt(ReadOnlySpan<byte> data, ref int pos, out long value)
    {
        bool ok = TryGetVarUInt(data, ref pos, out ulong u);
        value = (long)(u >> 1) ^ -(long)(u & 1);
        return ok;
    }
}
