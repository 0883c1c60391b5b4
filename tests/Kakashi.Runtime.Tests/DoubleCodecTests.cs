using System;
using System.Globalization;
using System.Text;
using Kakashi.Templates;

namespace Kakashi.Runtime.Tests;

/// <summary>The fast path for short decimals must write exactly what double.ToString() writes, or step aside.</summary>
public class DoubleCodecTests
{
    private static void Check(double value)
    {
        Span<byte> buffer = stackalloc byte[64];
        string expected = value.ToString(CultureInfo.InvariantCulture);
        if (DoubleCodec.TryFormatShortDecimal(value, buffer, out int written))
            Assert.Equal(expected, Encoding.ASCII.GetString(buffer[..written]));
        // and the codec as a whole always agrees
        Span<byte> raw = stackalloc byte[8];
        System.Runtime.InteropServices.MemoryMarshal.Write(raw, in value);
        Assert.True(DoubleCodec.Instance.TryFormat(raw, buffer, out written, default));
        Assert.Equal(expected, Encoding.ASCII.GetString(buffer[..written]));
    }

    [Fact]
    public void Prices_quantities_and_random_values_match_double_ToString()
    {
        var random = new Random(1234);
        for (int i = 0; i < 300_000; i++)
        {
            Check(random.Next(-10_000_000, 10_000_000) / 100.0);              // prices with cents
            Check(random.Next(0, 1_000_000) / Math.Pow(10, random.Next(0, 8))); // up to 7 fraction digits
            Check(random.NextDouble() * Math.Pow(10, random.Next(-8, 17)));     // anything
            Check(BitConverter.Int64BitsToDouble(random.NextInt64()));          // any bit pattern
        }
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(0.1)]
    [InlineData(0.3)]
    [InlineData(1e-5)]
    [InlineData(1e-4)]
    [InlineData(0.00012)]
    [InlineData(9.99999e-6)]
    [InlineData(1e15)]
    [InlineData(999999999999999.9)]
    [InlineData(123456789012345.6)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    [InlineData(double.NegativeInfinity)]
    [InlineData(double.MaxValue)]
    [InlineData(double.Epsilon)]
    [InlineData(4503599627370496.5)]
    [InlineData(101.25)]
    [InlineData(-7.000001)]
    public void Edge_values_match_double_ToString(double value) => Check(value);

    [Fact]
    public void Negative_zero_matches_double_ToString() => Check(-0.0);
}
