using System;
using System.Collections;
using System.IO;
using System.Threading;
using System.Threading.Tasks;

namespace Kakashi.Runtime.Tests;

/// <summary>Many threads, millions of records: every record reaches the file exactly once and each thread's order is kept.</summary>
public class EndToEndTests
{
    [Theory]
    [InlineData(1, 1_000_000)]
    [InlineData(2, 1_000_000)]
    [InlineData(8, 1_000_000)]
    public async Task Every_record_is_written_exactly_once_in_per_thread_order(int threads, int perThread)
    {
        // the category tells the pipeline's own records ("Buffer 230000/262144 (approaching limit)") from the test's
        await using var log = new TempLog("{Category} {Message}{NewLine}", bufferSize: 256 * 1024);
        var workers = new Thread[threads];
        for (int t = 0; t < threads; t++)
        {
            int id = t;
            workers[t] = new Thread(() =>
            {
                for (long i = 0; i < perThread; i++) log.Logger.Seq(id, i);
            });
        }
        foreach (var w in workers) w.Start();
        foreach (var w in workers) w.Join();
        await log.Pipeline.FlushAllAsync();

        var next = new long[threads];
        var seen = new BitArray[threads];
        for (int t = 0; t < threads; t++) seen[t] = new BitArray(perThread);
        long lines = 0;
        using (var reader = new StreamReader(new FileStream(log.Path_, FileMode.Open, FileAccess.Read, FileShare.ReadWrite)))
        {
            string? line;
            while ((line = reader.ReadLine()) is not null)
            {
                if (line.StartsWith("kakashi.", StringComparison.Ordinal)) continue;
                // "Test T{thread} N{seq}"
                line = line["Test ".Length..];
                int space = line.IndexOf(' ');
                int thread = int.Parse(line.AsSpan(1, space - 1));
                long seq = long.Parse(line.AsSpan(space + 2));
                Assert.Equal(next[thread], seq); // per-thread order, no gap, no duplicate
                next[thread] = seq + 1;
                seen[thread][(int)seq] = true;
                lines++;
            }
        }
        Assert.Equal((long)threads * perThread, lines);
        for (int t = 0; t < threads; t++) Assert.Equal(perThread, next[t]);
        var metrics = log.Pipeline.GetMetrics();
        Assert.Equal(lines, metrics.LogsProcessed);
        Assert.Equal(lines, metrics.LogsAccepted);
    }

    [Fact]
    public async Task Records_of_different_threads_come_out_in_timestamp_order()
    {
        await using var log = new TempLog("{Timestamp:O} {Message}{NewLine}");
        var workers = new Thread[4];
        for (int t = 0; t < workers.Length; t++)
        {
            int id = t;
            workers[t] = new Thread(() =>
            {
                for (int i = 0; i < 20_000; i++)
                {
                    log.Logger.Seq(id, i);
                    if (i % 1000 == 0) Thread.Sleep(1);
                }
            });
        }
        // make sure every thread has its buffer registered before the measured records
        foreach (var w in workers) w.Start();
        foreach (var w in workers) w.Join();
        var lines = await log.ReadLinesAsync();
        Assert.Equal(80_000, lines.Length);
        int outOfOrder = 0;
        for (int i = 1; i < lines.Length; i++)
        {
            if (string.CompareOrdinal(lines[i - 1], 0, lines[i], 0, 28) > 0) outOfOrder++;
        }
        // the merge orders what it sees; a record published after a later one of another thread was drained can
        // trail it (documented grace window): that must stay exceptional
        Assert.True(outOfOrder < lines.Length / 1000, $"{outOfOrder} records out of timestamp order");
    }

    [Fact]
    public async Task Timestamps_are_UTC_wall_clock_time()
    {
        await using var log = new TempLog("{Timestamp:O}{NewLine}");
        var before = DateTime.UtcNow;
        Thread.Sleep(20);
        log.Logger.NoHoles();
        Thread.Sleep(20);
        var after = DateTime.UtcNow;
        var stamp = DateTime.Parse((await log.ReadLinesAsync())[0], null, System.Globalization.DateTimeStyles.RoundtripKind);
        Assert.Equal(DateTimeKind.Utc, stamp.Kind);
        Assert.InRange(stamp, before, after);
    }
}
