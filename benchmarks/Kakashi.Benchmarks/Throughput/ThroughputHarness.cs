using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading;
using Kakashi.Benchmarks.Infrastructure;
using Kakashi.Benchmarks.Latency;
using Kakashi.Benchmarks.Peers;

namespace Kakashi.Benchmarks.Throughput;

/// <summary>What one throughput child process measured.</summary>
public sealed class ThroughputResult
{
    public string Peer { get; set; } = "";
    public int Threads { get; set; }
    public long Records { get; set; }
    /// <summary>Records logged and flushed before the timed part (0: cold run, JIT included in the timing).</summary>
    public long WarmRecords { get; set; }
    /// <summary>Lines the file held when the timed part began (warm runs: proves the warm-up had been written out).</summary>
    public long LinesAtStart { get; set; }
    /// <summary>Untimed seconds spent waiting for the warm-up records to reach the file.</summary>
    public double WarmFlushSeconds { get; set; }
    public double ProduceSeconds { get; set; }
    public double TotalSeconds { get; set; }
    public long Lines { get; set; }
    public long Bytes { get; set; }
    public long WorkingSetBefore { get; set; }
    public long PeakWorkingSet { get; set; }
    public long SampledPeakWorkingSet { get; set; }
    public long AllocatedBytes { get; set; }
    public int Gen0 { get; set; }
    public int Gen1 { get; set; }
    public int Gen2 { get; set; }
    public string FirstLine { get; set; } = "";
    public long RecordLines { get; set; }
    public long OtherLines { get; set; }
    public string? FirstOtherLine { get; set; }
    public string? Counters { get; set; }
    public bool Warm => WarmRecords > 0;
    public double RecordsPerSecond => Records / TotalSeconds;
    public double MegabytesPerSecond => Bytes / 1e6 / TotalSeconds;
}

/// <summary>
/// Throughput per PERF.md: N records from the first call until the file is flushed and closed (the peer's Dispose),
/// records/s and MB/s, and a line count of the file proving nothing was lost. Each peer, thread count and run is a fresh
/// process; peers are interleaved (A B C D E, A B C D E, ...) and the table shows medians.
/// </summary>
public static class ThroughputHarness
{
    public static readonly string[] Options = ["peers", "threads", "runs", "records", "warm", "peer", "dir", "quiet-wait"];

