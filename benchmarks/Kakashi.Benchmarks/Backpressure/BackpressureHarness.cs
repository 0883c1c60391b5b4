using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Text;
using System.Threading;
using Kakashi.Benchmarks.Infrastructure;
using Kakashi.Benchmarks.Latency;
using Kakashi.Benchmarks.Peers;
using Kakashi.Buffers;
using Microsoft.Extensions.Logging;

namespace Kakashi.Benchmarks.Backpressure;

public static partial class BackpressureLog
{
    [KakashiLog(LogLevel.Information, PeerSetup.Template)]
    public static partial void OrderInfo(this KakashiLogger logger, int orderId, int quantity, double price, string symbol);

    [KakashiLog(LogLevel.Warning, PeerSetup.Template)]
    public static partial void OrderWarning(this KakashiLogger logger, int orderId, int quantity, double price, string symbol);

    [KakashiLog(LogLevel.Error, PeerSetup.Template)]
    public static partial void OrderError(this KakashiLogger logger, int orderId, int quantity, double price, string symbol);
}

/// <summary>Percentiles of one class of calls (ns), or of blocked times (ns).</summary>
public sealed class Dist
{
    public long Count { get; set; }
    public double P50 { get; set; } = double.NaN;
    public double P99 { get; set; } = double.NaN;
    public double P999 { get; set; } = double.NaN;
    public double Max { get; set; } = double.NaN;
    public double Sum { get; set; }

    public static Dist Of(List<double> values)
    {
        var a = values.ToArray();
        Array.Sort(a);
        var d = new Dist { Count = a.Length, Sum = a.Sum() };
        if (a.Length == 0) return d;
        d.P50 = Stats.Percentile(a, 50);
        d.P99 = Stats.Percentile(a, 99);
        d.P999 = Stats.Percentile(a, 99.9);
        d.Max = a[^1];
        return d;
    }
}

/// <summary>What one backpressure child measured (one strategy, one producer-thread count).</summary>
public sealed class BackpressureResult
{
    public string Strategy { get; set; } = "";
    public int Threads { get; set; }
    public long TimedCalls { get; set; }
    public double TimedSeconds { get; set; }
    public double PairCostNs { get; set; }
    public bool Classified { get; set; }
    public Dist All { get; set; } = new();
    public Dist Waited { get; set; } = new();
    public Dist NotWaited { get; set; } = new();
    public Dist DroppedCalls { get; set; } = new();
    /// <summary>Per waiting call: its blocked time (ns) from the ring's own counter (the same clock GetMetrics().BlockedTime sums).</summary>
    public Dist BlockedPerWait { get; set; } = new();
    // GetMetrics() deltas over the timed phase
    public long TimedProducerWaits { get; set; }
    public double TimedBlockedMs { get; set; }
    public long TimedDropped { get; set; }
    // GetMetrics() after dispose: the whole run (warm-up included)
    public long Accepted { get; set; }
    public long Processed { get; set; }
    public long Dropped { get; set; }
    public long DroppedAtCaller { get; set; }
    public long DroppedInRing { get; set; }
    public long[] DroppedByLevel { get; set; } = [];
    public long ProducerWaits { get; set; }
    public double BlockedMs { get; set; }
    public long Written { get; set; }
    public long WriterDropped { get; set; }
    public long WriterFailed { get; set; }
    public long WriterQueued { get; set; }
    public long InternalWritten { get; set; }
    public long[] LoggedByLevel { get; set; } = [];
    public long RecordLines { get; set; }
    public long OtherLines { get; set; }
    public string? FirstOtherLine { get; set; }
    public double WriterBytesPerSecond { get; set; }
    public long WriterBatches { get; set; }
    public long TimedAllocatedBytes { get; set; }
    public int TimedGcs { get; set; }
}

/// <summary>
/// Caller latency with the ring kept full: a small ring per thread, a writer slower than the callers
/// (<see cref="PacedFileWriter"/>), producers logging back to back (or at an offered rate), one process per strategy and
/// thread count. Each call is timed (Stopwatch pair minus the empty pair) and classified, from the calling thread's own
/// ring counters (read between calls, outside the timing), as waited (Block, DropOldest, Priority for Error), dropped at
/// the caller, or neither; drop counts and blocked time come from GetMetrics().
/// </summary>
public static class BackpressureHarness
{
    public static readonly string[] Options = ["strategies", "threads", "runs", "bp-calls", "bp-warmup", "writer-mbps", "buffer", "stage-limit", "offered", "writer-backpressure", "strategy", "dir", "quiet-wait"];

