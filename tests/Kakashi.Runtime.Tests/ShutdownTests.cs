using System;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;

namespace Kakashi.Runtime.Tests;

public class ShutdownTests
{
    [Fact]
    public async Task DisposeAsync_writes_everything_accepted()
    {
        var log = new TempLog(bufferSize: 64 * 1024);
        for (int i = 0; i < 200_000; i++) log.Logger.Seq(0, i);
        await log.Pipeline.DisposeAsync();
        var lines = TempLog.AppLines(File.ReadAllLines(log.Path_));
        Assert.Equal(200_000, lines.Length);
        Assert.Equal("T0 N199999", lines[^1]);
        await log.DisposeAsync();
    }

    [Fact]
    public async Task Dispose_writes_everything_accepted()
    {
        var log = new TempLog();
        for (int i = 0; i < 10_000; i++) log.Logger.Seq(0, i);
        log.Pipeline.Dispose();
        Assert.Equal(10_000, TempLog.AppLines(File.ReadAllLines(log.Path_)).Length);
        await log.DisposeAsync();
    }

    [Fact]
    public async Task Logging_after_dispose_is_counted_and_ignored()
    {
        var log = new TempLog();
        log.Logger.Int(1);
        await log.Pipeline.DisposeAsync();
        log.Logger.Int(2);
        log.Logger.Text("after");
        Assert.False(log.Pipeline.IsAccepting);
        Assert.Equal(2, log.Pipeline.GetMetrics().LogsRejected);
        Assert.Equal(["Int 1"], TempLog.AppLines(File.ReadAllLines(log.Path_)));
        await log.Pipeline.FlushAllAsync(); // completes at once
        await log.DisposeAsync(); // second dispose is harmless
    }

    [Fact]
    public async Task Logging_from_a_new_thread_after_dispose_is_ignored()
    {
        var log = new TempLog();
        await log.Pipeline.DisposeAsync();
        var thread = new Thread(() => log.Logger.Int(3));
        thread.Start();
        thread.Join();
        Assert.Equal(1, log.Pipeline.GetMetrics().LogsRejected);
        await log.DisposeAsync();
    }

    [Fact]
    public async Task FlushAllAsync_makes_earlier_records_visible_in_the_file()
    {
        await using var log = new TempLog();
        for (int round = 0; round < 5; round++)
        {
            log.Logger.Seq(0, round);
            await log.Pipeline.FlushAllAsync();
            Assert.Equal(round + 1, TempLog.AppLines(File.ReadAllLines(log.Path_)).Length);
        }
    }

    [Fact]
    public async Task A_producer_blocked_on_a_full_buffer_loses_nothing()
    {
        // 4 KiB buffers fill after ~100 records: producers must wait for the drain, never drop
        await using var log = new TempLog(bufferSize: 4096);
        var threads = new Thread[3];
        for (int t = 0; t < threads.Length; t++)
        {
            int id = t;
            threads[t] = new Thread(() => { for (int i = 0; i < 50_000; i++) log.Logger.Seq(id, i); });
            threads[t].Start();
        }
        foreach (var t in threads) t.Join();
        var lines = await log.ReadLinesAsync();
        Assert.Equal(150_000, lines.Length);
        Assert.True(log.Pipeline.GetMetrics().ProducerWaits > 0);
    }

    [Fact]
    public async Task Idle_drain_uses_under_one_percent_of_a_core()
    {
        if (!OperatingSystem.IsLinux()) return; // reads the drain thread's CPU time from /proc
        var earlier = DrainThreads(); // drains of pipelines earlier tests left running are not this one's
        await using var log = new TempLog();
        log.Logger.Int(1);
        await log.Pipeline.FlushAllAsync();
        Thread.Sleep(500); // let the drain reach its parked state
        string drain = Assert.Single(DrainThreads().Except(earlier));
        double before = CpuMilliseconds(drain);
        var wall = System.Diagnostics.Stopwatch.StartNew();
        Thread.Sleep(3000);
        double ms = CpuMilliseconds(drain) - before;
        Assert.True(ms < wall.Elapsed.TotalMilliseconds * 0.01, $"drain used {ms:F0} ms CPU in {wall.Elapsed.TotalMilliseconds:F0} ms");
    }

    /// <summary>The /proc stat files of the process's drain threads.</summary>
    private static System.Collections.Generic.List<string> DrainThreads()
    {
        var found = new System.Collections.Generic.List<string>();
        foreach (var task in Directory.GetDirectories("/proc/self/task"))
        {
            try
            {
                if (File.ReadAllText(Path.Combine(task, "comm")).Trim() == "Kakashi drain") found.Add(Path.Combine(task, "stat"));
            }
            catch (IOException)
            {
                // the thread ended while we looked
            }
        }
        return found;
    }

