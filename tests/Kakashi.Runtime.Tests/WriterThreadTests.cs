using System;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;

namespace Kakashi.Runtime.Tests;

/// <summary>
/// A writer stage waits for work on a thread of its own (AsyncSignal, WakeThread), not on the thread pool, whose workers
/// spin before they sleep (docs/benchmarks.md, "CPU at a steady rate"); the thread ends with its pipeline. Alone (the
/// thread count is process-wide: other tests' pipelines must not come and go meanwhile).
/// </summary>
[Collection(ProcessWideCollection.Name)]
public sealed class WriterThreadTests
{
    /// <summary>Completes every write at once, noting the thread each ran on.</summary>
    private sealed class ThreadNotingWriter(bool yieldInWrite = false) : LogWriter
    {
        public int Writes, OnPool, OnStageThread, Lines;

        protected internal override void Open(WriterContext context)
        {
        }

        protected internal override async ValueTask WriteAsync(LogBatch batch, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref Writes);
            if (Thread.CurrentThread.IsThreadPoolThread) Interlocked.Increment(ref OnPool);
            if (Thread.CurrentThread.Name == "Kakashi writer") Interlocked.Increment(ref OnStageThread);
            if (yieldInWrite) await Task.Delay(1, CancellationToken.None); // a write that completes later (a network round trip)
            if (!batch.IsInternal) Interlocked.Add(ref Lines, batch.Count);
        }

        protected internal override ValueTask FlushAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;

        public override ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }

    private static int WriterThreads() => Directory.GetDirectories("/proc/self/task").Count(t =>
    {
        try
        {
            return File.ReadAllText(Path.Combine(t, "comm")).Trim() == "Kakashi writer";
        }
        catch (IOException)
        {
            return false; // the thread ended meanwhile
        }
    });

    [Fact]
    public async Task Writes_woken_by_the_drain_run_on_the_stage_s_own_thread_not_the_thread_pool()
    {
        var writer = new ThreadNotingWriter();
        await using var pipeline = new AsyncPipeline(new AsyncPipelineConfig { Writers = [writer], FlushOnProcessExit = false });
        var logger = pipeline.CreateLogger("App");
        for (int round = 0; round < 50; round++)
        {
            for (int i = 0; i < 20; i++) logger.Seq(round, i);
            await Task.Delay(3); // a quiet moment: the stage goes back to waiting, and is woken again
        }
        await pipeline.FlushAllAsync();
        Assert.Equal(1000, Volatile.Read(ref writer.Lines));
        Assert.True(writer.Writes >= 10, $"{writer.Writes} writes");
        // the loop starts on the pool; once it has waited for work it is woken on its own thread
        Assert.True(writer.OnPool <= 1, $"{writer.OnPool} of {writer.Writes} writes on the thread pool");
        Assert.True(writer.OnStageThread >= writer.Writes - 1, $"{writer.OnStageThread} of {writer.Writes} writes on the stage's thread");
    }

    [Fact]
    public async Task A_write_that_completes_later_goes_on_where_it_resumed_and_nothing_is_lost()
    {
        var writer = new ThreadNotingWriter(yieldInWrite: true);
        await using var pipeline = new AsyncPipeline(new AsyncPipelineConfig { Writers = [writer], FlushOnProcessExit = false });
        var logger = pipeline.CreateLogger("App");
        for (int round = 0; round < 30; round++)
        {
            for (int i = 0; i < 100; i++) logger.Seq(round, i);
            await Task.Delay(2);
        }
        await pipeline.FlushAllAsync();
        Assert.Equal(3000, Volatile.Read(ref writer.Lines));
        var m = pipeline.GetMetrics().Writers[0];
        Assert.Equal(3000, m.Written);
    }

    [Fact]
    public async Task Each_stage_s_thread_ends_with_its_pipeline()
    {
        int before = WriterThreads();
        for (int i = 0; i < 20; i++)
        {
            var pipeline = new AsyncPipeline(new AsyncPipelineConfig { Writers = [new ThreadNotingWriter(), new ThreadNotingWriter(yieldInWrite: true)], FlushOnProcessExit = false });
            pipeline.CreateLogger("App").Seq(i, 0);
            var started = DateTime.UtcNow.AddSeconds(10);
            while (WriterThreads() != before + 2 && DateTime.UtcNow < started) await Task.Delay(5); // a new thread names itself as it starts
            Assert.Equal(before + 2, WriterThreads());
            await pipeline.DisposeAsync();
        }
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (WriterThreads() > before && DateTime.UtcNow < deadline) await Task.Delay(20);
        Assert.Equal(before, WriterThreads());
    }
}

/// <summary>Tests that count something process-wide (threads): run alone, after the parallel ones.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ProcessWideCollection
{
    public const string Name = "Process-wide counts";
}