    public static readonly string[] DefaultStrategies = ["Block", "DropNewest", "DropOldest", "Priority", "Priority@0.5"];

    // ------------------------------------------------------------------ parent

    public static void Run(Cli cli, StringBuilder report)
    {
        var strategies = (cli.Get("strategies") ?? string.Join(",", DefaultStrategies)).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var threadCounts = cli.GetInts("threads", [1, 2]);
        int quietWait = cli.GetInt("quiet-wait", 120);
        int quietWaited0 = Quiet.Waited, quietLoaded0 = Quiet.StartedUnderLoad;
        int runs = cli.GetInt("runs", 1);
        int calls = cli.GetInt("bp-calls", 200_000);
        int warmup = cli.GetInt("bp-warmup", 50_000);
        int mbps = cli.GetInt("writer-mbps", 10);
        int buffer = cli.GetInt("buffer", 64 * 1024);
        int stageLimit = cli.GetInt("stage-limit", 64 * 1024);
        int offered = cli.GetInt("offered", 200_000);
        string writerPolicy = cli.Get("writer-backpressure", nameof(DropStrategy.Block));
        foreach (var s in strategies) _ = ParseStrategy(s, buffer); // fail early on a typo

        using var temp = new TempFolder("backpressure");
        var results = new List<BackpressureResult>();
        var problems = new List<string>();
        for (int run = 1; run <= runs; run++)
        {
            foreach (int threads in threadCounts)
            {
                foreach (var strategy in strategies)
                {
                    Console.Error.WriteLine($"backpressure run {run}/{runs}: {strategy}, {threads} thread(s)");
                    if (quietWait > 0) Quiet.WaitForQuiet(TimeSpan.FromSeconds(quietWait));
                    var args = new List<string>
                    {
                        "backpressure-child", "--strategy", strategy, "--threads", I(threads), "--bp-calls", I(calls), "--bp-warmup", I(warmup),
                        "--writer-mbps", I(mbps), "--buffer", I(buffer), "--stage-limit", I(stageLimit), "--offered", I(offered), "--writer-backpressure", writerPolicy, "--dir", temp.Path,
                    };
                    var (result, error) = ChildProcess.Run<BackpressureResult>(args, TimeSpan.FromMinutes(10));
                    if (result is null)
                    {
                        problems.Add($"{strategy}, {threads} thread(s), run {run}: {error}");
                        Console.Error.WriteLine("  FAILED: " + error);
                        continue;
                    }
                    if (error.Length > 0) Console.Error.WriteLine("  child stderr: " + error);
                    long books = result.Written + result.WriterDropped + result.WriterFailed + result.WriterQueued;
                    if (books != result.Accepted)
                        problems.Add($"{strategy}, {threads} thread(s), run {run}: books do not balance: accepted {result.Accepted:N0}, written {result.Written:N0} + dropped {result.WriterDropped:N0} (writer's count, rings included) + failed {result.WriterFailed:N0} + queued {result.WriterQueued:N0} = {books:N0}");
                    if (result.RecordLines != result.Written)
                        problems.Add($"{strategy}, {threads} thread(s), run {run}: the file has {result.RecordLines:N0} records, the writer counted {result.Written:N0} written");
                    if (result.DroppedByLevel.Sum() != result.Dropped)
                        problems.Add($"{strategy}, {threads} thread(s), run {run}: DroppedByLevel sums to {result.DroppedByLevel.Sum():N0}, LogsDropped is {result.Dropped:N0}");
                    results.Add(result);
                    Console.Error.WriteLine($"  p50 {Stats.F(result.All.P50)} ns, p99 {Stats.F(result.All.P99)} ns, p99.9 {Stats.F(result.All.P999)} ns, max {Stats.F(result.All.Max, 0)} ns; " +
                                            $"waited {result.Waited.Count:N0}, dropped {result.Dropped:N0} of {result.Accepted:N0}, written {result.Written:N0}, blocked {result.BlockedMs:N1} ms");
                }
            }
        }

        string rate = offered > 0
            ? $"producers offered {offered:N0} calls/s in total (split evenly; paced by sleeping 1 ms whenever ahead, so calls come in bursts of about a millisecond's worth)"
            : "producers call back to back (no pause)";
        report.AppendLine("## Backpressure (Kakashi)");
        report.AppendLine();
        report.AppendLine($"Ring of {buffer / 1024:N0} KiB per thread (`BufferSize`), one writer that appends to a file at no more than {mbps} MB/s ({nameof(PacedFileWriter)}: " +
                          $"each batch, then sleep until the byte budget allows the next), writer stage limit (`BackpressureLimit`) {(stageLimit > 0 ? $"{stageLimit / 1024:N0} KiB" : "default (4 MiB)")}, writer stage policy (`LogWriter.Backpressure`) {writerPolicy}, other settings default; " +
                          $"{rate}; {warmup:N0} warm-up calls then {calls:N0} timed calls per thread, without a pause between them (the ring stays full when the offered rate exceeds the writer's); levels repeat every 100 calls: " +
                          "90 Information, 9 Warning, 1 Error. One process per strategy and thread count; " +
                          $"{runs} run(s){(runs > 1 ? ", medians of runs (counts: every run)" : "")}. `Name@f` is the strategy with `DropThreshold` = f x buffer (else the default, the whole buffer). " +
                          "Per-call times: Stopwatch pair minus the empty pair's median; a call is `waited` when its thread's producer-wait counter moved during it, `dropped` when its thread's caller-drop counter did " +
                          "(both read between calls, outside the timing). Drop counts, ProducerWaits and BlockedTime are GetMetrics() after dispose (the whole run, warm-up included) unless marked `timed` (deltas over the timed calls).");
        report.AppendLine();

        var keys = results.Select(r => (r.Strategy, r.Threads)).Distinct().ToList();
        double M(List<BackpressureResult> rs, Func<BackpressureResult, double> f) => Stats.Median(rs.Select(f));
        string Runs(List<BackpressureResult> rs, Func<BackpressureResult, long> f) => string.Join(" / ", rs.Select(r => f(r).ToString("N0", CultureInfo.InvariantCulture)));
        List<BackpressureResult> Of((string Strategy, int Threads) k) => results.Where(r => r.Strategy == k.Strategy && r.Threads == k.Threads).ToList();

        report.AppendLine("### Caller latency, every timed call (ns)");
        report.AppendLine();
        report.AppendLine("| strategy | threads | calls/s (timed, all threads) | p50 | p99 | p99.9 | max | calls that waited | calls dropped at the caller |");
        report.AppendLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var k in keys)
        {
            var rs = Of(k);
            report.AppendLine($"| {k.Strategy} | {k.Threads} | {Stats.F(M(rs, r => r.TimedCalls / r.TimedSeconds), 0)} | {Stats.F(M(rs, r => r.All.P50))} | {Stats.F(M(rs, r => r.All.P99))} | {Stats.F(M(rs, r => r.All.P999))} | {Stats.F(M(rs, r => r.All.Max), 0)} | " +
                              $"{Stats.F(M(rs, r => 100.0 * r.Waited.Count / r.TimedCalls), 2)} % | {Stats.F(M(rs, r => 100.0 * r.DroppedCalls.Count / r.TimedCalls), 2)} % |");
        }
        report.AppendLine();

