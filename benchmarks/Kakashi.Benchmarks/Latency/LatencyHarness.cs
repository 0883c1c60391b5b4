using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading;
using Kakashi.Benchmarks.Infrastructure;
using Kakashi.Benchmarks.Peers;

namespace Kakashi.Benchmarks.Latency;

/// <summary>What one latency child process measured (one peer, one producer-thread count).</summary>
public sealed class LatencyResult
{
    public string Peer { get; set; } = "";
    public int Threads { get; set; }
    public double PairCostNs { get; set; }
    public double TimerStepNs { get; set; }
    public double PairCostInThreadsNs { get; set; }
    public long Samples { get; set; }
    public double P50 { get; set; }
    public double P99 { get; set; }
    public double P999 { get; set; }
    public double Max { get; set; }
    public int MaxAtBurst { get; set; }
    public double Mean { get; set; }
    public double Group20P50 { get; set; }
    public double Group20P99 { get; set; }
    public double MeanPauseMs { get; set; }
    public double CallerBytesPerCall { get; set; }
    public double? DisabledNs { get; set; }
    public double? DisabledBytesPerCall { get; set; }
    public double? DisabledLoopNs { get; set; }
    public long ExpectedLines { get; set; }
    public long Lines { get; set; }
    public long OtherLines { get; set; }
    public string? FirstOtherLine { get; set; }
    public string? Counters { get; set; }
    /// <summary>Per-call ns at <see cref="Charts.PercentilePoints"/> (the percentile chart's series).</summary>
    public double[]? Percentiles { get; set; }
}

/// <summary>
/// Caller latency per PERF.md: warm up, then bursts of 1,000 calls with a ~2 ms pause between bursts so the background
/// writer keeps up. Each call is timed with a pair of Stopwatch.GetTimestamp() reads, minus the median cost of an empty
/// pair (measured first in the same process); a second pass times groups of 20 calls and divides by 20, which shows the
/// cost without the per-call timer error. Every peer and thread count runs in its own process.
/// </summary>
public static class LatencyHarness
{
    public const int BurstSize = 1000;
    public const int GroupSize = 20;

    public static readonly string[] Options = ["peers", "threads", "runs", "bursts", "warmup", "pause-ms", "disabled-calls", "peer", "dir", "quiet-wait", "charts"];

    // ------------------------------------------------------------------ parent

