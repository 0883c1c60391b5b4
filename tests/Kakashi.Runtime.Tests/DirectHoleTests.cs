using System;
using System.Buffers;
using System.Globalization;
using System.Text;
using Kakashi.Formatting;
using Xunit;

namespace Kakashi.Runtime.Tests;

/// <summary>The renderer's direct integer path (no codec call) writes exactly what .NET writes.</summary>
public class DirectHoleTests
{
    private static string Signed(long value)
    {
        var buffer = new ArrayBufferWriter<byte>();
        var writer = new Utf8Writer(buffer);
        MessageRenderer.WriteInt64(ref writer, value);
        writer.Commit();
        return Encoding.ASCII.GetString(buffer.WrittenSpan);
    }

    private static string Unsigned(ulong value)
    {
        var buffer = new ArrayBufferWriter<byte>();
        var writer = new Utf8Writer(buffer);
        MessageRenderer.WriteUInt64(ref writer, value);
        writer.Commit();
        return Encoding.ASCII.GetString(buffer.WrittenSpan);
    }

    [Fact]
    public void Integers_are_written_as_ToString_writes_them()
    {
        foreach (long v in new[] { 0L, 1, 9, 10, 11, 99, 100, 101, 999, 1000, 9999, 10_000, 99_999, 100_000, -1, -9, -10, -100, long.MaxValue, long.MinValue, int.MaxValue, int.MinValue })
            Assert.Equal(v.ToString(CultureInfo.InvariantCulture), Signed(v));
        foreach (ulong v in new ulong[] { 0, 7, 10, 100, ulong.MaxValue, ulong.MaxValue / 10, 10_000_000_000_000_000_000 })
            Assert.Equal(v.ToString(CultureInfo.InvariantCulture), Unsigned(v));
        var random = new Random(9);
        for (int i = 0; i < 200_000; i++)
        {
            long v = random.NextInt64(long.MinValue, long.MaxValue) >> random.Next(64); // every magnitude
            Assert.Equal(v.ToString(CultureInfo.InvariantCulture), Signed(v));
            ulong u = (ulong)random.NextInt64() << 1 >> random.Next(64);
            Assert.Equal(u.ToString(CultureInfo.InvariantCulture), Unsigned(u));
        }
    }
}