        report.AppendLine("### Records dropped and written (GetMetrics after dispose, exact counts per run)");
        report.AppendLine();
        report.AppendLine("`dropped`: LogsDropped (the callers' strategy: `at caller` + `in ring`); `in writer stage`: the writer's own Dropped minus LogsDropped (its stage policy, when not Block). Accepted = written + dropped + in writer stage is checked for every run.");
        report.AppendLine();
        report.AppendLine("| strategy | threads | accepted | written | dropped | dropped % | at caller | in ring | in writer stage | dropped Information / Warning / Error | logged Information / Warning / Error | file | pipeline's own lines |");
        report.AppendLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- | --- | ---: |");
        foreach (var k in keys)
        {
            var rs = Of(k);
            string byLevel = string.Join(" ; ", rs.Select(r => $"{L(r.DroppedByLevel, 2)} / {L(r.DroppedByLevel, 3)} / {L(r.DroppedByLevel, 4)}"));
            string logged = string.Join(" ; ", rs.Select(r => $"{L(r.LoggedByLevel, 2)} / {L(r.LoggedByLevel, 3)} / {L(r.LoggedByLevel, 4)}"));
            string file = rs.All(r => r.RecordLines == r.Written) ? "= written" : "**" + Runs(rs, r => r.RecordLines) + "**";
            report.AppendLine($"| {k.Strategy} | {k.Threads} | {Runs(rs, r => r.Accepted)} | {Runs(rs, r => r.Written)} | {Runs(rs, r => r.Dropped)} | {Stats.F(M(rs, r => 100.0 * r.Dropped / r.Accepted), 1)} | " +
                              $"{Runs(rs, r => r.DroppedAtCaller)} | {Runs(rs, r => r.DroppedInRing)} | {Runs(rs, r => r.WriterDropped - r.Dropped)} | {byLevel} | {logged} | {file} | {Runs(rs, r => r.OtherLines)} |");
        }
        report.AppendLine();

