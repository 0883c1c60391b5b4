using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading;
using Kakashi.Benchmarks.Infrastructure;
using Kakashi.Benchmarks.Peers;

namespace Kakashi.Benchmarks.Steady;

/// <summary>
/// What logging at a steady rate costs the process in CPU (docs/benchmarks.md, "CPU at a steady rate"): one producer
/// thread logs the benchmark message at --rate records/s (a burst every millisecond) for --seconds, and the process's
/// CPU time over that window is read per thread from /proc/self/task (Linux), grouped by thread name: the producer, the
/// logger's own threads, the thread pool, the rest; <c>cpu=</c> is every thread but the producer (which ends first, and
/// paces itself by spinning) and the JIT's tiering thread, in % of one core. One peer per process.
/// </summary>
public static class SteadyHarness
{
    public static readonly string[] Options = ["peer", "rate", "seconds"];

    public static int Run(Cli cli)
    {
        string name = cli.Get("peer", "Kakashi");
        int rate = cli.GetInt("rate", 100_000);
        int seconds = cli.GetInt("seconds", 5);
        using var temp = new TempFolder("steady");
        using var peer = PeerCatalog.Create(name);
        peer.Setup(temp.File("steady.log"));
        int perMs = Math.Max(1, rate / 1000);
        long before = 0;
        Dictionary<string, double>? start = null;
        var producer = new Thread(() =>
        {
            int id = 0;
            // warm-up: a second at the rate
            Loop(peer, perMs, 1000, ref id);
            start = ThreadTimes();
            before = Stopwatch.GetTimestamp();
            Loop(peer, perMs, seconds * 1000, ref id);
        }) { Name = "producer" };
        producer.Start();
        producer.Join();
        var end = ThreadTimes();
        double wall = Stopwatch.GetElapsedTime(before).TotalSeconds;
        var groups = new SortedDictionary<string, double>(StringComparer.Ordinal);
        foreach (var (thread, cpu) in end)
        {
            double used = cpu - (start!.TryGetValue(thread, out double s) ? s : 0);
            string group = Group(thread[(thread.IndexOf(':') + 1)..]);
            groups[group] = groups.GetValueOrDefault(group) + used;
        }
        var line = new StringBuilder();
        double jit = groups.GetValueOrDefault("other:.NET_Tiered_Com");
        line.Append(System.Globalization.CultureInfo.InvariantCulture, $"STEADY {name} rate={rate} wall={wall:0.00}s cpu={(groups.Values.Sum() - jit) / wall * 100:0.0}%");
        foreach (var (group, cpu) in groups) if (cpu > 0) line.Append(System.Globalization.CultureInfo.InvariantCulture, $" {group}={cpu / wall * 100:0.0}%");
        Console.WriteLine(line.ToString());
        return 0;
    }

    private static void Loop(IPeer peer, int perMs, int ms, ref int id)
    {
        long tick = Stopwatch.Frequency / 1000;
        long next = Stopwatch.GetTimestamp();
        for (int m = 0; m < ms; m++)
        {
            for (int i = 0; i < perMs; i++) peer.Log(id++, PeerSetup.Quantity, PeerSetup.Price, PeerSetup.Symbol);
            next += tick;
            while (Stopwatch.GetTimestamp() < next)
            {
                long left = next - Stopwatch.GetTimestamp();
                if (left > tick / 2) Thread.Sleep(0);
                else Thread.SpinWait(50);
            }
        }
    }

    private static string Group(string comm) => comm switch
    {
        "producer" => "producer",
        ".NET TP Worker" => "threadpool",
        _ when comm.StartsWith("Kakashi", StringComparison.Ordinal) => comm.Replace(" ", "-", StringComparison.Ordinal),
        _ => "other:" + comm.Replace(' ', '_'),
    };

    /// <summary>CPU seconds per thread ("tid:name").</summary>
    private static Dictionary<string, double> ThreadTimes()
    {
        var times = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (string dir in Directory.GetDirectories("/proc/self/task"))
        {
            try
            {
                string stat = File.ReadAllText(Path.Combine(dir, "stat"));
                int open = stat.IndexOf('('), close = stat.LastIndexOf(')');
                string comm = stat[(open + 1)..close];
                string[] f = stat[(close + 2)..].Split(' ');
                double ticks = double.Parse(f[11], System.Globalization.CultureInfo.InvariantCulture) + double.Parse(f[12], System.Globalization.CultureInfo.InvariantCulture);
                times[Path.GetFileName(dir) + ":" + comm] = ticks / 100.0;
            }
            catch (IOException)
            {
                // the thread ended
            }
        }
        return times;
    }
}
