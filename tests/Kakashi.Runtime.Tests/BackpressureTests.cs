using System;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.Logging;

namespace Kakashi.Runtime.Tests;

/// <summary>Every strategy counts exactly: for each writer, accepted = written + dropped + failed at every quiescent point.</summary>
public class BackpressureTests
{
    private static AsyncPipeline Build(DropStrategy strategy, TestWriter writer, int bufferSize = 8 * 1024, int? dropThreshold = null)
        => new(new AsyncPipelineConfig
        {
            MinLevel = LogLevel.Trace,
            Formatter = new TextFormatter("{Category}|{Level}|{Message}{NewLine}"),
            Writers = [writer],
            BufferSize = bufferSize,
            Backpressure = new BackpressureConfig { DropStrategy = strategy, DropThreshold = dropThreshold },
            FlushOnProcessExit = false,
        });

    private static void Produce(AsyncPipeline pipeline, int threads, int perThread, Func<int, LogLevel>? level = null)
    {
        var workers = new Thread[threads];
        for (int t = 0; t < threads; t++)
        {
            int id = t;
            workers[t] = new Thread(() =>
            {
                var logger = pipeline.CreateLogger("App");
                for (int i = 0; i < perThread; i++)
                {
                    if (level is null) logger.Seq(id, i);
                    else logger.Dynamic(level(i), i);
                }
            });
            workers[t].Start();
        }
        foreach (var w in workers) w.Join();
    }

