using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;
using System.Threading;

namespace Kakashi.Formatting;

/// <summary>
/// Writes UTC timestamps. The round-trip format (<c>O</c>), the one logs use most, takes a fast path: the
/// <c>yyyy-MM-ddTHH:mm:ss.</c> prefix is formatted once per second per drain thread and only the seven fraction digits are
/// written per record. Every other format goes through a <see cref="TimestampFormat"/>.
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

/// <summary>How a <see cref="TimestampFormat"/> writes (tests assert which one a format takes).</summary>
internal enum TimestampPath
{
    /// <summary>UTC <c>O</c>: <see cref="TimestampFormatter.WriteRoundTrip"/>.</summary>
    RoundTrip,
    /// <summary>The whole-second parts are formatted once per second; only the fraction digits are written per record.</summary>
    Cached,
    /// <summary><see cref="DateTime.TryFormat(Span{byte}, out int, ReadOnlySpan{char}, IFormatProvider?)"/> per record.</summary>
    Fallback,
}

/// <summary>
/// One timestamp format of an output template, in UTC or in local time, with the semantics of
/// <c>DateTime.ToString(format, CultureInfo.InvariantCulture)</c> (UTC) or of
/// <c>DateTimeOffset.ToString(format, CultureInfo.InvariantCulture)</c> at the local offset of the instant (local).
/// </summary>
/// <remarks>
/// <para>
/// The format is split once, at construction, into the parts that depend only on the whole second and the second's
/// fraction specifiers (<c>f</c>..<c>fffffff</c>, <c>F</c>..<c>FFFFFFF</c>). The whole-second parts are formatted by
/// <see cref="DateTime.TryFormat(Span{byte}, out int, ReadOnlySpan{char}, IFormatProvider?)"/> once per second and
/// kept; a record copies them and writes its fraction digits (<c>F</c> trims trailing zeros, and when all its digits are
/// zero removes a <c>.</c> written just before it, as .NET does). A standard format other than <c>O</c> has no fraction:
/// its whole text is kept per second. A local offset is looked up once per new second, from the UTC instant (offsets
/// change on whole seconds, so a daylight-saving transition is exact and an ambiguous local hour is never guessed).
/// </para>
/// <para>
/// The cache belongs to the first thread that formats (the drain); another thread uses a second cache it takes for the
/// call, or, when a third thread has that one, formats without a cache: correct from any number of threads, without a
/// lock or an allocation per record.
/// </para>
/// </remarks>
internal sealed class TimestampFormat
{
    private const int MaxFractionDigits = 7;
    private static readonly int[] s_pow10 = [1, 10, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000];

    /// <summary>Whole-second parts, formatted with .NET (a fraction run follows each part but the last).</summary>
    private readonly string[] _parts = [];

    /// <summary>Digits of each fraction run, negative for <c>F</c> (trimmed).</summary>
    private readonly int[] _fractions = [];

    private readonly int _fractionDigits;

    /// <summary>UTC with a <c>z</c> specifier: .NET writes the local offset for an instant on 0001-01-01 of a format without a date, so those take the fallback.</summary>
    private readonly bool _zoneOnFirstDay;

    private readonly TimeZoneInfo? _zone;

    private int _owner;
    private readonly SecondCache? _ownerCache;
    private SecondCache? _shared;

    private TimestampFormat(string format, bool local, TimeZoneInfo? zone)
    {
        Format = format;
        Local = local;
        _zone = zone;
        if (!local && TimestampFormatter.IsRoundTrip(format))
        {
            Path = TimestampPath.RoundTrip;
            return;
        }
        if (!TrySplit(format, out var parts, out var fractions, out bool zone_))
        {
            Path = TimestampPath.Fallback;
            return;
        }
        Path = TimestampPath.Cached;
        _parts = parts;
        _fractions = fractions;
        foreach (int f in fractions) _fractionDigits += Math.Abs(f);
        _zoneOnFirstDay = !local && zone_;
        _ownerCache = new SecondCache(parts.Length);
        _shared = new SecondCache(parts.Length);
    }