    public static void Run(Cli cli, StringBuilder report)
    {
        var peers = cli.GetPeers();
        var threadCounts = cli.GetInts("threads", [1, 2]);
        int quietWait = cli.GetInt("quiet-wait", 120);
        int quietWaited0 = Quiet.Waited, quietLoaded0 = Quiet.StartedUnderLoad;
        int runs = cli.GetInt("runs", 3);
        int records = cli.GetInt("records", 2_000_000);
        int warm = cli.GetInt("warm", 1_000_000);
        var variants = warm > 0 ? new[] { 0, warm } : new[] { 0 };

        using var temp = new TempFolder("throughput");
        var results = new List<ThroughputResult>();
        var problems = new List<string>();
        for (int run = 1; run <= runs; run++)
        {
            foreach (int threads in threadCounts)
            foreach (int warmRecords in variants)
            {
                foreach (var peer in peers)
                {
                    string variant = warmRecords > 0 ? $"warm ({warmRecords:N0} records first)" : "cold";
                    Console.Error.WriteLine($"throughput run {run}/{runs}: {peer}, {threads} thread(s), {records:N0} records, {variant}");
                    if (quietWait > 0) Quiet.WaitForQuiet(TimeSpan.FromSeconds(quietWait));
                    var args = new[]
                    {
                        "throughput-child", "--peer", peer, "--threads", threads.ToString(CultureInfo.InvariantCulture),
                        "--records", records.ToString(CultureInfo.InvariantCulture), "--warm", warmRecords.ToString(CultureInfo.InvariantCulture),
                        "--dir", temp.Path,
                    };
                    var (result, error) = ChildProcess.Run<ThroughputResult>(args, TimeSpan.FromMinutes(10));
                    if (result is null)
                    {
                        problems.Add($"{peer}, {threads} thread(s), {variant}, run {run}: {error}");
                        Console.Error.WriteLine("  FAILED: " + error);
                        continue;
                    }
                    if (error.Length > 0) Console.Error.WriteLine("  child stderr: " + error);
                    if (result.RecordLines != result.Records + result.WarmRecords)
                        problems.Add($"{peer}, {threads} thread(s), {variant}, run {run}: file has {result.RecordLines:N0} whole records for {result.Records + result.WarmRecords:N0} logged{(result.Counters is null ? "" : $" ({result.Counters})")}");
                    if (result.OtherLines != 0)
                        problems.Add($"{peer}, {threads} thread(s), {variant}, run {run}: {result.OtherLines:N0} line(s) besides the records, first {result.FirstOtherLine}");
                    if (result.Warm && result.LinesAtStart < result.WarmRecords)
                        problems.Add($"{peer}, {threads} thread(s), {variant}, run {run}: when the timed part began the file held {result.LinesAtStart:N0} of the {result.WarmRecords:N0} warm-up lines (the rest was still buffered in the library)");
                    results.Add(result);
                    Console.Error.WriteLine($"  {variant}: {result.RecordsPerSecond:N0} records/s, {result.MegabytesPerSecond:N1} MB/s, {result.TotalSeconds:N3} s, lines {result.Lines:N0}, peak WS {result.PeakWorkingSet / 1e6:N1} MB");
                }
            }
        }

        report.AppendLine("## Throughput");
        report.AppendLine();
        report.AppendLine($"{records:N0} records per run, timed from the first call until the file is flushed and closed; {runs} run(s) per peer, thread count and variant, " +
                          "each in a fresh process, peers interleaved; medians (every run's records/s is listed). " +
                          "**cold**: the timed records are the first the process logs (JIT, tiering and the library's start-up are inside the timing: PERF.md's definition). " +
                          (warm > 0 ? $"**warm**: the same producer threads first log {warm:N0} records into the same file, the peer flushes them (its flush API, or the harness waits until they are in the file), a GC and a 200 ms pause follow (tiered JIT finishes), then the timed {records:N0} records. " : "") +
                          "`lines`: lines that are one whole record (every line is checked; warm runs: warm-up and timed records); other lines, if any, are counted apart and listed under the table. `callers done s`: when the last producer returned from its last call (the rest is the drain). `peak WS`: Process.PeakWorkingSet64 (VmHWM, whole process life, warm-up included); `WS before`: working set after setup (warm runs: after the warm-up), before the timed calls. " +
                          "`alloc/rec`: GC.GetTotalAllocatedBytes(true) delta over the timed part / records (whole process: callers and background writer); `GCs`: collections during the timed part. " +
                          "Ratios are Kakashi / peer: above 1.00 means Kakashi moves more records per second; below 1.00 means Kakashi uses less memory.");
        report.AppendLine();
        foreach (int threads in threadCounts)
        foreach (int warmRecords in variants)
        {
            var byPeer = peers.ToDictionary(p => p, p => results.Where(r => r.Peer == p && r.Threads == threads && r.WarmRecords == warmRecords).ToList());
            double K(Func<ThroughputResult, double> f) => byPeer.TryGetValue(PeerCatalog.Baseline, out var k) && k.Count > 0 ? Stats.Median(k.Select(f)) : double.NaN;
            report.AppendLine($"### {threads} producer thread{(threads > 1 ? "s" : "")}, {(warmRecords > 0 ? $"warm ({warmRecords:N0} records first)" : "cold")}");
            report.AppendLine();
            report.AppendLine("| peer | records/s | MB/s | seconds | callers done s | lines | peak WS MB | WS before MB | alloc/rec B | GCs 0/1/2 | runs (records/s) | rec/s K/peer | peak WS K/peer |");
            report.AppendLine("| --- | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: | --- | --- | ---: | ---: |");
            foreach (var peer in peers)
            {
                var rs = byPeer[peer];
                if (rs.Count == 0) { report.AppendLine($"| {peer} | failed | | | | | | | | | | | |"); continue; }
                double M(Func<ThroughputResult, double> f) => Stats.Median(rs.Select(f));
                string lines = rs.All(r => r.RecordLines == r.Records + r.WarmRecords) ? $"ok ({rs[0].RecordLines:N0})" : "**" + string.Join(" / ", rs.Select(r => r.RecordLines.ToString("N0", CultureInfo.InvariantCulture))) + "**";
                if (rs.Any(r => r.OtherLines != 0)) lines += $" +{string.Join("/", rs.Select(r => r.OtherLines))} other";
                string runList = string.Join(", ", rs.Select(r => (r.RecordsPerSecond / 1e6).ToString("0.00", CultureInfo.InvariantCulture) + "M"));
                string gcs = $"{M(r => r.Gen0):0}/{M(r => r.Gen1):0}/{M(r => r.Gen2):0}";
                report.AppendLine($"| {peer} | {Stats.F(M(r => r.RecordsPerSecond), 0)} | {Stats.F(M(r => r.MegabytesPerSecond))} | {Stats.F(M(r => r.TotalSeconds), 3)} | {Stats.F(M(r => r.ProduceSeconds), 3)} | {lines} | " +
                                  $"{Stats.F(M(r => r.PeakWorkingSet / 1e6))} | {Stats.F(M(r => r.WorkingSetBefore / 1e6))} | {Stats.F(M(r => (double)r.AllocatedBytes / r.Records))} | {gcs} | {runList} | " +
                                  $"{Stats.Ratio(K(r => r.RecordsPerSecond), M(r => r.RecordsPerSecond))} | {Stats.Ratio(K(r => r.PeakWorkingSet), M(r => r.PeakWorkingSet))} |");
            }
            report.AppendLine();
        }

        if (warm > 0)
        {
            report.AppendLine("### Cold against warm (medians, records/s)");
            report.AppendLine();
            report.AppendLine("| peer | threads | cold | warm | warm / cold | cold K/peer | warm K/peer |");
            report.AppendLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
            foreach (int threads in threadCounts)
            {
                double Rate(string peer, bool isWarm) => Stats.Median(results.Where(r => r.Peer == peer && r.Threads == threads && r.Warm == isWarm).Select(r => r.RecordsPerSecond));
                double kc = Rate(PeerCatalog.Baseline, false), kw = Rate(PeerCatalog.Baseline, true);
                foreach (var peer in peers)
                {
                    double c = Rate(peer, false), w = Rate(peer, true);
                    report.AppendLine($"| {peer} | {threads} | {Stats.F(c, 0)} | {Stats.F(w, 0)} | {Stats.Ratio(w, c)} | {Stats.Ratio(kc, c)} | {Stats.Ratio(kw, w)} |");
                }
            }
            report.AppendLine();
        }

        report.AppendLine("First line written by each peer (layouts are meant to be comparable):");
        report.AppendLine();
        report.AppendLine("```");
        foreach (var peer in peers)
        {
            var first = results.FirstOrDefault(r => r.Peer == peer);
            if (first is not null) report.AppendLine($"{peer,-8} {first.FirstLine}");
        }
        report.AppendLine("```");
        report.AppendLine();
        var counters = results.Where(r => r.Counters is not null).GroupBy(r => (r.Peer, r.Threads, r.Warm))
            .Select(g => $"- {g.Key.Peer}, {g.Key.Threads} thread(s), {(g.Key.Warm ? "warm" : "cold")}: {g.Last().Counters}").ToList();
        if (counters.Count > 0)
        {
            report.AppendLine("Pipeline counters (last run; warm runs: warm-up and timed records together):");
            report.AppendLine();
            foreach (var c in counters) report.AppendLine(c);
            report.AppendLine();
        }
        report.AppendLine(quietWait > 0
            ? $"Shared machine: before each child the parent waited for the CPUs to be < {Quiet.BusyThreshold:P0} busy (up to {quietWait} s): {Quiet.Waited - quietWaited0} child(ren) had to wait, {Quiet.StartedUnderLoad - quietLoaded0} started under load anyway."
            : "Shared machine: no quiet check (--quiet-wait 0).");
        report.AppendLine();
        LatencyHarness.AppendProblems(report, problems);
    }

