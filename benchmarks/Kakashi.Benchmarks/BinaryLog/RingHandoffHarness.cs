using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Text;
using System.Threading;
using Kakashi.Benchmarks.Infrastructure;
using Kakashi.Buffers;

namespace Kakashi.Benchmarks.BinaryLog;

/// <summary>
/// The ceiling of the ring hand-off alone (docs/benchmarks.md, "Binary log"): Kakashi's own <see cref="SpscRing"/>, one
/// 1 MiB ring per producer thread as the pipeline makes them, each producer writing records of a fixed size back to back
/// (every byte stored, the length first, as a logging call does) and one consumer thread walking them (reading each
/// record's length and first eight bytes, as the drain's merge does) and giving the space back every 1,024 records.
/// No clock, no template, no encoding, no file: what moving records of that size from the producers' cores to the drain's
/// costs on this machine, the bound under any drain. 64 bytes is today's ring record for the benchmark message.
/// </summary>
public static unsafe class RingHandoffHarness
{
    public static readonly string[] Options = ["sizes", "producers", "ring-records", "runs"];

    public static void Run(Cli cli, StringBuilder report)
    {
        int[] sizes = cli.GetInts("sizes", [64, 32, 16]);
        int[] producerCounts = cli.GetInts("producers", [1, 2]);
        int records = cli.GetInt("ring-records", 50_000_000);
        int runs = cli.GetInt("runs", 3);
        report.AppendLine("## Ring hand-off ceiling");
        report.AppendLine();
        report.AppendLine($"{records:N0} records per run through Kakashi's SpscRing (1 MiB per producer), no clock, no encoding, no file; median of {runs} runs, records/s.");
        report.AppendLine();
        report.AppendLine("| record bytes | producers | records/s | runs |");
        report.AppendLine("| ---: | ---: | ---: | --- |");
        Run(64, 1, 2_000_000); // JIT
        foreach (int size in sizes)
        {
            foreach (int producers in producerCounts)
            {
                var rates = new List<double>();
                for (int r = 0; r < runs; r++) rates.Add(Run(size, producers, records));
                Console.Error.WriteLine($"ring {size} B x {producers}: {string.Join(", ", rates.ConvertAll(x => (x / 1e6).ToString("0.0") + "M"))}");
                report.AppendLine($"| {size} | {producers} | {Stats.Median(rates):N0} | {string.Join(", ", rates.ConvertAll(x => (x / 1e6).ToString("0.00") + "M"))} |");
            }
        }
        report.AppendLine();
    }

    private static double Run(int size, int producers, int records)
    {
        var rings = new SpscRing[producers];
        for (int i = 0; i < producers; i++) rings[i] = new SpscRing(PinnedRingMemory.Allocate(1 << 20));
        int perProducer = records / producers;
        using var start = new ManualResetEventSlim();
        var threads = new Thread[producers];
        for (int t = 0; t < producers; t++)
        {
            var ring = rings[t];
            threads[t] = new Thread(() => Produce(ring, size, perProducer, start)) { IsBackground = true };
            threads[t].Start();
        }
        long expected = (long)perProducer * producers;
        long seen = 0, checksum = 0;
        var clock = Stopwatch.StartNew();
        start.Set();
        while (seen < expected)
        {
            bool any = false;
            for (int i = 0; i < rings.Length; i++)
            {
                var ring = rings[i];
                long limit = ring.ReadPublished();
                int n = 0;
                byte* p;
                while ((p = ring.Peek(limit)) != null)
                {
                    int length = *(int*)p;
                    checksum += *(long*)(p + 8);
                    ring.Advance(length);
                    if ((++n & 1023) == 0) ring.Release();
                }
                ring.Release();
                seen += n;
                any |= n > 0;
            }
            if (!any) Thread.SpinWait(20);
        }
        double seconds = clock.Elapsed.TotalSeconds;
        foreach (var t in threads) t.Join();
        GC.KeepAlive(checksum);
        return expected / seconds;
    }

    private static void Produce(SpscRing ring, int size, int count, ManualResetEventSlim start)
    {
        start.Wait();
        for (long i = 0; i < count; i++)
        {
            byte* p;
            while ((p = ring.TryClaim(size, ring.Capacity)) == null) Thread.SpinWait(20);
            *(int*)p = size;
            *(int*)(p + 4) = 7;
            *(long*)(p + 8) = i;
            for (int o = 16; o < size; o += 8) *(long*)(p + o) = i;
            ring.Publish(size);
        }
    }
}