    /// <summary>
    /// A format for <paramref name="format"/>, UTC or local (<paramref name="zone"/>: the local time zone, for tests; null is
    /// <see cref="TimeZoneInfo.Local"/> at each new second). Throws <see cref="FormatException"/> for a format .NET rejects.
    /// </summary>
    public static TimestampFormat Create(string format, bool local, TimeZoneInfo? zone = null)
    {
        ArgumentNullException.ThrowIfNull(format);
        var result = new TimestampFormat(format, local, zone);
        // the format is checked the way it will be used (a DateTimeOffset rejects U, a DateTime does not)
        if (local) _ = new DateTimeOffset(2026, 11, 27, 20, 45, 52, TimeSpan.FromHours(1)).ToString(format, CultureInfo.InvariantCulture);
        else _ = new DateTime(2026, 11, 27, 20, 45, 52, DateTimeKind.Utc).ToString(format, CultureInfo.InvariantCulture);
        return result;
    }

    public string Format { get; }

    public bool Local { get; }

    public TimestampPath Path { get; }

    /// <summary>Writes <paramref name="utc"/> (a UTC time; its kind is not read) in this format.</summary>
    public void Write(DateTime utc, ref Utf8Writer output)
    {
        long ticks = utc.Ticks;
        if (Path != TimestampPath.Cached || (_zoneOnFirstDay && ticks < TimeSpan.TicksPerDay))
        {
            if (Path == TimestampPath.RoundTrip) TimestampFormatter.WriteRoundTrip(utc, ref output);
            else WriteUncached(ticks, ref output);
            return;
        }
        int me = Environment.CurrentManagedThreadId;
        int owner = Volatile.Read(ref _owner);
        if (owner == me || (owner == 0 && Interlocked.CompareExchange(ref _owner, me, 0) == 0))
        {
            WriteCached(_ownerCache!, ticks, ref output);
            return;
        }
        var shared = Interlocked.Exchange(ref _shared, null);
        if (shared is null)
        {
            WriteUncached(ticks, ref output);
            return;
        }
        try
        {
            WriteCached(shared, ticks, ref output);
        }
        finally
        {
            Volatile.Write(ref _shared, shared);
        }
    }

    private void WriteCached(SecondCache cache, long ticks, ref Utf8Writer output)
    {
        long second = ticks / TimeSpan.TicksPerSecond;
        if (cache.Second != second) Refresh(cache, second);
        int fraction = (int)(ticks - second * TimeSpan.TicksPerSecond);
        var span = output.GetSpan(cache.Length + _fractionDigits);
        var bytes = cache.Bytes;
        var ends = cache.Ends;
        var fractions = _fractions;
        int pos = 0, start = 0;
        for (int i = 0; i < ends.Length; i++)
        {
            int end = ends[i];
            bytes.AsSpan(start, end - start).CopyTo(span[pos..]);
            pos += end - start;
            start = end;
            if (i >= fractions.Length) break;
            int digits = fractions[i];
            if (digits > 0)
            {
                pos += WriteDigits(span[pos..], fraction / s_pow10[MaxFractionDigits - digits], digits);
                continue;
            }
            digits = -digits;
            int value = fraction / s_pow10[MaxFractionDigits - digits];
            while (digits > 0 && value % 10 == 0)
            {
                value /= 10;
                digits--;
            }
            if (digits > 0) pos += WriteDigits(span[pos..], value, digits);
            else if (pos > 0 && span[pos - 1] == (byte)'.') pos--; // as .NET: no digits, no decimal point before them
        }
        output.Advance(pos);
    }

    private static int WriteDigits(Span<byte> dest, int value, int digits)
    {
        for (int i = digits - 1; i >= 0; i--)
        {
            dest[i] = (byte)('0' + value % 10);
            value /= 10;
        }
        return digits;
    }

    private void Refresh(SecondCache cache, long second)
    {
        long ticks = second * TimeSpan.TicksPerSecond;
        DateTime utc = new(ticks, DateTimeKind.Utc);
        DateTimeOffset local = Local ? ToLocal(ticks) : default;
        var parts = _parts;
        int length = 0;
        for (int i = 0; i < parts.Length; i++)
        {
            if (parts[i].Length == 0)
            {
                cache.Ends[i] = length;
                continue;
            }
            while (true)
            {
                var dest = cache.Bytes.AsSpan(length);
                bool done = Local
                    ? local.TryFormat(dest, out int n, parts[i], CultureInfo.InvariantCulture)
                    : utc.TryFormat(dest, out n, parts[i], CultureInfo.InvariantCulture);
                if (done)
                {
                    length += n;
                    break;
                }
                Array.Resize(ref cache.Bytes, cache.Bytes.Length * 2); // once, when a format's text is longer than the last
            }
            cache.Ends[i] = length;
        }
        cache.Length = length;
        cache.Second = second;
    }

