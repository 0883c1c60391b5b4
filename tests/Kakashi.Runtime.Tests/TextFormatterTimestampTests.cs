using System;
using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using System.Text;
using System.Threading;
using Kakashi.Formatting;

namespace Kakashi.Runtime.Tests;

/// <summary>
/// Every timestamp format written through its per-second cache equals .NET's own formatting: DateTime.ToString(format,
/// InvariantCulture) for UTC, DateTimeOffset.ToString(format, InvariantCulture) at the zone's offset of the instant for local.
/// </summary>
public class TextFormatterTimestampTests
{
    private const int InstantsPerFormat = 60_000; // x 32 formats: about 2M instants in all

    public static TheoryData<string> UtcFormats => new()
    {
        "O", "o", "s", "u", "U", "R", "r", "G", "g", "T", "t", "M", "Y", "d", "D", "f", "F",
        "yyyy-MM-dd HH:mm:ss.fff", "HH:mm:ss.FFFFFFF", "ss.F", "yyyyMMdd'T'HHmmss.ffffff", "dd/MMM/yyyy:HH:mm:ss zzz", "fff", "%f", "%F",
        "'literal'", "\\\\ HH\\:mm\\:ss\\.fff \\f\\F", "yyyy-MM-dd'T'HH:mm:ss.FFFK", "MMMM dddd", "hh:mm:ss tt", "h:mm t", "HH:mm K",
        "\"quoted f F\" HH:mm:ss.ff", "ss.fF.Ff", ".FFF", "FFF.", "ss.FF yyyy", "gg yyyyy", "z zz zzz", "yy-M-d H:m:s,FFFFFF", "%K",
    };

    public static TheoryData<string> LocalFormats => new()
    {
        "O", "yyyy-MM-dd HH:mm:ss.fff zzz", "HH:mm:ss.FFFFFFF K", "R", "u", "G", "s", "z zz zzz", "dd/MMM/yyyy:HH:mm:ss.FFF zzz",
    };

    /// <summary>A zone with daylight saving time (last Sunday of March to last Sunday of October, as in Europe), always available.</summary>
    internal static readonly TimeZoneInfo Paris = TimeZoneInfo.CreateCustomTimeZone("Test/Paris", TimeSpan.FromHours(1), "Test Paris", "CET", "CEST",
    [
        TimeZoneInfo.AdjustmentRule.CreateAdjustmentRule(DateTime.MinValue.Date, DateTime.MaxValue.Date, TimeSpan.FromHours(1),
            TimeZoneInfo.TransitionTime.CreateFloatingDateRule(new DateTime(1, 1, 1, 2, 0, 0), 3, 5, DayOfWeek.Sunday),
            TimeZoneInfo.TransitionTime.CreateFloatingDateRule(new DateTime(1, 1, 1, 3, 0, 0), 10, 5, DayOfWeek.Sunday)),
    ]);

    private static readonly TimeZoneInfo Kathmandu = TimeZoneInfo.CreateCustomTimeZone("Test/Kathmandu", new TimeSpan(5, 45, 0), "Test Kathmandu", "NPT");

    /// <summary>
    /// Instants spread over all years, then runs inside one second (cache hits, fractions with trailing zeros, whole
    /// seconds), runs crossing second, minute, day and year boundaries, and the hours around daylight-saving transitions.
    /// </summary>
    private static long[] Instants(int seed, int count, long min, long max)
    {
        var random = new Random(seed);
        var result = new long[count];
        int i = 0;
        while (i < count / 4) result[i++] = random.NextInt64(min, max);
        while (i < count)
        {
            long second = random.Next(4) switch
            {
                0 => random.NextInt64(min, max) / TimeSpan.TicksPerSecond,
                1 => new DateTime(random.Next(1970, 2100), 1, 1).Ticks / TimeSpan.TicksPerSecond - 2, // new year
                2 => new DateTime(random.Next(1970, 2100), random.Next(1, 13), 1).AddDays(-random.Next(0, 8)).AddHours(random.Next(24)).Ticks / TimeSpan.TicksPerSecond, // month ends, transitions
                _ => new DateTime(2026, 3, 29, 0, 59, 55).Ticks / TimeSpan.TicksPerSecond + random.Next(-7200, 7200), // around Paris's spring transition (01:00 UTC)
            };
            int run = random.Next(1, 40);
            for (int k = 0; k < run && i < count; k++)
            {
                long fraction = random.Next(6) switch
                {
                    0 => 0,
                    1 => random.Next(10) * 1_000_000L,
                    2 => random.Next(10_000) * 1_000L,
                    3 => random.Next(100) * 10L,
                    _ => random.Next((int)TimeSpan.TicksPerSecond),
                };
                long ticks = second * TimeSpan.TicksPerSecond + fraction;
                if (ticks >= min && ticks < max) result[i++] = ticks;
                if (random.Next(8) == 0) second++;
            }
        }
        return result;
    }