    public static void Run(Cli cli, StringBuilder report)
    {
        var peers = cli.GetPeers();
        var threadCounts = cli.GetInts("threads", [1, 2]);
        int quietWait = cli.GetInt("quiet-wait", 120);
        int quietWaited0 = Quiet.Waited, quietLoaded0 = Quiet.StartedUnderLoad;
        int runs = cli.GetInt("runs", 1);
        int bursts = cli.GetInt("bursts", 500);
        int warmup = cli.GetInt("warmup", 200_000);
        int pauseMs = cli.GetInt("pause-ms", 2);
        int disabledCalls = cli.GetInt("disabled-calls", 5_000_000);
        string? charts = Charts.Folder(cli.Get("charts"), defaultToRepo: false);

        using var temp = new TempFolder("latency");
        var results = new List<LatencyResult>();
        var problems = new List<string>();
        for (int run = 1; run <= runs; run++)
        {
            foreach (int threads in threadCounts)
            {
                foreach (var peer in peers)
                {
                    Console.Error.WriteLine($"latency run {run}/{runs}: {peer}, {threads} thread(s)");
                    if (quietWait > 0) Quiet.WaitForQuiet(TimeSpan.FromSeconds(quietWait));
                    var args = new List<string>
                    {
                        "latency-child", "--peer", peer, "--threads", threads.ToString(CultureInfo.InvariantCulture),
                        "--bursts", bursts.ToString(CultureInfo.InvariantCulture), "--warmup", warmup.ToString(CultureInfo.InvariantCulture),
                        "--pause-ms", pauseMs.ToString(CultureInfo.InvariantCulture),
                        "--disabled-calls", (threads == threadCounts[0] ? disabledCalls : 0).ToString(CultureInfo.InvariantCulture),
                        "--dir", temp.Path,
                    };
                    var (result, error) = ChildProcess.Run<LatencyResult>(args, TimeSpan.FromMinutes(10));
                    if (result is null)
                    {
                        problems.Add($"{peer}, {threads} thread(s), run {run}: {error}");
                        Console.Error.WriteLine("  FAILED: " + error);
                        continue;
                    }
                    if (error.Length > 0) Console.Error.WriteLine("  child stderr: " + error);
                    if (result.Lines != result.ExpectedLines)
                        problems.Add($"{peer}, {threads} thread(s), run {run}: file has {result.Lines:N0} whole records, expected {result.ExpectedLines:N0}");
                    if (result.OtherLines != 0)
                        problems.Add($"{peer}, {threads} thread(s), run {run}: {result.OtherLines:N0} line(s) besides the records, first {result.FirstOtherLine}");
                    results.Add(result);
                    Console.Error.WriteLine($"  p50 {Stats.F(result.P50)} ns, p99 {Stats.F(result.P99)} ns, p99.9 {Stats.F(result.P999)} ns, max {Stats.F(result.Max, 0)} ns (burst {result.MaxAtBurst}), g20 p50 {Stats.F(result.Group20P50)} ns");
                }
            }
        }

        report.AppendLine("## Caller latency");
        report.AppendLine();
        report.AppendLine($"Bursts of {BurstSize:N0} calls, ~{pauseMs} ms pause between bursts, {warmup:N0} warm-up calls per thread, {bursts:N0} measured bursts per thread " +
                          $"({(long)bursts * BurstSize:N0} timed calls per thread); each peer and thread count in its own process; {runs} run(s){(runs > 1 ? ", medians of runs" : "")}.");
        report.AppendLine($"Per-call columns: Stopwatch.GetTimestamp() pair around each call minus the median cost of an empty pair measured before the producers start (shown; in brackets the same measured on all producer threads at once, not subtracted); the timer advances in steps of ~{Stats.F(Stats.Median(results.Select(r => r.TimerStepNs)), 0)} ns here, so per-call values are quantised to that step. " +
                          "`g20` columns: groups of 20 calls timed together, divided by 20 (no per-call timer error). " +
                          "`lines`: whole records in the file against the calls made (warm-up included); other lines are counted apart. `B/call`: GC.GetAllocatedBytesForCurrentThread() delta on the producer threads over the timed calls. Ratios are Kakashi / peer: below 1.00 means Kakashi is faster.");
        report.AppendLine();
        foreach (int threads in threadCounts)
        {
            var byPeer = peers.ToDictionary(p => p, p => results.Where(r => r.Peer == p && r.Threads == threads).ToList());
            double K(Func<LatencyResult, double> f) => byPeer.TryGetValue(PeerCatalog.Baseline, out var k) && k.Count > 0 ? Stats.Median(k.Select(f)) : double.NaN;
            report.AppendLine($"### {threads} producer thread{(threads > 1 ? "s" : "")} (ns per call)");
            report.AppendLine();
            report.AppendLine("| peer | p50 | p99 | p99.9 | max (at burst) | g20 p50 | g20 p99 | B/call | pair cost (in threads) | lines | p50 K/peer | p99 K/peer | p99.9 K/peer | g20 p50 K/peer |");
            report.AppendLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: |");
            foreach (var peer in peers)
            {
                var rs = byPeer[peer];
                if (rs.Count == 0) { report.AppendLine($"| {peer} | failed | | | | | | | | | | | | |"); continue; }
                double M(Func<LatencyResult, double> f) => Stats.Median(rs.Select(f));
                string lines = rs.All(r => r.Lines == r.ExpectedLines) ? "ok" : "**LOST " + string.Join("/", rs.Select(r => (r.ExpectedLines - r.Lines).ToString("N0", CultureInfo.InvariantCulture))) + "**";
                if (rs.Any(r => r.OtherLines != 0)) lines += $" +{string.Join("/", rs.Select(r => r.OtherLines))} other";
                report.AppendLine($"| {peer} | {Stats.F(M(r => r.P50))} | {Stats.F(M(r => r.P99))} | {Stats.F(M(r => r.P999))} | {Stats.F(M(r => r.Max), 0)} ({string.Join(",", rs.Select(r => r.MaxAtBurst))}) | " +
                                  $"{Stats.F(M(r => r.Group20P50))} | {Stats.F(M(r => r.Group20P99))} | {Stats.F(M(r => r.CallerBytesPerCall))} | {Stats.F(M(r => r.PairCostNs))} ({Stats.F(M(r => r.PairCostInThreadsNs))}) | {lines} | " +
                                  $"{Stats.Ratio(K(r => r.P50), M(r => r.P50))} | {Stats.Ratio(K(r => r.P99), M(r => r.P99))} | {Stats.Ratio(K(r => r.P999), M(r => r.P999))} | {Stats.Ratio(K(r => r.Group20P50), M(r => r.Group20P50))} |");
            }
            report.AppendLine();
        }

        var disabled = results.Where(r => r.DisabledNs is not null).ToList();
        if (disabled.Count > 0)
        {
            double kd = Stats.Median(disabled.Where(r => r.Peer == PeerCatalog.Baseline).Select(r => r.DisabledNs!.Value));
            double kl = Stats.Median(disabled.Where(r => r.Peer == PeerCatalog.Baseline).Select(r => r.DisabledLoopNs ?? double.NaN));
            report.AppendLine("### Disabled level (a Debug call with the minimum level at Information)");
            report.AppendLine();
            report.AppendLine($"Tight loops of {disabledCalls:N0} calls, 5 repetitions each, median; loop overhead included; no Stopwatch inside the loop. " +
                              "`via interface`: the harness's loop calling IPeer.LogDisabled (an interface call per iteration, not inlinable). " +
                              "`own call site`: a loop inside the peer class calling the generated/idiomatic method directly, as application code would (the level check can be inlined).");
            report.AppendLine();
            report.AppendLine("| peer | own call site ns/call | via interface ns/call | B/call | own call site K/peer | via interface K/peer |");
            report.AppendLine("| --- | ---: | ---: | ---: | ---: | ---: |");
            foreach (var peer in peers)
            {
                var rs = disabled.Where(r => r.Peer == peer).ToList();
                if (rs.Count == 0) { report.AppendLine($"| {peer} | failed | | | | |"); continue; }
                double ns = Stats.Median(rs.Select(r => r.DisabledNs!.Value));
                double loopNs = Stats.Median(rs.Select(r => r.DisabledLoopNs ?? double.NaN));
                report.AppendLine($"| {peer} | {Stats.F(loopNs, 2)} | {Stats.F(ns, 2)} | {Stats.F(Stats.Median(rs.Select(r => r.DisabledBytesPerCall ?? double.NaN)))} | {Stats.Ratio(kl, loopNs)} | {Stats.Ratio(kd, ns)} |");
            }
            report.AppendLine();
        }

        var counters = results.Where(r => r.Counters is not null).GroupBy(r => (r.Peer, r.Threads)).Select(g => $"- {g.Key.Peer}, {g.Key.Threads} thread(s): {g.Last().Counters}").ToList();
        if (counters.Count > 0)
        {
            report.AppendLine("Pipeline counters after the latency runs (last run):");
            report.AppendLine();
            foreach (var c in counters) report.AppendLine(c);
            report.AppendLine();
        }
        if (results.Any(r => r.Percentiles is not null)) AppendPercentiles(report, results, peers, threadCounts, runs, charts);
        report.AppendLine(quietWait > 0
            ? $"Shared machine: before each child the parent waited for the CPUs to be < {Quiet.BusyThreshold:P0} busy (up to {quietWait} s): {Quiet.Waited - quietWaited0} child(ren) had to wait, {Quiet.StartedUnderLoad - quietLoaded0} started under load anyway."
            : "Shared machine: no quiet check (--quiet-wait 0).");
        report.AppendLine();
        AppendProblems(report, problems);
    }

