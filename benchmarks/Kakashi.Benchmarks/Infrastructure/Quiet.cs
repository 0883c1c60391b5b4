using System;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Threading;

namespace Kakashi.Benchmarks.Infrastructure;

/// <summary>
/// The machine is shared: before each measured child process, wait (bounded) until the other processes leave the CPUs
/// nearly idle, judged from /proc/stat over a short window while this (idle) parent waits.
/// </summary>
public static class Quiet
{
    /// <summary>Busy share of all CPUs above which the machine is considered in use by someone else.</summary>
    public const double BusyThreshold = 0.15;

    public static int StartedUnderLoad { get; private set; }
    public static int Waited { get; private set; }

    /// <summary>Returns the busy share seen last; waits up to <paramref name="maxWait"/> for it to fall below the threshold.</summary>
    public static double WaitForQuiet(TimeSpan maxWait)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(maxWait.TotalSeconds * Stopwatch.Frequency);
        bool waited = false;
        while (true)
        {
            double busy = BusyShare(TimeSpan.FromMilliseconds(300));
            if (double.IsNaN(busy) || busy < BusyThreshold)
            {
                if (waited) Waited++;
                return busy;
            }
            if (Stopwatch.GetTimestamp() > deadline)
            {
                StartedUnderLoad++;
                Console.Error.WriteLine($"  machine still {busy:P0} busy after {maxWait.TotalSeconds:0} s: measuring anyway");
                return busy;
            }
            if (!waited) Console.Error.WriteLine($"  machine {busy:P0} busy (another process): waiting for it to settle");
            waited = true;
            Thread.Sleep(1000);
        }
    }

    /// <summary>Share of CPU time (all cores) that was not idle over <paramref name="window"/>; NaN where /proc/stat is missing.</summary>
    public static double BusyShare(TimeSpan window)
    {
        var a = Read();
        if (a is null) return double.NaN;
        Thread.Sleep(window);
        var b = Read();
        if (b is null) return double.NaN;
        double total = b.Value.Total - a.Value.Total;
        double idle = b.Value.Idle - a.Value.Idle;
        return total <= 0 ? 0 : 1 - idle / total;
    }

    private static (long Total, long Idle)? Read()
    {
        try
        {
            using var reader = new StreamReader("/proc/stat");
            var line = reader.ReadLine();
            if (line is null || !line.StartsWith("cpu ", StringComparison.Ordinal)) return null;
            var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            long total = 0, idle = 0;
            for (int i = 1; i < parts.Length && i <= 8; i++) // user nice system idle iowait irq softirq steal
            {
                long v = long.Parse(parts[i], CultureInfo.InvariantCulture);
                total += v;
                if (i is 4 or 5) idle += v; // idle, iowait
            }
            return (total, idle);
        }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
    }
}