    [Theory]
    [MemberData(nameof(UtcFormats))]
    public void A_UTC_format_equals_DateTime_ToString(string format)
    {
        var timestamp = TimestampFormat.Create(format, local: false);
        Assert.NotEqual(TimestampPath.Fallback, timestamp.Path);
        var buffer = new ArrayBufferWriter<byte>(1024);
        Span<byte> expected = stackalloc byte[512];
        foreach (long ticks in Instants(format.GetHashCode(StringComparison.Ordinal) & 0xFFFF ^ 17, InstantsPerFormat, DateTime.MinValue.Ticks, DateTime.MaxValue.Ticks))
        {
            var utc = new DateTime(ticks, DateTimeKind.Utc);
            buffer.ResetWrittenCount();
            var writer = new Utf8Writer(buffer);
            timestamp.Write(utc, ref writer);
            writer.Commit();
            Assert.True(utc.TryFormat(expected, out int n, format, CultureInfo.InvariantCulture));
            if (!buffer.WrittenSpan.SequenceEqual(expected[..n]))
                Assert.Fail($"{format} at {ticks} ticks: expected \"{Encoding.UTF8.GetString(expected[..n])}\", wrote \"{Encoding.UTF8.GetString(buffer.WrittenSpan)}\"");
        }
    }

    [Theory]
    [MemberData(nameof(LocalFormats))]
    public void A_local_format_equals_DateTimeOffset_ToString_at_the_offset_of_the_instant(string format)
    {
        Span<byte> expected = stackalloc byte[512];
        var buffer = new ArrayBufferWriter<byte>(1024);
        foreach (var zone in new[] { Paris, Kathmandu, TimeZoneInfo.Utc })
        {
            var timestamp = TimestampFormat.Create(format, local: true, zone);
            Assert.Equal(TimestampPath.Cached, timestamp.Path);
            foreach (long ticks in Instants(zone.Id.Length * 31 + format.Length, InstantsPerFormat / 3, new DateTime(2, 1, 1).Ticks, new DateTime(9998, 1, 1).Ticks))
            {
                var utc = new DateTime(ticks, DateTimeKind.Utc);
                buffer.ResetWrittenCount();
                var writer = new Utf8Writer(buffer);
                timestamp.Write(utc, ref writer);
                writer.Commit();
                var local = new DateTimeOffset(utc).ToOffset(zone.GetUtcOffset(utc));
                Assert.True(local.TryFormat(expected, out int n, format, CultureInfo.InvariantCulture));
                if (!buffer.WrittenSpan.SequenceEqual(expected[..n]))
                    Assert.Fail($"{format} in {zone.Id} at {ticks} ticks: expected \"{Encoding.UTF8.GetString(expected[..n])}\", wrote \"{Encoding.UTF8.GetString(buffer.WrittenSpan)}\"");
            }
        }
    }

    [Fact]
    public void A_daylight_saving_transition_changes_the_offset_on_the_exact_second()
    {
        var timestamp = TimestampFormat.Create("yyyy-MM-dd HH:mm:ss.fff zzz", local: true, Paris);
        var transition = new DateTime(2026, 3, 29, 1, 0, 0, DateTimeKind.Utc); // 02:00 CET becomes 03:00 CEST
        Assert.Equal("2026-03-29 01:59:59.999 +01:00", Write(timestamp, transition.AddTicks(-10_000)));
        Assert.Equal("2026-03-29 03:00:00.000 +02:00", Write(timestamp, transition));
        var back = new DateTime(2026, 10, 25, 1, 0, 0, DateTimeKind.Utc); // 03:00 CEST becomes 02:00 CET: 02:xx twice
        Assert.Equal("2026-10-25 02:59:59.999 +02:00", Write(timestamp, back.AddTicks(-10_000)));
        Assert.Equal("2026-10-25 02:00:00.000 +01:00", Write(timestamp, back));
    }

    [Fact]
    public void A_time_only_UTC_format_with_an_offset_on_the_first_day_of_year_one_writes_what_NET_writes()
    {
        // .NET writes the current local offset there (not +00:00): that instant goes through DateTime.TryFormat
        var timestamp = TimestampFormat.Create("HH:mm:ss.fff zzz", local: false);
        var utc = new DateTime(12_345_678_901, DateTimeKind.Utc);
        Assert.Equal(utc.ToString("HH:mm:ss.fff zzz", CultureInfo.InvariantCulture), Write(timestamp, utc));
    }