    private void WriteUncached(long ticks, ref Utf8Writer output)
    {
        if (Local) output.WriteFormatted(ToLocal(ticks), Format);
        else output.WriteFormatted(new DateTime(ticks, DateTimeKind.Utc), Format);
    }

    /// <summary>The instant at its local offset (at UTC when the local time would fall outside the range of <see cref="DateTime"/>).</summary>
    private DateTimeOffset ToLocal(long utcTicks)
    {
        var zone = _zone ?? TimeZoneInfo.Local;
        var offset = zone.GetUtcOffset(new DateTime(utcTicks, DateTimeKind.Utc));
        long local = utcTicks + offset.Ticks;
        if (local < DateTime.MinValue.Ticks || local > DateTime.MaxValue.Ticks) return new DateTimeOffset(utcTicks, TimeSpan.Zero);
        return new DateTimeOffset(local, offset);
    }

    /// <summary>
    /// Splits a format into whole-second parts and fraction runs; false for what it does not understand (which then
    /// takes the fallback). A standard format is one part (its text has no fraction), except <c>O</c>, written as its
    /// custom pattern.
    /// </summary>
    internal static bool TrySplit(string format, out string[] parts, out int[] fractions, out bool hasZone)
    {
        parts = [];
        fractions = [];
        hasZone = false;
        if (format.Length == 0) return false;
        if (format.Length == 1)
        {
            if (TimestampFormatter.IsRoundTrip(format)) format = "yyyy'-'MM'-'dd'T'HH':'mm':'ss'.'fffffffK";
            else
            {
                // "d", "G", "R", "s", "u"...: standard formats without a fraction; 'z' in none of them
                parts = [format];
                return true;
            }
        }
        var partList = new List<string>();
        var fractionList = new List<int>();
        var part = new StringBuilder();
        int i = 0;
        while (i < format.Length)
        {
            char c = format[i];
            switch (c)
            {
                case '\'' or '"':
                {
                    int j = i + 1;
                    while (j < format.Length && format[j] != c)
                    {
                        if (format[j] == '\\') j++;
                        j++;
                    }
                    if (j >= format.Length) return false; // unclosed quote
                    part.Append(format, i, j - i + 1);
                    i = j + 1;
                    break;
                }
                case '\\':
                    if (i + 1 >= format.Length) return false;
                    part.Append(format, i, 2);
                    i += 2;
                    break;
                case '%':
                {
                    if (i + 1 >= format.Length) return false;
                    char next = format[i + 1];
                    if (next is 'f' or 'F')
                    {
                        AddFraction(partList, fractionList, part, next == 'F' ? -1 : 1);
                    }
                    else if (next is '%' or '\\' or '\'' or '"') return false;
                    else
                    {
                        if (next == 'z') hasZone = true;
                        part.Append(format, i, 2);
                    }
                    i += 2;
                    break;
                }
                case 'f' or 'F':
                {
                    int run = 1;
                    while (i + run < format.Length && format[i + run] == c) run++;
                    if (run > MaxFractionDigits) return false;
                    AddFraction(partList, fractionList, part, c == 'F' ? -run : run);
                    i += run;
                    break;
                }
                default:
                    if (c == 'z') hasZone = true;
                    part.Append(c);
                    i++;
                    break;
            }
        }
        partList.Add(PartFormat(part));
        parts = partList.ToArray();
        fractions = fractionList.ToArray();
        return true;
    }

    private static void AddFraction(List<string> parts, List<int> fractions, StringBuilder part, int digits)
    {
        parts.Add(PartFormat(part));
        part.Clear();
        fractions.Add(digits);
    }

    /// <summary>A part as a format of its own: one character would be read as a standard format, so it gets a <c>%</c>.</summary>
    private static string PartFormat(StringBuilder part) => part.Length == 1 ? "%" + part[0] : part.ToString();

    private sealed class SecondCache(int parts)
    {
        public long Second = long.MinValue;
        public byte[] Bytes = new byte[128];
        public readonly int[] Ends = new int[parts];
        public int Length;
    }
}