        report.AppendLine("### Calls that waited: blocked time and caller latency");
        report.AppendLine();
        report.AppendLine("`ProducerWaits`/`BlockedTime`: GetMetrics() over the whole run; `timed`: GetMetrics() deltas over the timed calls, next to the sum of the per-call blocked times the harness saw. " +
                          "`blocked per wait`: each waiting call's own blocked time (µs); `latency`: the same calls' caller latency (µs, includes the claim and the record write).");
        report.AppendLine();
        report.AppendLine("| strategy | threads | ProducerWaits | BlockedTime ms | timed waits (GetMetrics / per call) | timed blocked ms (GetMetrics / per call) | blocked per wait p50 / p99 / p99.9 / max µs | waited-call latency p50 / p99 / p99.9 / max µs | other calls p50 / p99 / p99.9 / max ns |");
        report.AppendLine("| --- | ---: | ---: | ---: | --- | --- | --- | --- | --- |");
        foreach (var k in keys)
        {
            var rs = Of(k);
            report.AppendLine($"| {k.Strategy} | {k.Threads} | {Runs(rs, r => r.ProducerWaits)} | {Stats.F(M(rs, r => r.BlockedMs), 1)} | {Stats.F(M(rs, r => r.TimedProducerWaits), 0)} / {Stats.F(M(rs, r => r.Waited.Count), 0)} | " +
                              $"{Stats.F(M(rs, r => r.TimedBlockedMs), 1)} / {Stats.F(M(rs, r => r.BlockedPerWait.Sum / 1e6), 1)} | " +
                              $"{Us(M(rs, r => r.BlockedPerWait.P50))} / {Us(M(rs, r => r.BlockedPerWait.P99))} / {Us(M(rs, r => r.BlockedPerWait.P999))} / {Us(M(rs, r => r.BlockedPerWait.Max))} | " +
                              $"{Us(M(rs, r => r.Waited.P50))} / {Us(M(rs, r => r.Waited.P99))} / {Us(M(rs, r => r.Waited.P999))} / {Us(M(rs, r => r.Waited.Max))} | " +
                              $"{Stats.F(M(rs, r => r.NotWaited.P50))} / {Stats.F(M(rs, r => r.NotWaited.P99))} / {Stats.F(M(rs, r => r.NotWaited.P999))} / {Stats.F(M(rs, r => r.NotWaited.Max), 0)} |");
        }
        report.AppendLine();

