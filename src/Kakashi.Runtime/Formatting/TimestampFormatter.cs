using System;
using System.Globalization;

namespace Kakashi.Formatting;

/// <summary>
/// Writes UTC timestamps. The round-trip format (<c>O</c>), the one logs use most, takes a fast path: the
/// <c>yyyy-MM-ddTHH:mm:ss.</c> prefix is formatted once per second per drain thread and only the seven fraction digits are
/// written per record. Other formats go through <see cref="DateTime.TryFormat(Span{byte}, out int, ReadOnlySpan{char}, IFormatProvider?)"/>.
/// </summary>
internal static class TimestampFormatter
{
    private const int PrefixLength = 20; // "2026-11-27T20:45:52."

    [ThreadStatic] private static byte[]? t_prefix;
    [ThreadStatic] private static long t_second;

    public static bool IsRoundTrip(string format) => format is "O" or "o";

    public static void WriteRoundTrip(DateTime utc, ref Utf8Writer output)
    {
        long ticks = utc.Ticks;
        long second = ticks / TimeSpan.TicksPerSecond;
        var prefix = t_prefix;
        if (prefix is null || second != t_second)
        {
            prefix ??= t_prefix = new byte[PrefixLength];
            var whole = new DateTime(second * TimeSpan.TicksPerSecond, DateTimeKind.Utc);
            whole.TryFormat(prefix, out _, "yyyy'-'MM'-'dd'T'HH':'mm':'ss'.'", CultureInfo.InvariantCulture);
            t_second = second;
        }
        var span = output.GetSpan(PrefixLength + 8);
        prefix.CopyTo(span);
        int fraction = (int)(ticks - second * TimeSpan.TicksPerSecond);
        for (int i = PrefixLength + 6; i >= PrefixLength; i--)
        {
            span[i] = (byte)('0' + fraction % 10);
            fraction /= 10;
        }
        span[PrefixLength + 7] = (byte)'Z';
        output.Advance(PrefixLength + 8);
    }
}
