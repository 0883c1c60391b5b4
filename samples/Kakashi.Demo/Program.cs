using System;
using System.Diagnostics;
using System.IO;
using System.Threading;
using System.Threading.Tasks;
using Kakashi;
using Kakashi.Clock;
using Kakashi.Demo;
using Microsoft.Extensions.Logging;

// A realistic burst: one producer thread per core logs orders, ticks and the odd rejection; prints throughput and caller
// latency. The one-line start: the "production" preset writes JSON lines to a daily rolling file (here under the temp
// folder instead of ./logs) and Warning and above to the console, so the rejections show up below, colored on a terminal.
int threads = Math.Max(2, Environment.ProcessorCount);
const int perThread = 500_000;
KakashiLogging.LogFolder = Path.Combine(Path.GetTempPath(), "kakashi-demo", Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture));
await using var pipeline = KakashiLogging.Setup("production", asyncLogging: true);
var logger = KakashiLogging.CreateLogger("Trading");
var engine = new MatchingEngine(KakashiLogging.CreateLogger("Engine"));
var file = (AsyncFileWriter)pipeline.Config.Writers[0];

// warm up (JIT tiering: a process's first second runs partly unoptimised code) and measure the cost of a timing pair
for (int i = 0; i < 300_000; i++) logger.OrderFilled(i, 100, 101.25, "MSFT");
await pipeline.FlushAllAsync();
Thread.Sleep(300);
long timerCost = long.MaxValue;
for (int i = 0; i < 1000; i++) timerCost = Math.Min(timerCost, -Stopwatch.GetTimestamp() + Stopwatch.GetTimestamp());
long warmedUp = pipeline.GetMetrics().LogsProcessed;

var samples = new long[threads][];
var start = Stopwatch.GetTimestamp();
var workers = new Thread[threads];
for (int t = 0; t < threads; t++)
{
    int id = t;
    samples[t] = new long[perThread / 10];
    workers[t] = new Thread(() =>
    {
        var timings = samples[id];
        var rejected = new InvalidOperationException("price outside the band");
        for (int i = 0; i < perThread; i++)
        {
            long t0 = Stopwatch.GetTimestamp();
            switch (i % 10)
            {
                case 0: logger.OrderPlaced(i, i % 2 == 0 ? Side.Buy : Side.Sell, 100 + i % 900, "AAPL", 187.25m + i % 7, DateTime.UtcNow); break;
                case 1: engine.OnTick("MSFT", 412.10m, 412.12m); break;
                case 2: logger.BookDepth("MSFT", i); break; // Debug: disabled, costs a load and a compare
                case 9 when i % 200_000 == 9: logger.OrderRejected(i, "risk limit", rejected); break; // Error: the file and the console
                default: logger.OrderFilled(id * perThread + i, 100, 101.25, "MSFT"); break;
            }
            if (i % 10 == 3) timings[i / 10] = Stopwatch.GetTimestamp() - t0 - timerCost; // one OrderFilled call in ten is timed
        }
    });
    workers[t].Start();
}
foreach (var w in workers) w.Join();
long produced = Stopwatch.GetTimestamp();
await pipeline.FlushAllAsync();
var elapsed = Stopwatch.GetElapsedTime(start);
var metrics = pipeline.GetMetrics();

var all = new long[threads * (perThread / 10)];
for (int t = 0; t < threads; t++) samples[t].CopyTo(all, t * (perThread / 10));
Array.Sort(all);
double Ns(long ticks) => ticks * 1e9 / Stopwatch.Frequency;

long records = metrics.LogsProcessed - warmedUp;
Console.WriteLine($"Kakashi demo: {threads} threads x {perThread:N0} calls (1 in 10 below MinLevel), clock {KakashiClock.Source}, after a {warmedUp:N0}-record warm-up");
Console.WriteLine($"  records written : {records:N0} in {elapsed.TotalMilliseconds:N0} ms -> {records / elapsed.TotalSeconds / 1e6:N2} M records/s (calls returned after {Stopwatch.GetElapsedTime(start, produced).TotalMilliseconds:N0} ms)");
Console.WriteLine($"  caller latency  : p50 {Ns(all[all.Length / 2]):N0} ns, p99 {Ns(all[(int)(all.Length * 0.99)]):N0} ns (OrderFilled, one call in ten timed, timer cost {Ns(timerCost):N0} ns subtracted)");
Console.WriteLine($"  producer waits  : {metrics.ProducerWaits:N0} (buffer full), truncated {metrics.LogsTruncated}, failed writes {metrics.Writers[0].Failed}, format errors {metrics.FormatErrors}");
string path = file.CurrentPath;
Console.WriteLine($"  output          : {path} ({new FileInfo(path).Length / 1e6:N1} MB of JSON lines)");
Console.WriteLine("  first lines     :");
using (var reader = new StreamReader(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite)))
{
    for (int i = 0; i < 2; i++) Console.WriteLine("    " + reader.ReadLine());
}
// the run's log is half a gigabyte: removed unless KAKASHI_DEMO_KEEP is set
await pipeline.DisposeAsync();
if (Environment.GetEnvironmentVariable("KAKASHI_DEMO_KEEP") is null)
{
    Directory.Delete(KakashiLogging.LogFolder, recursive: true);
    Console.WriteLine("  (deleted; set KAKASHI_DEMO_KEEP=1 to keep it)");
}