        report.AppendLine("### Calls dropped at the caller, and the process during the timed calls");
        report.AppendLine();
        report.AppendLine("| strategy | threads | dropped-call latency p50 / p99 / p99.9 / max ns | writer MB/s achieved | writer batches | allocated during the timed calls (whole process) | GCs during the timed calls |");
        report.AppendLine("| --- | ---: | --- | ---: | ---: | --- | --- |");
        foreach (var k in keys)
        {
            var rs = Of(k);
            report.AppendLine($"| {k.Strategy} | {k.Threads} | {Stats.F(M(rs, r => r.DroppedCalls.P50))} / {Stats.F(M(rs, r => r.DroppedCalls.P99))} / {Stats.F(M(rs, r => r.DroppedCalls.P999))} / {Stats.F(M(rs, r => r.DroppedCalls.Max), 0)} | " +
                              $"{Stats.F(M(rs, r => r.WriterBytesPerSecond / 1e6), 2)} | {Stats.F(M(rs, r => r.WriterBatches), 0)} | {Runs(rs, r => r.TimedAllocatedBytes)} B | {Runs(rs, r => r.TimedGcs)} |");
        }
        report.AppendLine();
        if (results.Any(r => !r.Classified))
            report.AppendLine("**The per-call classification was not available in some runs (the harness could not find the calling thread's ring): waited/dropped columns are empty there.**").AppendLine();
        report.AppendLine(quietWait > 0
            ? $"Shared machine: before each child the parent waited for the CPUs to be < {Quiet.BusyThreshold:P0} busy (up to {quietWait} s): {Quiet.Waited - quietWaited0} child(ren) had to wait, {Quiet.StartedUnderLoad - quietLoaded0} started under load anyway."
            : "Shared machine: no quiet check (--quiet-wait 0).");
        report.AppendLine();
        LatencyHarness.AppendProblems(report, problems);
    }

    private static string I(int value) => value.ToString(CultureInfo.InvariantCulture);

    private static string L(long[] values, int index) => index < values.Length ? values[index].ToString("N0", CultureInfo.InvariantCulture) : "?";

    private static string Us(double ns) => Stats.F(ns / 1000, 1);

    /// <summary>"Block", "DropNewest", "Priority@0.5" (DropThreshold = half the buffer).</summary>
    public static BackpressureConfig ParseStrategy(string text, int buffer)
    {
        var parts = text.Split('@');
        if (!Enum.TryParse<DropStrategy>(parts[0], ignoreCase: true, out var strategy))
            throw new ArgumentException($"Unknown strategy '{text}'. Known: {string.Join(", ", Enum.GetNames<DropStrategy>())} (optionally @fraction for DropThreshold).");
        var config = new BackpressureConfig { DropStrategy = strategy };
        if (parts.Length > 1) config.DropThreshold = (int)(buffer * double.Parse(parts[1], CultureInfo.InvariantCulture));
        return config;
    }

    // ------------------------------------------------------------------ child

    private static readonly FieldInfo? s_threadBuffer = typeof(AsyncPipeline).GetField("t_buffer", BindingFlags.NonPublic | BindingFlags.Static);

    /// <summary>The calling thread's ring in <paramref name="pipeline"/> (null if the pipeline's internals changed shape).</summary>
    private static ThreadBuffer? CurrentRing(AsyncPipeline pipeline)
        => s_threadBuffer?.GetValue(null) is ThreadBuffer ring && (object)ring.Host == pipeline ? ring : null;

    public static int Child(Cli cli)
    {
        string strategyText = cli.Get("strategy") ?? throw new ArgumentException("--strategy is required");
        int threads = cli.GetInt("threads", 1);
        int calls = cli.GetInt("bp-calls", 200_000);
        int warmup = cli.GetInt("bp-warmup", 50_000);
        int mbps = cli.GetInt("writer-mbps", 10);
        int bufferSize = cli.GetInt("buffer", 64 * 1024);
        int stageLimit = cli.GetInt("stage-limit", 64 * 1024);
        int offered = cli.GetInt("offered", 200_000);
        string dir = cli.Get("dir") ?? Path.GetTempPath();
        string path = Path.Combine(dir, $"backpressure-{strategyText.Replace('@', '-')}-{threads}-{Environment.ProcessId}.log");

        double nsPerTick = 1e9 / Stopwatch.Frequency;
        var (pairTicks, _) = LatencyHarness.MeasurePairCost();

        var writer = new PacedFileWriter(path, mbps * 1e6) { Backpressure = Enum.Parse<DropStrategy>(cli.Get("writer-backpressure", nameof(DropStrategy.Block)), ignoreCase: true) };
        var config = new AsyncPipelineConfig
        {
            MinLevel = LogLevel.Information,
            Formatter = new TextFormatter(KakashiPeer.Layout),
            Writers = [writer],
            BufferSize = bufferSize,
            Backpressure = ParseStrategy(strategyText, bufferSize),
        };
        if (stageLimit > 0) config.BackpressureLimit = stageLimit;
        var pipeline = new AsyncPipeline(config);
        var logger = pipeline.CreateLogger(PeerSetup.Category);

        var latency = new long[threads][];
        var flags = new byte[threads][]; // 1 waited, 2 dropped at the caller
        var blocked = new long[threads][];
        var logged = new long[threads][];
        var classified = new bool[threads];
        using var barrier = new Barrier(threads + 1);
        Exception? failure = null;
        var workers = new Thread[threads];
        long intervalTicks = offered > 0 ? Stopwatch.Frequency * threads / offered : 0; // offered is the total over the producers
        for (int t = 0; t < threads; t++)
        {
            int index = t;
            latency[t] = new long[calls];
            flags[t] = new byte[calls];
            blocked[t] = new long[calls];
            logged[t] = new long[7];
            workers[t] = new Thread(() =>
            {
                try
                {
                    int orderId = index * 100_000_000;
                    var counts = logged[index];
                    barrier.SignalAndWait();
                    long due = Stopwatch.GetTimestamp();
                    for (int i = 0; i < warmup; i++)
                    {
                        Log(logger, i, orderId++, counts);
                        if (intervalTicks > 0) due = Pace(due, intervalTicks);
                    }
                    var ring = CurrentRing(pipeline);
                    classified[index] = ring is not null;
                    barrier.SignalAndWait(); // the parent takes a metrics snapshot
                    barrier.SignalAndWait();

                    var lat = latency[index];
                    var fl = flags[index];
                    var bl = blocked[index];
                    long waits = ring?.Waits ?? 0, drops = ring?.DroppedTotal ?? 0, blockedTicks = ring?.BlockedTicks ?? 0;
                    due = Stopwatch.GetTimestamp();
                    for (int i = 0; i < calls; i++)
                    {
                        long t0 = Stopwatch.GetTimestamp();
                        Log(logger, i, orderId++, counts);
                        long t1 = Stopwatch.GetTimestamp();
                        lat[i] = t1 - t0;
                        if (ring is not null)
                        {
                            long w = ring.Waits, d = ring.DroppedTotal;
                            if (w != waits)
                            {
                                long b = ring.BlockedTicks;
                                fl[i] = 1;
                                bl[i] = b - blockedTicks;
                                blockedTicks = b;
                                waits = w;
                            }
                            if (d != drops)
                            {
                                fl[i] |= 2;
                                drops = d;
                            }
                        }
                        if (intervalTicks > 0) due = Pace(due, intervalTicks);
                    }
                    barrier.SignalAndWait();
                }
                catch (Exception e)
                {
                    failure ??= e;
                    barrier.RemoveParticipant();
                }
            }) { Name = $"producer-{t}", IsBackground = true };
            workers[t].Start();
        }

        barrier.SignalAndWait(); // start the warm-up
        barrier.SignalAndWait(); // warm-up done
        var before = pipeline.GetMetrics();
        int gcs0 = GC.CollectionCount(0) + GC.CollectionCount(1) + GC.CollectionCount(2);
        long alloc0 = GC.GetTotalAllocatedBytes(precise: true);
        long start = Stopwatch.GetTimestamp();
        barrier.SignalAndWait(); // timed calls
        barrier.SignalAndWait(); // timed calls done
        long end = Stopwatch.GetTimestamp();
        long allocated = GC.GetTotalAllocatedBytes(precise: true) - alloc0;
        int gcs = GC.CollectionCount(0) + GC.CollectionCount(1) + GC.CollectionCount(2) - gcs0;
        var after = pipeline.GetMetrics();
        foreach (var w in workers) w.Join();
        if (failure is not null) throw new InvalidOperationException("A producer thread failed.", failure);
        pipeline.DisposeAsync().AsTask().GetAwaiter().GetResult();
        var final = pipeline.GetMetrics();
        var check = LogFileCheck.Of(path);
        File.Delete(path);

        var all = new List<double>(threads * calls);
        var waited = new List<double>();
        var notWaited = new List<double>(threads * calls);
        var dropped = new List<double>();
        var blockedNs = new List<double>();
        for (int t = 0; t < threads; t++)
        {
            for (int i = 0; i < calls; i++)
            {
                double ns = Math.Max(0, latency[t][i] - pairTicks) * nsPerTick;
                all.Add(ns);
                if ((flags[t][i] & 1) != 0)
                {
                    waited.Add(ns);
                    blockedNs.Add(blocked[t][i] * nsPerTick);
                }
                else notWaited.Add(ns);
                if ((flags[t][i] & 2) != 0) dropped.Add(ns);
            }
        }
        var wm = final.Writers[0];
        var byLevel = new long[7];
        foreach (var counts in logged) for (int i = 0; i < 7; i++) byLevel[i] += counts[i];
        ChildProcess.WriteResult(new BackpressureResult
        {
            Strategy = strategyText,
            Threads = threads,
            TimedCalls = (long)threads * calls,
            TimedSeconds = (end - start) / (double)Stopwatch.Frequency,
            PairCostNs = pairTicks * nsPerTick,
            Classified = classified.All(c => c),
            All = Dist.Of(all),
            Waited = Dist.Of(waited),
            NotWaited = Dist.Of(notWaited),
            DroppedCalls = Dist.Of(dropped),
            BlockedPerWait = Dist.Of(blockedNs),
            TimedProducerWaits = after.ProducerWaits - before.ProducerWaits,
            TimedBlockedMs = (after.BlockedTime - before.BlockedTime).TotalMilliseconds,
            TimedDropped = after.LogsDropped - before.LogsDropped,
            Accepted = final.LogsAccepted,
            Processed = final.LogsProcessed,
            Dropped = final.LogsDropped,
            DroppedAtCaller = final.DroppedAtCaller,
            DroppedInRing = final.DroppedInRing,
            DroppedByLevel = final.DroppedByLevel.ToArray(),
            ProducerWaits = final.ProducerWaits,
            BlockedMs = final.BlockedTime.TotalMilliseconds,
            Written = wm.Written,
            WriterDropped = wm.Dropped,
            WriterFailed = wm.Failed,
            WriterQueued = wm.Queued,
            InternalWritten = wm.InternalWritten,
            LoggedByLevel = byLevel,
            RecordLines = check.RecordLines,
            OtherLines = check.OtherLines,
            FirstOtherLine = check.FirstOtherLine,
            WriterBytesPerSecond = writer.AchievedBytesPerSecond,
            WriterBatches = writer.Batches,
            TimedAllocatedBytes = allocated,
            TimedGcs = gcs,
        });
        return 0;
    }

    /// <summary>90 Information, 9 Warning, 1 Error in every 100 calls.</summary>
    private static void Log(KakashiLogger logger, int i, int orderId, long[] counts)
    {
        int r = i % 100;
        if (r == 99)
        {
            logger.OrderError(orderId, PeerSetup.Quantity, PeerSetup.Price, PeerSetup.Symbol);
            counts[(int)LogLevel.Error]++;
        }
        else if (r % 10 == 9)
        {
            logger.OrderWarning(orderId, PeerSetup.Quantity, PeerSetup.Price, PeerSetup.Symbol);
            counts[(int)LogLevel.Warning]++;
        }
        else
        {
            logger.OrderInfo(orderId, PeerSetup.Quantity, PeerSetup.Price, PeerSetup.Symbol);
            counts[(int)LogLevel.Information]++;
        }
    }

    /// <summary>
    /// Waits (untimed) until the next call is due at the offered rate. Sleeps 1 ms whenever ahead, so calls come in short
    /// bursts (about a millisecond's worth) and a producer never spins a core the drain and the writer need.
    /// </summary>
    private static long Pace(long due, long interval)
    {
        due += interval;
        while (true)
        {
            long now = Stopwatch.GetTimestamp();
            if (due <= now) return Math.Max(due, now - 1000 * interval); // after a long stall, no catching up beyond 1,000 calls
            Thread.Sleep(1);
        }
    }
}
