using System;
using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using System.Threading.Tasks;
using Kakashi.Writers.BinaryLog;
using Xunit.Abstractions;

namespace Kakashi.Runtime.Tests;

/// <summary>
/// A mutation fuzzer over real .klog files, for a fixed iteration budget (deterministic seeds: a failure names its
/// iteration and replays). Half the mutations re-seal the CRCs of the frames they touch, so hostile bytes reach the
/// parsers behind a valid checksum — the case a CRC cannot shield. The decoder must never throw (but for a newer version,
/// refused by design), never allocate without bound, and every record it returns must format through the text and JSON
/// formatters. Longer runs: fuzz/Kakashi.Fuzz (SharpFuzz, docs/binary-log.md).
/// </summary>
public sealed class BinaryLogFuzzTests(ITestOutputHelper output)
{
    private const int Iterations = 3_000;
    private static readonly LogFormatter[] Formatters =
    [
        new TextFormatter("{Timestamp:O} {Level:u3} {Category} {EventId} {ThreadId} {ThreadName} {TraceId} {Message} {Properties}{NewLine}{Exception}"),
        new JsonFormatter(),
        new JsonFormatter { Fields = JsonFieldSet.Ecs },
    ];

    [Fact]
    public async Task The_decoder_survives_mutated_files()
    {
        byte[] seed = await BinaryLogFileTests.WriteSample(1_500, batch: 300);
        var frames = BinaryLogFileTests.Frames(seed);
        int versionRefusals = 0, damaged = 0;
        long maxAllocated = 0;
        var sink = new ArrayBufferWriter<byte>(1 << 16);
        for (int iteration = 0; iteration < Iterations; iteration++)
        {
            var random = new Random(1000 + iteration);
            byte[] mutated = Mutate(seed, frames, random, out string how);
            long before = GC.GetAllocatedBytesForCurrentThread();
            try
            {
                // every fourth run reads through a stream that hands out a few bytes at a time (the follow path)
                Stream stream = iteration % 4 == 3 ? new TricklingStream(mutated, random.Next(1, 64)) : new MemoryStream(mutated);
                using var reader = new KlogReader(stream, name: "fuzz.klog");
                int polls = 0;
                while (true)
                {
                    while (reader.MoveNext())
                    {
                        var record = reader.Current;
                        foreach (var formatter in Formatters)
                        {
                            sink.ResetWrittenCount();
                            var w = new Utf8Writer(sink);
                            formatter.Format(record, ref w);
                            w.Commit();
                        }
                    }
                    if (stream is not TricklingStream t || t.Done || ++polls > mutated.Length) break;
                }
                Assert.True(reader.SkippedBytes <= mutated.Length, $"iteration {iteration} ({how}): skipped {reader.SkippedBytes} of {mutated.Length}");
                Assert.True(reader.Position + reader.PendingBytes <= mutated.Length, $"iteration {iteration} ({how}): position past the end");
                if (reader.Damage.Count > 0) damaged++;
            }
            catch (KlogVersionException)
            {
                versionRefusals++;
            }
            catch (Exception e)
            {
                Assert.Fail($"iteration {iteration} ({how}) threw {e}");
            }
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            maxAllocated = Math.Max(maxAllocated, allocated);
            // bounded by the input: buffers grow only as bytes arrive (a length field claiming 64 MiB costs nothing)
            Assert.True(allocated < 16L * 1024 * 1024 + 64L * mutated.Length, $"iteration {iteration} ({how}) allocated {allocated} bytes for a {mutated.Length}-byte file");
        }
        output.WriteLine($"{Iterations} mutations of a {seed.Length}-byte file ({frames.Count} frames): {damaged} with damage reported, {versionRefusals} version refusals, at most {maxAllocated} bytes allocated per run");
        Assert.True(damaged > Iterations / 4, "the mutations reach the parsers");
    }