    /// <summary>The per-call percentile series (median of runs) as a table and, with --charts, as latency-percentiles.png.</summary>
    private static void AppendPercentiles(StringBuilder report, List<LatencyResult> results, string[] peers, int[] threadCounts, int runs, string? charts)
    {
        var points = Charts.PercentilePoints;
        var panels = new List<(int Threads, IReadOnlyList<(string Peer, double[] Ns)> Lines)>();
        report.AppendLine("### Percentiles of the per-call times (ns, median of runs)");
        report.AppendLine();
        report.AppendLine("| peer | threads | " + string.Join(" | ", points.Select(p => "p" + p.ToString(CultureInfo.InvariantCulture))) + " |");
        report.AppendLine("| --- | ---: | " + string.Join(" | ", points.Select(_ => "---:")) + " |");
        foreach (int threads in threadCounts)
        {
            var lines = new List<(string Peer, double[] Ns)>();
            foreach (var peer in peers)
            {
                var rs = results.Where(r => r.Peer == peer && r.Threads == threads && r.Percentiles is { } ps && ps.Length == points.Length).ToList();
                if (rs.Count == 0) continue;
                var ns = points.Select((_, i) => Stats.Median(rs.Select(r => r.Percentiles![i]))).ToArray();
                lines.Add((peer, ns));
                report.AppendLine($"| {peer} | {threads} | " + string.Join(" | ", ns.Select(v => Stats.F(v))) + " |");
            }
            if (lines.Count > 0) panels.Add((threads, lines));
        }
        report.AppendLine();
        if (charts is null || panels.Count == 0) return;
        string file = Path.Combine(charts, "latency-percentiles.png");
        Charts.LatencyPercentiles(file, panels, $"{BurstSize:N0}-call bursts ~2 ms apart, Stopwatch pair per call, {runs} run(s); {Environment.ProcessorCount} cores");
        Console.Error.WriteLine($"chart: {file}");
        report.AppendLine($"Chart: `{Path.GetFileName(file)}` in {charts}.");
        report.AppendLine();
    }

