using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Numerics;

namespace Kakashi.Cli.Tests;

/// <summary>One frame of a .klog file, as its 20-byte header says (docs: KlogFormat in the runtime).</summary>
internal readonly record struct Frame(int Offset, char Type, int BodyLength, int Count)
{
    public int End => Offset + 20 + BodyLength;
}

/// <summary>The test's own reading of the frame layout, to cut, damage and re-version files at exact places.</summary>
internal static class KlogFrames
{
    public static List<Frame> Read(byte[] file)
    {
        var frames = new List<Frame>();
        int at = 0;
        while (at + 20 <= file.Length)
        {
            Assert.True(file[at] == 0x4B && file[at + 1] == 0xB1, $"no frame at {at}");
            int length = BinaryPrimitives.ReadInt32LittleEndian(file.AsSpan(at + 8));
            int count = BinaryPrimitives.ReadInt32LittleEndian(file.AsSpan(at + 12));
            frames.Add(new Frame(at, (char)file[at + 2], length, count));
            at += 20 + length;
        }
        Assert.Equal(file.Length, at);
        return frames;
    }

    /// <summary>CRC-32C (Castagnoli) of header bytes 2..16 and the body, as the runtime seals a frame.</summary>
    public static uint Crc(byte[] file, Frame frame)
    {
        uint crc = 0xFFFFFFFFu;
        for (int i = frame.Offset + 2; i < frame.Offset + 16; i++) crc = BitOperations.Crc32C(crc, file[i]);
        for (int i = frame.Offset + 20; i < frame.End; i++) crc = BitOperations.Crc32C(crc, file[i]);
        return ~crc;
    }

    public static void Seal(byte[] file, Frame frame) => BinaryPrimitives.WriteUInt32LittleEndian(file.AsSpan(frame.Offset + 16), Crc(file, frame));
}