    /// <summary>One mutation of <paramref name="seed"/>; about half re-seal the frames they touched.</summary>
    internal static byte[] Mutate(byte[] seed, List<(int Offset, int Length, byte Type)> frames, Random random, out string how)
    {
        byte[] data = (byte[])seed.Clone();
        var frame = frames[random.Next(frames.Count)];
        bool reseal = random.Next(2) == 0;
        switch (random.Next(9))
        {
            case 0: // flip bits inside one frame
                for (int i = random.Next(1, 9); i > 0; i--) data[frame.Offset + random.Next(frame.Length)] ^= (byte)(1 << random.Next(8));
                how = "bit flips";
                break;
            case 1: // random bytes over a run of one frame's body
                {
                    int start = frame.Offset + KlogFormat.HeaderSize + random.Next(Math.Max(1, frame.Length - KlogFormat.HeaderSize));
                    int length = Math.Min(random.Next(1, 33), data.Length - start);
                    random.NextBytes(data.AsSpan(start, length));
                    how = "random run";
                    break;
                }
            case 2: // varint-breaking 0xFF runs (huge lengths, counts and ids)
                {
                    int start = frame.Offset + KlogFormat.HeaderSize + random.Next(Math.Max(1, frame.Length - KlogFormat.HeaderSize));
                    int length = Math.Min(random.Next(1, 12), data.Length - start);
                    data.AsSpan(start, length).Fill(0xFF);
                    how = "0xFF run";
                    break;
                }
            case 3: // a frame's length field lies
                BinaryPrimitives.WriteInt32LittleEndian(data.AsSpan(frame.Offset + 8), random.Next(3) switch { 0 => KlogFormat.MaxBody, 1 => random.Next(int.MaxValue), _ => frame.Length - KlogFormat.HeaderSize + random.Next(-8, 9) });
                how = "length field";
                reseal = false; // re-sealing with a longer length would read past the frame
                break;
            case 4: // truncated anywhere
                how = "truncated";
                return data[..random.Next(data.Length)];
            case 5: // a chunk deleted
                {
                    int start = random.Next(data.Length), length = Math.Min(random.Next(1, 2000), data.Length - start);
                    how = "deleted chunk";
                    return [.. data.AsSpan(0, start), .. data.AsSpan(start + length)];
                }
            case 6: // a chunk duplicated (a frame or part of one appears twice)
                {
                    int start = random.Next(data.Length), length = Math.Min(random.Next(1, 4000), data.Length - start);
                    int at = random.Next(data.Length);
                    how = "duplicated chunk";
                    return [.. data.AsSpan(0, at), .. data.AsSpan(start, length), .. data.AsSpan(at)];
                }
            case 7: // the record count of a frame lies
                BinaryPrimitives.WriteInt32LittleEndian(data.AsSpan(frame.Offset + 12), random.Next(3) == 0 ? int.MaxValue : random.Next(0, 10_000));
                how = "record count";
                reseal = true;
                break;
            default: // small integers written over single bytes (ids, kinds, levels, flags)
                for (int i = random.Next(1, 5); i > 0; i--) data[frame.Offset + KlogFormat.HeaderSize + random.Next(Math.Max(1, frame.Length - KlogFormat.HeaderSize))] = (byte)random.Next(0, 20);
                how = "small values";
                break;
        }
        if (reseal)
        {
            int length = BinaryPrimitives.ReadInt32LittleEndian(data.AsSpan(frame.Offset + 8));
            if (length >= 0 && frame.Offset + KlogFormat.HeaderSize + length <= data.Length) KlogFormat.Seal(data.AsSpan(frame.Offset));
            how += ", re-sealed";
        }
        how += $" in a '{(char)frame.Type}' frame at {frame.Offset}";
        return data;
    }

    /// <summary>A stream that returns a few bytes per read, then nothing once (a writer not done yet), then more.</summary>
    private sealed class TricklingStream(byte[] data, int step) : Stream
    {
        private int _pos;
        private bool _pause;

        public bool Done => _pos >= data.Length;
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => _pos; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count)
        {
            _pause = !_pause;
            if (_pause) return 0;
            int n = Math.Min(Math.Min(step, count), data.Length - _pos);
            Array.Copy(data, _pos, buffer, offset, n);
            _pos += n;
            return n;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