    private static void AssertBooksBalance(AsyncPipeline pipeline, TestWriter writer, long expectedAccepted)
    {
        var m = pipeline.GetMetrics();
        var w = m.Writers.Single();
        Assert.Equal(expectedAccepted, m.LogsAccepted);
        Assert.Equal(m.LogsAccepted, w.Received);
        Assert.Equal(w.Received, w.Written + w.Dropped + w.Failed + w.Queued);
        Assert.Equal(0, w.Queued);
        // the file holds exactly the written records, and the drop reports add up to LogsDropped
        var lines = writer.Lines;
        Assert.Equal(w.Written, lines.Count(l => l.StartsWith("App|", StringComparison.Ordinal)));
        long reported = lines.Where(l => l.StartsWith("kakashi.backpressure|Warning|Dropped ", StringComparison.Ordinal))
            .Sum(l => long.Parse(l.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(m.LogsDropped, reported);
        Assert.Equal(m.LogsDropped, m.DroppedByLevel.Sum());
    }

    [Theory]
    [InlineData(DropStrategy.Block, 1)]
    [InlineData(DropStrategy.Block, 4)]
    [InlineData(DropStrategy.Block, 8)]
    [InlineData(DropStrategy.DropNewest, 1)]
    [InlineData(DropStrategy.DropNewest, 8)]
    [InlineData(DropStrategy.DropOldest, 1)]
    [InlineData(DropStrategy.DropOldest, 8)]
    [InlineData(DropStrategy.Priority, 1)]
    [InlineData(DropStrategy.Priority, 8)]
    public async Task Accepted_equals_written_plus_dropped_plus_failed(DropStrategy strategy, int threads)
    {
        var writer = new TestWriter { Delay = TimeSpan.FromMilliseconds(2) };
        await using var pipeline = Build(strategy, writer);
        Produce(pipeline, threads, 20_000, i => (LogLevel)(i % 6));
        await pipeline.FlushAllAsync();
        AssertBooksBalance(pipeline, writer, threads * 20_000L);
        var m = pipeline.GetMetrics();
        if (strategy == DropStrategy.Block)
        {
            Assert.Equal(0, m.LogsDropped);
            Assert.True(m.ProducerWaits > 0 && m.BlockedTime > TimeSpan.Zero, "a slow writer and 8 KiB rings make callers wait");
        }
        else
        {
            Assert.True(m.LogsDropped > 0, "a slow writer and 8 KiB rings make the strategy drop");
        }
    }

    [Fact]
    public async Task Books_balance_at_shutdown_too()
    {
        var writer = new TestWriter { Delay = TimeSpan.FromMilliseconds(1) };
        var pipeline = Build(DropStrategy.DropNewest, writer);
        Produce(pipeline, 4, 10_000);
        await pipeline.DisposeAsync();
        AssertBooksBalance(pipeline, writer, 40_000);
    }

    [Fact]
    public async Task Priority_never_drops_errors_while_lower_levels_can_go()
    {
        var writer = new TestWriter { Delay = TimeSpan.FromMilliseconds(3) };
        await using var pipeline = Build(DropStrategy.Priority, writer, dropThreshold: 4096);
        // one Error in ten, the rest Trace..Information
        Produce(pipeline, 4, 20_000, i => i % 10 == 0 ? LogLevel.Error : (LogLevel)(i % 3));
        await pipeline.FlushAllAsync();
        var m = pipeline.GetMetrics();
        Assert.True(m.LogsDropped > 0);
        Assert.Equal(0, m.DroppedByLevel[(int)LogLevel.Error]);
        Assert.Equal(0, m.DroppedByLevel[(int)LogLevel.Critical]);
        Assert.True(m.DroppedByLevel[(int)LogLevel.Trace] >= m.DroppedByLevel[(int)LogLevel.Information], "lower levels are shed first");
        Assert.Equal(8_000, writer.Lines.Count(l => l.StartsWith("App|Error|", StringComparison.Ordinal)));
        AssertBooksBalance(pipeline, writer, 80_000);
    }

    [Theory]
    [InlineData(DropStrategy.DropOldest, "App|Information|T0 N49999")] // the newest record survives
    [InlineData(DropStrategy.DropNewest, "App|Information|T0 N0")]     // the oldest record survives
    public async Task Drop_strategies_keep_the_end_they_promise(DropStrategy strategy, string survivor)
    {
        var writer = new TestWriter { Delay = TimeSpan.FromMilliseconds(2) };
        await using var pipeline = Build(strategy, writer);
        Produce(pipeline, 1, 50_000);
        await pipeline.FlushAllAsync();
        Assert.True(pipeline.GetMetrics().LogsDropped > 0);
        Assert.Contains(survivor, writer.Lines);
        AssertBooksBalance(pipeline, writer, 50_000);
    }

    [Fact]
    public async Task Buffer_warning_is_written_when_the_fill_passes_the_threshold()
    {
        var writer = new TestWriter { Delay = TimeSpan.FromMilliseconds(5) };
        await using var pipeline = Build(DropStrategy.Block, writer);
        Produce(pipeline, 1, 20_000);
        await pipeline.FlushAllAsync();
        Assert.Contains(writer.Lines, l => l.StartsWith("kakashi.backpressure|Warning|Buffer ", StringComparison.Ordinal) && l.EndsWith("/8192 (approaching limit)", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(100, null, "Backpressure.DropThreshold")]
    [InlineData(null, 9000, "Backpressure.WarningThreshold")]
    public void Invalid_thresholds_are_rejected_naming_the_property(int? drop, int? warning, string property)
    {
        var config = new AsyncPipelineConfig
        {
            BufferSize = 8192,
            Writers = [new TestWriter()],
            Backpressure = new BackpressureConfig { DropStrategy = DropStrategy.DropNewest, DropThreshold = drop, WarningThreshold = warning },
        };
        Assert.Equal(property, Assert.Throws<ArgumentOutOfRangeException>(() => new AsyncPipeline(config)).ParamName);
    }

    [Fact]
    public void Conflicting_buffer_sizes_and_small_backpressure_limits_are_rejected()
    {
        var config = new AsyncPipelineConfig { BufferSize = 8192, Writers = [new TestWriter()], Backpressure = new BackpressureConfig { BufferSize = 16384 } };
        Assert.Equal("Backpressure.BufferSize", Assert.Throws<ArgumentException>(() => new AsyncPipeline(config)).ParamName);
        config = new AsyncPipelineConfig { BufferSize = 1 << 20, BackpressureLimit = 1 << 19, Writers = [new TestWriter()] };
        Assert.Equal(nameof(AsyncPipelineConfig.BackpressureLimit), Assert.Throws<ArgumentOutOfRangeException>(() => new AsyncPipeline(config)).ParamName);
        config = new AsyncPipelineConfig { Writers = [new TestWriter { Backpressure = DropStrategy.Priority }] };
        Assert.Equal("Writers[0].Backpressure", Assert.Throws<ArgumentOutOfRangeException>(() => new AsyncPipeline(config)).ParamName);
    }
}

/// <summary>Drop-oldest callers wait only for the drain to skip records, even while a blocking writer holds the drain.</summary>
public class DropOldestBehindABlockedWriterTests
{
    [Fact]
    public async Task Callers_go_on_while_the_writer_is_stuck_and_the_books_balance()
    {
        var writer = new GatedWriter { QueueLimit = 64 * 1024 }; // Block policy (the default)
        await using var pipeline = new AsyncPipeline(new AsyncPipelineConfig
        {
            Formatter = new TextFormatter("{Message}{NewLine}"),
            Writers = [writer],
            BufferSize = 8192,
            Backpressure = new BackpressureConfig { DropStrategy = DropStrategy.DropOldest },
            FlushOnProcessExit = false,
        });
        var logger = pipeline.CreateLogger("App");
        var producer = Task.Run(() =>
        {
            for (int i = 0; i < 50_000; i++) logger.Seq(0, i);
        });
        // the writer has not written a single batch, the stage is full and holds the drain: the caller still finishes
        Assert.Same(producer, await Task.WhenAny(producer, Task.Delay(TimeSpan.FromSeconds(30))));
        Assert.True(pipeline.GetMetrics().LogsDropped > 0);
        writer.Gate.Release();
        await pipeline.FlushAllAsync();
        var m = pipeline.GetMetrics();
        var w = m.Writers[0];
        Assert.Equal(50_000, m.LogsAccepted);
        Assert.Equal(w.Received, w.Written + w.Dropped + w.Filtered + w.Failed + w.Queued);
        Assert.Equal(50_000, w.Received);
    }
}

/// <summary>
/// The drain's batch pool holds every batch the pipeline can hold at once, so a writer that falls behind never makes it
/// allocate (a batch is about 150 KB: one short, and a lagging writer made the drain allocate one, seen in CI). The lag is a
/// writer held in its write (an injected stall: a real disk does not stall on cue), with blocking stages, each output full.
/// </summary>
public class BatchPoolSizeTests
{
    [Theory]
    [InlineData(64 * 1024)] // below one batch: an empty queue still takes one
    [InlineData(512 * 1024)]
    public async Task Full_blocking_stages_on_every_output_never_make_the_pool_allocate(int queueLimit)
    {
        // three outputs (three formatters) of the same record size: their batches fill in step, so all three stages are full
        // at once, the worst case
        GatedWriter[] writers =
        [
            new() { QueueLimit = queueLimit, Backpressure = DropStrategy.Block, WriteTimeout = TimeSpan.FromMinutes(5), Formatter = new TextFormatter("a {Message}{NewLine}") },
            new() { QueueLimit = queueLimit, Backpressure = DropStrategy.Block, WriteTimeout = TimeSpan.FromMinutes(5), Formatter = new TextFormatter("b {Message}{NewLine}") },
            new() { QueueLimit = queueLimit, Backpressure = DropStrategy.Block, WriteTimeout = TimeSpan.FromMinutes(5), Formatter = new TextFormatter("c {Message}{NewLine}") },
        ];
        await using var pipeline = new AsyncPipeline(new AsyncPipelineConfig
        {
            Writers = [.. writers],
            BufferSize = 64 * 1024,
            BackpressureLimit = queueLimit,
            FlushOnProcessExit = false,
        });
        var logger = pipeline.CreateLogger("App");
        const int Records = 200_000;
        var producer = Task.Run(() =>
        {
            for (int i = 0; i < Records; i++) logger.Seq(0, i);
        });
        // every stage full: the writer holds one batch, the queue its limit's worth (at least one), the drain waits
        long full = Math.Max(queueLimit, 128 * 1024);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!pipeline.GetMetrics().Writers.All(w => w.QueueBytes >= full) && DateTime.UtcNow < deadline) await Task.Delay(20);
        Assert.All(pipeline.GetMetrics().Writers, w => Assert.True(w.QueueBytes >= full, $"{w.Name} queue {w.QueueBytes} of {full}"));
        await Task.Delay(300); // the drain has sealed the next batch and waits with it in hand
        Assert.False(producer.IsCompleted);
        Assert.Equal(0, pipeline.BatchesMade);

        foreach (var w in writers) w.Gate.Release();
        await producer;
        await pipeline.FlushAllAsync();
        Assert.Equal(0, pipeline.BatchesMade);
        Assert.All(writers, w => Assert.Equal(Records, Interlocked.Read(ref w.Records)));
        var m = pipeline.GetMetrics();
        Assert.All(m.Writers, w => Assert.Equal(Records, w.Written));
    }
}

/// <summary>A writer stuck in its write until the test opens <see cref="Gate"/> (once open, it stays open); counts the application's records it wrote.</summary>
internal sealed class GatedWriter : LogWriter
{
    public readonly SemaphoreSlim Gate = new(0);
    public long Records;

    protected internal override void Open(WriterContext context)
    {
    }

    protected internal override async ValueTask WriteAsync(LogBatch batch, CancellationToken cancellationToken)
    {
        await Gate.WaitAsync(CancellationToken.None);
        Gate.Release();
        if (!batch.IsInternal) Interlocked.Add(ref Records, batch.Count);
    }

    protected internal override ValueTask FlushAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;

    public override ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
