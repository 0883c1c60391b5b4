using System;
using System.Globalization;
using Kakashi.Cli.Arguments;

namespace Kakashi.Cli.Filtering;

/// <summary>
/// A point in time on the command line: ISO 8601 (<c>2026-12-02</c>, <c>2026-12-02T10:30:00</c>, <c>2026-12-02T10:30:00+01:00</c>;
/// without an offset it is UTC, like the timestamps kakashi prints), <c>now</c>, or a duration before now:
/// <c>90s</c>, <c>10m</c>, <c>2h</c>, <c>1d</c>, <c>1w</c>, <c>1h30m</c>, <c>500ms</c>.
/// </summary>
internal static class TimeArgument
{
    public const string Accepted = "an ISO 8601 time (2026-12-02T10:30:00, UTC unless it has an offset), 'now', or a duration before now (500ms, 90s, 10m, 2h, 1d, 1w, 1h30m)";

    /// <summary>The UTC time <paramref name="text"/> means, <paramref name="nowUtc"/> being now; throws <see cref="UsageException"/>.</summary>
    public static DateTime Parse(string text, DateTime nowUtc)
    {
        text = text.Trim();
        if (string.Equals(text, "now", StringComparison.OrdinalIgnoreCase)) return nowUtc;
        if (TryParseDuration(text, out var ago))
        {
            if (ago > nowUtc - DateTime.MinValue) return DateTime.SpecifyKind(DateTime.MinValue, DateTimeKind.Utc);
            return nowUtc - ago;
        }
        // ISO 8601 only: a digit-led date with dashes (no culture-dependent forms such as 12/02/2026)
        if (text.Length >= 10 && char.IsAsciiDigit(text[0]) && text[4] == '-' && text[7] == '-'
            && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AllowWhiteSpaces, out var time))
            return time.UtcDateTime;
        throw new UsageException("not a time; " + Accepted);
    }

    /// <summary>A duration such as <c>10m</c> or <c>1h30m</c>; false when <paramref name="text"/> is not one.</summary>
    public static bool TryParseDuration(string text, out TimeSpan duration)
    {
        duration = TimeSpan.Zero;
        int i = 0;
        if (text.Length == 0) return false;
        while (i < text.Length)
        {
            int start = i;
            while (i < text.Length && char.IsAsciiDigit(text[i])) i++;
            if (i == start || i - start > 9) return false;
            long n = long.Parse(text.AsSpan(start, i - start), NumberStyles.None, CultureInfo.InvariantCulture);
            int unitStart = i;
            while (i < text.Length && char.IsAsciiLetter(text[i])) i++;
            TimeSpan part;
            try
            {
                switch (text.AsSpan(unitStart, i - unitStart))
                {
                    case "ms": part = TimeSpan.FromMilliseconds(n); break;
                    case "s": part = TimeSpan.FromSeconds(n); break;
                    case "m": part = TimeSpan.FromMinutes(n); break;
                    case "h": part = TimeSpan.FromHours(n); break;
                    case "d": part = TimeSpan.FromDays(n); break;
                    case "w": part = TimeSpan.FromDays(7 * n); break;
                    default: return false;
                }
                duration += part;
            }
            catch (OverflowException)
            {
                duration = TimeSpan.MaxValue; // longer than there is time: since the beginning
                return true;
            }
        }
        return true;
    }
}