    public static int Child(Cli cli)
    {
        string peerName = cli.Get("peer") ?? throw new ArgumentException("--peer is required");
        int threads = cli.GetInt("threads", 1);
        int records = cli.GetInt("records", 2_000_000);
        int warm = cli.GetInt("warm", 0);
        string dir = cli.Get("dir") ?? Path.GetTempPath();
        string path = Path.Combine(dir, $"throughput-{peerName}-{threads}-{(warm > 0 ? "warm" : "cold")}-{Environment.ProcessId}.log");

        var peer = PeerCatalog.Create(peerName);
        peer.Setup(path);

        using var self = Process.GetCurrentProcess();
        using var warmDone = new CountdownEvent(threads);
        using var warmGo = new ManualResetEventSlim(false);
        using var go = new ManualResetEventSlim(false);
        var workers = new Thread[threads];
        var producedAt = new long[threads];
        Exception? failure = null;
        for (int t = 0; t < threads; t++)
        {
            int index = t;
            int count = records / threads + (t == 0 ? records % threads : 0);
            int warmCount = warm / threads + (t == 0 ? warm % threads : 0);
            workers[t] = new Thread(() =>
            {
                try
                {
                    using var context = (peer as KakashiPeer)?.EnterProducer();
                    int orderId = index * 100_000_000;
                    if (warm > 0)
                    {
                        // the same threads warm up, so per-thread state (rings, queues, thread-locals) is the timed run's
                        warmGo.Wait();
                        for (int i = 0; i < warmCount; i++) peer.Log(orderId++, PeerSetup.Quantity, PeerSetup.Price, PeerSetup.Symbol);
                        warmDone.Signal();
                    }
                    go.Wait();
                    for (int i = 0; i < count; i++) peer.Log(orderId++, PeerSetup.Quantity, PeerSetup.Price, PeerSetup.Symbol);
                    producedAt[index] = Stopwatch.GetTimestamp();
                }
                catch (Exception e)
                {
                    failure ??= e;
                    if (warm > 0 && !warmDone.IsSet) warmDone.Signal();
                }
            }) { Name = $"producer-{t}", IsBackground = true };
            workers[t].Start();
        }

        long linesAtStart = 0, bytesAtStart = 0;
        double warmFlushSeconds = 0;
        if (warm > 0)
        {
            warmGo.Set();
            warmDone.Wait();
            if (failure is not null) throw new InvalidOperationException("A producer thread failed during the warm-up.", failure);
            long f0 = Stopwatch.GetTimestamp();
            peer.Flush();
            (linesAtStart, bytesAtStart) = WaitForLines(path, warm);
            warmFlushSeconds = Stopwatch.GetElapsedTime(f0).TotalSeconds;
        }

        GC.Collect();
        GC.WaitForPendingFinalizers();
        if (warm > 0) Thread.Sleep(200); // tiered JIT promotes the methods the warm-up made hot
        self.Refresh();
        long wsBefore = self.WorkingSet64;

        // Samples the working set so a peak during the run is seen even where VmHWM is not available.
        long sampledPeak = wsBefore;
        using var stopSampling = new ManualResetEventSlim(false);
        // (not on Linux: the kernel keeps the peak itself, VmHWM, and Process.Refresh allocates, which would put the
        // sampler's garbage collections in the peers' GC counts)
        var sampler = new Thread(() =>
        {
            if (OperatingSystem.IsLinux()) return;
            using var p = Process.GetCurrentProcess();
            while (!stopSampling.Wait(20))
            {
                p.Refresh();
                sampledPeak = Math.Max(sampledPeak, p.WorkingSet64);
            }
        }) { IsBackground = true, Name = "ws-sampler" };
        sampler.Start();

        int gen0 = GC.CollectionCount(0), gen1 = GC.CollectionCount(1), gen2 = GC.CollectionCount(2);
        long alloc0 = GC.GetTotalAllocatedBytes(precise: true);
        long start = Stopwatch.GetTimestamp();
        go.Set();
        foreach (var w in workers) w.Join();
        if (failure is not null) throw new InvalidOperationException("A producer thread failed.", failure);
        peer.Dispose(); // drain, flush, close
        long end = Stopwatch.GetTimestamp();
        long allocated = GC.GetTotalAllocatedBytes(precise: true) - alloc0;
        gen0 = GC.CollectionCount(0) - gen0; gen1 = GC.CollectionCount(1) - gen1; gen2 = GC.CollectionCount(2) - gen2;
        stopSampling.Set();
        sampler.Join();
        self.Refresh();
        long peak = self.PeakWorkingSet64;

        var check = LogFileCheck.Of(path);
        File.Delete(path);

        ChildProcess.WriteResult(new ThroughputResult
        {
            Peer = peer.Name,
            Threads = threads,
            Records = records,
            WarmRecords = warm,
            LinesAtStart = linesAtStart,
            WarmFlushSeconds = warmFlushSeconds,
            ProduceSeconds = (producedAt.Max() - start) / (double)Stopwatch.Frequency,
            TotalSeconds = (end - start) / (double)Stopwatch.Frequency,
            Lines = check.Lines,
            RecordLines = check.RecordLines,
            OtherLines = check.OtherLines,
            FirstOtherLine = check.FirstOtherLine,
            Bytes = check.Bytes - bytesAtStart,
            WorkingSetBefore = wsBefore,
            PeakWorkingSet = Math.Max(peak, sampledPeak),
            SampledPeakWorkingSet = sampledPeak,
            AllocatedBytes = allocated,
            Gen0 = gen0,
            Gen1 = gen1,
            Gen2 = gen2,
            FirstLine = check.FirstLine,
            Counters = peer.Counters,
        });
        return 0;
    }

