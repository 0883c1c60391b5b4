using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;

namespace Kakashi.Benchmarks.Infrastructure;

public static class Stats
{
    /// <summary>Nearest-rank percentile of an ascending-sorted array (p in 0..100).</summary>
    public static double Percentile(double[] sorted, double p)
    {
        if (sorted.Length == 0) return double.NaN;
        int rank = (int)Math.Ceiling(p / 100.0 * sorted.Length);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
    }

    public static double Median(IEnumerable<double> values)
    {
        var a = values.Where(v => !double.IsNaN(v)).OrderBy(v => v).ToArray();
        if (a.Length == 0) return double.NaN;
        return a.Length % 2 == 1 ? a[a.Length / 2] : (a[a.Length / 2 - 1] + a[a.Length / 2]) / 2;
    }

    public static string F(double value, int decimals = 1)
        => double.IsNaN(value) ? "n/a" : value.ToString("N" + decimals.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);

    /// <summary>Kakashi / peer, formatted; "1.00" on the baseline's own row.</summary>
    public static string Ratio(double kakashi, double peer)
    {
        if (double.IsNaN(kakashi) || double.IsNaN(peer) || peer == 0) return "n/a";
        return (kakashi / peer).ToString("0.00", CultureInfo.InvariantCulture);
    }
}