    /// <summary>
    /// CPU time of a thread: from <c>schedstat</c> (nanoseconds) where the kernel has it, else <c>stat</c>'s utime + stime
    /// (10 ms clock ticks, coarse enough that one tick either way is a third of the 1 % budget over 3 s).
    /// </summary>
    private static double CpuMilliseconds(string statPath)
    {
        string schedstat = Path.Combine(Path.GetDirectoryName(statPath)!, "schedstat");
        if (File.Exists(schedstat)) return long.Parse(File.ReadAllText(schedstat).Split(' ')[0]) / 1e6;
        // fields after the ")" of the command name: state is field 3, utime 14, stime 15
        string stat = File.ReadAllText(statPath);
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return (long.Parse(fields[11]) + long.Parse(fields[12])) * 10.0;
    }
}

public class FileWriterTests
{
    [Theory]
    [InlineData(FsyncPolicy.None)]
    [InlineData(FsyncPolicy.EveryFlush)]
    [InlineData(FsyncPolicy.Interval)]
    public async Task Every_fsync_policy_writes_everything(FsyncPolicy policy)
    {
        var writer = new AsyncFileWriter(Path.Combine(Path.GetTempPath(), "kakashi-tests", Guid.NewGuid().ToString("N"), "sub", "fsync.log"))
        {
            Fsync = policy,
            FsyncInterval = TimeSpan.FromMilliseconds(10),
            BatchSize = 4096,
        };
        await using (var pipeline = new AsyncPipeline(new AsyncPipelineConfig { Formatter = new TextFormatter("{Message}{NewLine}"), Writers = [writer], FlushOnProcessExit = false }))
        {
            var logger = pipeline.CreateLogger("F");
            for (int i = 0; i < 5000; i++) logger.Seq(1, i);
            await pipeline.FlushAllAsync();
            Assert.Equal(5000, TempLog.AppLines(File.ReadAllLines(writer.Path)).Length);
            Assert.True(writer.FlushCount >= 1);
            Assert.Equal(new FileInfo(writer.Path).Length, writer.BytesWritten);
        }
        Assert.Equal(5000, TempLog.AppLines(File.ReadAllLines(writer.Path)).Length);
        Directory.Delete(Path.GetDirectoryName(Path.GetDirectoryName(writer.Path))!, recursive: true);
    }

    [Fact]
    public async Task Flush_interval_makes_records_visible_without_FlushAllAsync()
    {
        var writer = new AsyncFileWriter(Path.Combine(Path.GetTempPath(), "kakashi-tests", Guid.NewGuid().ToString("N"), "interval.log")) { FlushInterval = TimeSpan.FromMilliseconds(100) };
        await using var pipeline = new AsyncPipeline(new AsyncPipelineConfig { Formatter = new TextFormatter("{Message}{NewLine}"), Writers = [writer], FlushOnProcessExit = false });
        pipeline.CreateLogger("F").Seq(1, 1);
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (new FileInfo(writer.Path).Length == 0 && DateTime.UtcNow < deadline) await Task.Delay(20);
        Assert.Equal("T1 N1", File.ReadAllText(writer.Path).TrimEnd('\n'));
    }

    [Fact]
    public async Task Appends_to_an_existing_file()
    {
        string path = Path.Combine(Path.GetTempPath(), "kakashi-tests", Guid.NewGuid().ToString("N"), "append.log");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, "existing\n");
        await using (var pipeline = new AsyncPipeline(new AsyncPipelineConfig { Formatter = new TextFormatter("{Message}{NewLine}"), Writers = [new AsyncFileWriter(path)], FlushOnProcessExit = false }))
        {
            pipeline.CreateLogger("F").Seq(2, 2);
        }
        Assert.Equal(["existing", "T2 N2"], File.ReadAllLines(path));
    }

    [Fact]
    public async Task Two_writers_receive_the_same_records()
    {
        string folder = Path.Combine(Path.GetTempPath(), "kakashi-tests", Guid.NewGuid().ToString("N"));
        var a = new AsyncFileWriter(Path.Combine(folder, "a.log"));
        var b = new AsyncFileWriter(Path.Combine(folder, "b.log"));
        await using (var pipeline = new AsyncPipeline(new AsyncPipelineConfig { Formatter = new TextFormatter("{Message}{NewLine}"), Writers = [a, b], FlushOnProcessExit = false }))
        {
            var logger = pipeline.CreateLogger("F");
            for (int i = 0; i < 20_000; i++) logger.Seq(3, i);
        }
        var linesA = TempLog.AppLines(File.ReadAllLines(a.Path));
        Assert.Equal(20_000, linesA.Length);
        Assert.Equal(linesA, TempLog.AppLines(File.ReadAllLines(b.Path)));
    }
}