    /// <summary>
    /// Untimed: waits until the file holds <paramref name="expected"/> lines, or its size has not changed for 500 ms
    /// (a library that keeps its last few KB in a stream buffer until dispose), at most 60 s. Returns lines and bytes seen.
    /// </summary>
    private static (long Lines, long Bytes) WaitForLines(string path, long expected)
    {
        long lines = 0, offset = 0;
        var buffer = new byte[1 << 20];
        var deadline = Stopwatch.GetTimestamp() + 60 * Stopwatch.Frequency;
        long lastChange = Stopwatch.GetTimestamp();
        while (true)
        {
            if (File.Exists(path) && new FileInfo(path).Length > 1 && LogFileCheck.IsKlog(path)) return WaitForKlogRecords(path, expected);
            if (File.Exists(path))
            {
                using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1 << 16);
                stream.Seek(offset, SeekOrigin.Begin);
                int n;
                while ((n = stream.Read(buffer, 0, buffer.Length)) > 0)
                {
                    lines += buffer.AsSpan(0, n).Count((byte)'\n');
                    offset += n;
                    lastChange = Stopwatch.GetTimestamp();
                }
            }
            if (lines >= expected) return (lines, offset);
            if (Stopwatch.GetElapsedTime(lastChange) > TimeSpan.FromMilliseconds(500) || Stopwatch.GetTimestamp() > deadline) return (lines, offset);
            Thread.Sleep(5);
        }
    }

    /// <summary>The binary log's <see cref="WaitForLines"/>: whole records decoded (and the bytes they end at).</summary>
    private static (long Lines, long Bytes) WaitForKlogRecords(string path, long expected)
    {
        using var reader = KlogReader.Open(path);
        var deadline = Stopwatch.GetTimestamp() + 60 * Stopwatch.Frequency;
        long lastChange = Stopwatch.GetTimestamp();
        while (true)
        {
            long before = reader.RecordsRead;
            while (reader.MoveNext())
            {
            }
            if (reader.RecordsRead != before) lastChange = Stopwatch.GetTimestamp();
            if (reader.RecordsRead >= expected) return (reader.RecordsRead, reader.Position);
            if (Stopwatch.GetElapsedTime(lastChange) > TimeSpan.FromMilliseconds(500) || Stopwatch.GetTimestamp() > deadline) return (reader.RecordsRead, reader.Position);
            Thread.Sleep(5);
        }
    }
}