    internal static void AppendProblems(StringBuilder report, List<string> problems)
    {
        if (problems.Count == 0) return;
        report.AppendLine("**Problems seen:**");
        report.AppendLine();
        foreach (var p in problems) report.AppendLine("- " + p.Replace("\n", " ", StringComparison.Ordinal).Replace("\r", "", StringComparison.Ordinal));
        report.AppendLine();
    }

    // ------------------------------------------------------------------ child

    public static int Child(Cli cli)
    {
        string peerName = cli.Get("peer") ?? throw new ArgumentException("--peer is required");
        int threads = cli.GetInt("threads", 1);
        int bursts = cli.GetInt("bursts", 500);
        int warmup = cli.GetInt("warmup", 200_000);
        int pauseMs = cli.GetInt("pause-ms", 2);
        int disabledCalls = cli.GetInt("disabled-calls", 0);
        string dir = cli.Get("dir") ?? Path.GetTempPath();
        string path = Path.Combine(dir, $"latency-{peerName}-{threads}-{Environment.ProcessId}.log");

        double nsPerTick = 1e9 / Stopwatch.Frequency;
        var (pairTicks, stepTicks) = MeasurePairCost();

        var peer = PeerCatalog.Create(peerName);
        peer.Setup(path);

        int warmupBursts = Math.Max(1, (warmup + BurstSize - 1) / BurstSize);
        var perCall = new long[threads][];
        var groups = new long[threads][];
        var allocated = new long[threads];
        var pauseTicks = new long[threads];
        var threadPairTicks = new long[threads];
        using var barrier = new Barrier(threads);
        var workers = new Thread[threads];
        Exception? failure = null;
        for (int t = 0; t < threads; t++)
        {
            int index = t;
            perCall[t] = new long[bursts * BurstSize];
            groups[t] = new long[bursts * (BurstSize / GroupSize)];
            workers[t] = new Thread(() =>
            {
                try
                {
                    int orderId = index * 100_000_000;
                    barrier.SignalAndWait();
                    // Warm-up in the same bursts as the measurement (tiered JIT reaches tier 1, queues reach their steady size).
                    for (int b = 0; b < warmupBursts; b++)
                    {
                        for (int i = 0; i < BurstSize; i++) peer.Log(orderId++, PeerSetup.Quantity, PeerSetup.Price, PeerSetup.Symbol);
                        Thread.Sleep(pauseMs);
                    }
                    barrier.SignalAndWait();
                    if (index == 0) Thread.Sleep(200); // let the background writers drain the warm-up
                    barrier.SignalAndWait();
                    // Diagnostic: the empty pair measured on every producer thread at once (not subtracted).
                    threadPairTicks[index] = MeasurePairCost().Median;
                    barrier.SignalAndWait();

                    var samples = perCall[index];
                    int n = 0;
                    long pauses = 0;
                    long alloc0 = GC.GetAllocatedBytesForCurrentThread();
                    for (int b = 0; b < bursts; b++)
                    {
                        for (int i = 0; i < BurstSize; i++)
                        {
                            long t0 = Stopwatch.GetTimestamp();
                            peer.Log(orderId++, PeerSetup.Quantity, PeerSetup.Price, PeerSetup.Symbol);
                            long t1 = Stopwatch.GetTimestamp();
                            samples[n++] = t1 - t0;
                        }
                        long p0 = Stopwatch.GetTimestamp();
                        Thread.Sleep(pauseMs);
                        pauses += Stopwatch.GetTimestamp() - p0;
                    }
                    allocated[index] = GC.GetAllocatedBytesForCurrentThread() - alloc0;
                    pauseTicks[index] = pauses;
                    barrier.SignalAndWait();

                    var g = groups[index];
                    int m = 0;
                    for (int b = 0; b < bursts; b++)
                    {
                        for (int k = 0; k < BurstSize / GroupSize; k++)
                        {
                            long t0 = Stopwatch.GetTimestamp();
                            for (int i = 0; i < GroupSize; i++) peer.Log(orderId++, PeerSetup.Quantity, PeerSetup.Price, PeerSetup.Symbol);
                            long t1 = Stopwatch.GetTimestamp();
                            g[m++] = t1 - t0;
                        }
                        Thread.Sleep(pauseMs);
                    }
                }
                catch (Exception e)
                {
                    failure ??= e;
                    barrier.RemoveParticipant();
                }
            }) { Name = $"producer-{t}", IsBackground = true };
        }
        foreach (var w in workers) w.Start();
        foreach (var w in workers) w.Join();
        if (failure is not null) throw new InvalidOperationException("A producer thread failed.", failure);

        double? disabledNs = null, disabledBytes = null, disabledLoopNs = null;
        if (disabledCalls > 0) (disabledNs, disabledBytes, disabledLoopNs) = MeasureDisabled(peer, disabledCalls);

        peer.Dispose();
        var check = LogFileCheck.Of(path);
        File.Delete(path);

        int maxBurst = 0;
        long maxTicks = long.MinValue;
        foreach (var samples in perCall)
            for (int i = 0; i < samples.Length; i++)
                if (samples[i] > maxTicks) { maxTicks = samples[i]; maxBurst = i / BurstSize; }
        var all = perCall.SelectMany(a => a).Select(ticks => Math.Max(0, ticks - pairTicks) * nsPerTick).ToArray();
        Array.Sort(all);
        var grouped = groups.SelectMany(a => a).Select(ticks => Math.Max(0, ticks - pairTicks) * nsPerTick / GroupSize).ToArray();
        Array.Sort(grouped);
        long calls = (long)threads * bursts * BurstSize;
        ChildProcess.WriteResult(new LatencyResult
        {
            Peer = peer.Name,
            Threads = threads,
            PairCostNs = pairTicks * nsPerTick,
            TimerStepNs = stepTicks * nsPerTick,
            PairCostInThreadsNs = threadPairTicks.Max() * nsPerTick,
            Samples = all.Length,
            P50 = Stats.Percentile(all, 50),
            P99 = Stats.Percentile(all, 99),
            P999 = Stats.Percentile(all, 99.9),
            Max = all[^1],
            MaxAtBurst = maxBurst,
            Mean = all.Average(),
            Group20P50 = Stats.Percentile(grouped, 50),
            Group20P99 = Stats.Percentile(grouped, 99),
            MeanPauseMs = pauseTicks.Sum() * nsPerTick / 1e6 / ((long)threads * bursts),
            CallerBytesPerCall = (double)allocated.Sum() / calls,
            DisabledNs = disabledNs,
            DisabledBytesPerCall = disabledBytes,
            DisabledLoopNs = disabledLoopNs,
            ExpectedLines = (long)threads * ((long)warmupBursts * BurstSize + 2L * bursts * BurstSize),
            Lines = check.RecordLines,
            OtherLines = check.OtherLines,
            FirstOtherLine = check.FirstOtherLine,
            Counters = peer.Counters,
            Percentiles = Charts.PercentilePoints.Select(p => Stats.Percentile(all, p)).ToArray(),
        });
        return 0;
    }