    [Theory]
    [InlineData("{Timestamp}", "RoundTrip", false)]
    [InlineData("{Timestamp:O}", "RoundTrip", false)]
    [InlineData("{Timestamp:utc}", "RoundTrip", false)]
    [InlineData("{Timestamp:yyyy-MM-dd HH:mm:ss.fff}", "Cached", false)]
    [InlineData("{Timestamp:utc:yyyy-MM-dd HH:mm:ss.fff}", "Cached", false)]
    [InlineData("{Timestamp:HH:mm:ss.FFFFFFF}", "Cached", false)]
    [InlineData("{Timestamp:R}", "Cached", false)]
    [InlineData("{Timestamp:local}", "Cached", true)]
    [InlineData("{Timestamp:local:yyyy-MM-dd HH:mm:ss.fff}", "Cached", true)]
    [InlineData("{Timestamp:}", "Fallback", false)]
    public void Template_timestamps_take_the_cached_path(string template, string path, bool local)
    {
        var format = Assert.Single(new TextFormatter(template).TimestampFormats);
        Assert.Equal(path, format.Path.ToString());
        Assert.Equal(local, format.Local);
    }

    [Fact]
    public void The_empty_format_falls_back_to_DateTime_TryFormat()
    {
        var utc = new DateTime(2026, 12, 1, 10, 20, 30, DateTimeKind.Utc);
        Assert.Equal(utc.ToString("", CultureInfo.InvariantCulture), Write(TimestampFormat.Create("", local: false), utc));
    }

    [Fact]
    public void Local_time_uses_the_machines_zone()
    {
        var utc = new DateTime(2026, 7, 1, 10, 20, 30, DateTimeKind.Utc).AddTicks(1234567);
        var local = new DateTimeOffset(utc).ToOffset(TimeZoneInfo.Local.GetUtcOffset(utc));
        Assert.Equal(local.ToString("O", CultureInfo.InvariantCulture), Write(new TextFormatter("{Timestamp:local}").TimestampFormats[0], utc));
        Assert.Equal(local.ToString("yyyy-MM-dd HH:mm:ss.fff zzz", CultureInfo.InvariantCulture), Write(new TextFormatter("{Timestamp:local:yyyy-MM-dd HH:mm:ss.fff zzz}").TimestampFormats[0], utc));
    }

    [Theory]
    [InlineData("{Timestamp:local:U}")] // a DateTimeOffset has no U
    [InlineData("{Timestamp:local:%}")]
    [InlineData("{Timestamp:ffffffff}")]
    [InlineData("{Timestamp:'unclosed}")]
    [InlineData("{Timestamp:Q}")]
    public void Invalid_timestamp_formats_fail_at_construction(string template)
    {
        var error = Assert.Throws<ArgumentException>(() => new TextFormatter(template));
        Assert.Contains("Invalid {Timestamp} format", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Threads_formatting_with_one_formatter_at_once_each_write_their_own_time()
    {
        var timestamp = TimestampFormat.Create("yyyy-MM-dd HH:mm:ss.FFFFFFF", local: false);
        string? problem = null;
        var threads = Enumerable.Range(0, 3).Select(t => new Thread(() =>
        {
            var buffer = new ArrayBufferWriter<byte>(256);
            var random = new Random(t);
            for (int i = 0; i < 30_000 && problem is null; i++)
            {
                var utc = new DateTime(new DateTime(2000 + t * 10, 1, 1).Ticks + random.NextInt64(TimeSpan.TicksPerDay * 3), DateTimeKind.Utc);
                buffer.ResetWrittenCount();
                var writer = new Utf8Writer(buffer);
                timestamp.Write(utc, ref writer);
                writer.Commit();
                string expected = utc.ToString("yyyy-MM-dd HH:mm:ss.FFFFFFF", CultureInfo.InvariantCulture);
                if (Encoding.UTF8.GetString(buffer.WrittenSpan) != expected) problem = $"thread {t}: {expected} written as {Encoding.UTF8.GetString(buffer.WrittenSpan)}";
            }
        })).ToArray();
        foreach (var thread in threads) thread.Start();
        foreach (var thread in threads) thread.Join();
        Assert.Null(problem);
    }

    private static string Write(TimestampFormat format, DateTime utc)
    {
        var buffer = new ArrayBufferWriter<byte>();
        var writer = new Utf8Writer(buffer);
        format.Write(utc, ref writer);
        writer.Commit();
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}
