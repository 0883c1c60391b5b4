using System;
using System.Globalization;
using System.Runtime.InteropServices;

namespace Kakashi.Templates;

/// <summary>
/// <see cref="double"/> arguments. Without a format, values that are short decimals (prices, quantities, rates: at most
/// six fraction digits, between 1e-4 and 1e15) are written by a fast path that produces exactly the shortest round-trip
/// text .NET writes; everything else goes through <see cref="double.TryFormat(Span{byte}, out int, ReadOnlySpan{char}, IFormatProvider?)"/>.
/// </summary>
internal sealed class DoubleCodec : ArgCodec
{
    public static readonly DoubleCodec Instance = new();

    private static readonly double[] Powers = [1, 10, 100, 1_000, 10_000, 100_000, 1_000_000];
    private static readonly long[] IntPowers = [1, 10, 100, 1_000, 10_000, 100_000, 1_000_000];

    public override ArgKind Kind => ArgKind.Number;
    public override int GetLength(ReadOnlySpan<byte> data) => sizeof(double);
    public override int FixedLength => sizeof(double);

    public override bool TryFormat(ReadOnlySpan<byte> data, Span<byte> destination, out int written, ReadOnlySpan<char> format)
    {
        double value = MemoryMarshal.Read<double>(data);
        if (format.IsEmpty && TryFormatShortDecimal(value, destination, out written)) return true;
        return value.TryFormat(destination, out written, format, CultureInfo.InvariantCulture);
    }

    /// <summary>The shortest round-trip text of <paramref name="value"/> when it is a short decimal; false to use the general path.</summary>
    /// <remarks>
    /// For the smallest k (0..6) with <c>round(a·10^k) / 10^k == a</c> the decimal m·10^-k is the shortest text that reads
    /// back as <c>a</c> (the division of two exact doubles is correctly rounded, as parsing is). Below 2^52 the neighbours
    /// (m±1)·10^-k are more than an ulp away, so the choice is unique and the integer part is <c>(long)a</c>; from 2^52 to
    /// 2^53 the neighbours are checked and the integer part is divided out.
    /// </remarks>
    internal static bool TryFormatShortDecimal(double value, Span<byte> destination, out int written)
    {
        written = 0;
        double a = Math.Abs(value);
        if (!(a >= 1e-4 && a < 1e15)) return false; // zero, NaN, infinities and exponent notation: general path
        var powers = Powers;
        for (int k = 0; k < powers.Length; k++)
        {
            double scale = powers[k];
            double scaled = a * scale;
            if (scaled >= 9007199254740992.0) return false; // 2^53: no longer exact
            double m = Math.Round(scaled);
            // a cheap necessary condition first (a·10^k is within a few ulps of m when m·10^-k reads back as a), so the
            // exact test, a division, runs once for the k that matters instead of once per k
            if (Math.Abs(scaled - m) > scaled * 1e-15 || m / scale != a) continue;
            long mantissa = (long)m;
            if (scaled < 4503599627370496.0) // 2^52: unique, and the integer part is exact
            {
                long whole = (long)a;
                return Write(value < 0, whole, mantissa - whole * IntPowers[k], k, destination, out written);
            }
            // unique at this length: a neighbour that also round-trips would make the choice depend on the exact value
            if ((m - 1) / scale == a || (m + 1) / scale == a) return false;
            long integer = mantissa / IntPowers[k];
            return Write(value < 0, integer, mantissa - integer * IntPowers[k], k, destination, out written);
        }
        return false;
    }

    private static bool Write(bool negative, long integer, long fraction, int fractionDigits, Span<byte> destination, out int written)
    {
        written = 0;
        // the shortest text has no trailing zero in the fraction (k is minimal, so fraction % 10 != 0)
        if (fractionDigits > 0 && fraction % 10 == 0) return false;
        int pos = 0;
        if (negative)
        {
            if (destination.Length < 1) return false;
            destination[pos++] = (byte)'-';
        }
        ulong whole = (ulong)integer;
        int n = 1;
        for (ulong rest = whole; rest >= 10; rest /= 10) n++;
        if (destination.Length < pos + n) return false;
        for (int i = pos + n - 1; i >= pos; i--)
        {
            ulong q = whole / 10;
            destination[i] = (byte)('0' + (int)(whole - q * 10));
            whole = q;
        }
        pos += n;
        if (fractionDigits > 0)
        {
            if (destination.Length < pos + 1 + fractionDigits) return false;
            destination[pos++] = (byte)'.';
            uint f = (uint)fraction; // below 10^6
            for (int i = fractionDigits - 1; i >= 0; i--)
            {
                uint q = f / 10;
                destination[pos + i] = (byte)('0' + (f - q * 10));
                f = q;
            }
            pos += fractionDigits;
        }
        written = pos;
        return true;
    }
}