    /// <summary>
    /// Median ticks between two consecutive Stopwatch.GetTimestamp() reads, and the timer's step: the smallest gap above
    /// 2 ticks between distinct values of that difference (on a VM the clock may advance in steps coarser than a tick).
    /// </summary>
    internal static (long Median, long Step) MeasurePairCost()
    {
        var d = new long[200_000];
        for (int round = 0; round < 2; round++) // the first round warms the JIT and the vDSO
        {
            for (int i = 0; i < d.Length; i++)
            {
                long t0 = Stopwatch.GetTimestamp();
                long t1 = Stopwatch.GetTimestamp();
                d[i] = t1 - t0;
            }
        }
        Array.Sort(d);
        long step = long.MaxValue;
        for (int i = 1; i < d.Length; i++)
        {
            long gap = d[i] - d[i - 1];
            if (gap > 2 && gap < step) step = gap;
        }
        return (d[d.Length / 2], step == long.MaxValue ? 1 : step);
    }

    private static (double Ns, double Bytes, double LoopNs) MeasureDisabled(IPeer peer, int calls)
    {
        for (int i = 0; i < 200_000; i++) peer.LogDisabled(i, PeerSetup.Quantity, PeerSetup.Price, PeerSetup.Symbol);
        peer.LogDisabledLoop(200_000);
        Thread.Sleep(200); // tier-1 promotion happens in the background
        for (int i = 0; i < 200_000; i++) peer.LogDisabled(i, PeerSetup.Quantity, PeerSetup.Price, PeerSetup.Symbol);
        peer.LogDisabledLoop(200_000);
        Thread.Sleep(200); // and OSR'd loops get their tier-1 version
        peer.LogDisabledLoop(200_000);
        var ns = new double[5];
        long alloc0 = GC.GetAllocatedBytesForCurrentThread();
        for (int rep = 0; rep < ns.Length; rep++)
        {
            long t0 = Stopwatch.GetTimestamp();
            for (int i = 0; i < calls; i++) peer.LogDisabled(i, PeerSetup.Quantity, PeerSetup.Price, PeerSetup.Symbol);
            ns[rep] = Stopwatch.GetElapsedTime(t0).TotalNanoseconds / calls;
        }
        double bytes = (double)(GC.GetAllocatedBytesForCurrentThread() - alloc0) / ((long)calls * ns.Length);
        // the peer's own call site in a loop: what an application's call below the minimum level costs once inlined
        var loop = new double[5];
        for (int rep = 0; rep < loop.Length; rep++)
        {
            long t0 = Stopwatch.GetTimestamp();
            peer.LogDisabledLoop(calls);
            loop[rep] = Stopwatch.GetElapsedTime(t0).TotalNanoseconds / calls;
        }
        return (Stats.Median(ns), bytes, Stats.Median(loop));
    }
}
