using System;
using System.Diagnostics;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace Kakashi.Runtime.Tests;

/// <summary>A slow, failing or hung writer affects only itself: the callers and the other writers go on.</summary>
public class WriterStageTests
{
    private static AsyncPipeline Build(TimeSpan? shutdown = null, TimeProvider? time = null, params LogWriter[] writers)
        => new(new AsyncPipelineConfig
        {
            Formatter = new TextFormatter("{Category}|{Message}{NewLine}"),
            Writers = writers,
            FlushOnProcessExit = false,
            ShutdownTimeout = shutdown ?? TimeSpan.FromSeconds(5),
            TimeProvider = time ?? TimeProvider.System,
        });

    private static async Task WaitUntil(Func<bool> condition, int seconds = 20)
    {
        var deadline = Stopwatch.StartNew();
        while (!condition())
        {
            if (deadline.Elapsed > TimeSpan.FromSeconds(seconds)) throw new TimeoutException("condition not reached");
            await Task.Delay(10);
        }
    }

    [Fact]
    public async Task A_slow_writer_does_not_delay_a_fast_one_or_the_callers()
    {
        var fast = new TestWriter("fast");
        var slow = new TestWriter("slow") { Delay = TimeSpan.FromSeconds(1), Backpressure = DropStrategy.DropNewest, QueueLimit = 64 * 1024 };
        await using var pipeline = Build(null, null, fast, slow);
        var logger = pipeline.CreateLogger("App");
        var calls = Stopwatch.StartNew();
        for (int i = 0; i < 100_000; i++) logger.Seq(0, i);
        calls.Stop();
        // the fast writer has everything long before the slow one has written its second batch
        await WaitUntil(() => fast.Lines.Count(l => l.StartsWith("App|", StringComparison.Ordinal)) == 100_000);
        var m = pipeline.GetMetrics();
        Assert.Equal(100_000, m.Writers[0].Written);
        Assert.True(m.Writers[1].Written < 100_000);
        Assert.True(m.Writers[1].Dropped > 0, "the slow writer's stage overflowed and dropped (its policy)");
        Assert.Equal(0, m.LogsDropped); // the callers lost nothing
        Assert.True(calls.Elapsed < TimeSpan.FromSeconds(5), $"callers took {calls.Elapsed}");
    }

    [Fact]
    public async Task A_failing_writer_opens_its_circuit_and_reports_to_the_others()
    {
        var good = new TestWriter("good");
        var bad = new TestWriter("bad")
        {
            AlwaysFail = true,
            Retry = new RetryOptions { MaxRetries = 1, InitialDelay = TimeSpan.FromMilliseconds(1), MaxDelay = TimeSpan.FromMilliseconds(2) },
            CircuitBreaker = new CircuitBreakerOptions { FailureThreshold = 4 },
            QueueLimit = 64 * 1024,
        };
        await using var pipeline = Build(null, null, good, bad);
        var logger = pipeline.CreateLogger("App");
        for (int round = 0; round < 20; round++)
        {
            for (int i = 0; i < 100; i++) logger.Seq(round, i);
            await pipeline.FlushAllAsync();
        }
        var m = pipeline.GetMetrics();
        Assert.Equal(2000, m.Writers[0].Written);
        Assert.Equal(BreakerState.Open, m.Writers[1].BreakerState);
        Assert.True(m.Writers[1].Failed > 0);
        Assert.True(m.Writers[1].Retries > 0);
        Assert.Equal(m.Writers[1].Received, m.Writers[1].Written + m.Writers[1].Dropped + m.Writers[1].Failed + m.Writers[1].Queued);
        Assert.Contains(good.Lines, l => l.StartsWith("kakashi.async.error|Writer bad failed: bad is down", StringComparison.Ordinal));
        Assert.DoesNotContain(bad.Lines, l => l.Contains("kakashi.async.error", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Circuit_opens_after_the_threshold_then_a_probe_closes_it()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var writer = new TestWriter("flaky")
        {
            FailuresLeft = 3,
            Retry = new RetryOptions { MaxRetries = 0 },
            CircuitBreaker = new CircuitBreakerOptions { FailureThreshold = 3, BreakDuration = TimeSpan.FromSeconds(60) },
        };
        await using var pipeline = Build(null, time, writer);
        var logger = pipeline.CreateLogger("App");
        for (int i = 0; i < 3; i++)
        {
            logger.Seq(1, i);
            await pipeline.FlushAllAsync();
        }
        Assert.Equal(BreakerState.Open, pipeline.GetMetrics().Writers[0].BreakerState);
        Assert.Equal(3, pipeline.GetMetrics().Writers[0].Failed);

        // while open, batches wait in the stage and nothing is attempted; a flush does not wait for a broken writer
        int attempts = writer.Attempts;
        logger.Seq(1, 3);
        await pipeline.FlushAllAsync().WaitAsync(TimeSpan.FromSeconds(10));
        await Task.Delay(200);
        Assert.Equal(attempts, writer.Attempts);
        Assert.Equal(1, pipeline.GetMetrics().Writers[0].Queued);

        // after the break, one probe batch succeeds and closes the circuit
        time.Advance(TimeSpan.FromSeconds(61));
        await WaitUntil(() =>
        {
            time.Advance(TimeSpan.FromMilliseconds(50));
            return pipeline.GetMetrics().Writers[0].Written == 1;
        });
        var m = pipeline.GetMetrics().Writers[0];
        Assert.Equal(BreakerState.Closed, m.BreakerState);
        Assert.Equal(0, m.Queued);
        Assert.Equal(["App|T1 N3"], writer.Lines.Where(l => l.StartsWith("App|", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Transient_failures_are_retried_and_counted()
    {
        var writer = new TestWriter("transient")
        {
            FailuresLeft = 2,
            Retry = new RetryOptions { MaxRetries = 3, InitialDelay = TimeSpan.FromMilliseconds(20), MaxDelay = TimeSpan.FromMilliseconds(100), Jitter = false },
        };
        await using var pipeline = Build(null, null, writer);
        pipeline.CreateLogger("App").Seq(2, 1);
        var clock = Stopwatch.StartNew();
        await pipeline.FlushAllAsync();
        var m = pipeline.GetMetrics().Writers[0];
        Assert.Equal(2, m.Retries);
        Assert.Equal(1, m.Written);
        Assert.Equal(0, m.Failed);
        Assert.Equal(3, writer.Attempts);
        // exponential backoff without jitter: 20 ms then 40 ms
        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(55), $"retries came after {clock.Elapsed.TotalMilliseconds} ms");
    }

    [Fact]
    public async Task A_hung_writer_does_not_stop_the_others_nor_hang_shutdown()
    {
        var good = new TestWriter("good");
        var hung = new TestWriter("hung") { Hang = true, WriteTimeout = TimeSpan.FromMilliseconds(200), QueueLimit = 64 * 1024 };
        var pipeline = Build(TimeSpan.FromSeconds(2), null, good, hung);
        var logger = pipeline.CreateLogger("App");
        logger.Seq(3, 0);
        await WaitUntil(() => hung.Attempts == 1);
        for (int i = 1; i < 50_000; i++) logger.Seq(3, i);
        await WaitUntil(() => good.Lines.Count(l => l.StartsWith("App|", StringComparison.Ordinal)) == 50_000);
        await WaitUntil(() => pipeline.GetMetrics().Writers[1].BreakerState == BreakerState.Hung);
        await pipeline.FlushAllAsync().WaitAsync(TimeSpan.FromSeconds(10)); // a hung writer is not waited for
        // the watchdog reports the hang once, as an error record to the other writers
        await WaitUntil(() => good.Lines.Count(l => l.StartsWith("kakashi.async.error|Writer hung failed:", StringComparison.Ordinal)) == 1);
        var shutdown = Stopwatch.StartNew();
        await pipeline.DisposeAsync();
        Assert.True(shutdown.Elapsed < TimeSpan.FromSeconds(6), $"shutdown took {shutdown.Elapsed}");
    }

    [Fact]
    public async Task Logging_never_throws_under_fault_injection()
    {
        var writers = new LogWriter[]
        {
            new TestWriter("fails") { AlwaysFail = true, Retry = new RetryOptions { MaxRetries = 0 } },
            new TestWriter("slow") { Delay = TimeSpan.FromMilliseconds(20), Backpressure = DropStrategy.DropOldest, QueueLimit = 64 * 1024 },
        };
        var pipeline = new AsyncPipeline(new AsyncPipelineConfig
        {
            Formatter = new TextFormatter("{Message}{NewLine}"),
            Writers = writers,
            BufferSize = 4096,
            Backpressure = new BackpressureConfig { DropStrategy = DropStrategy.DropNewest },
            FlushOnProcessExit = false,
        });
        var logger = pipeline.CreateLogger("App");
        var threads = Enumerable.Range(0, 4).Select(t => new Thread(() =>
        {
            for (int i = 0; i < 20_000; i++)
            {
                logger.Seq(t, i);
                logger.Throwing(new Throwing());
                logger.Failed("op", new InvalidOperationException("x"));
            }
        })).ToArray();
        foreach (var t in threads) t.Start();
        await pipeline.DisposeAsync(); // shutdown while producing
        foreach (var t in threads) t.Join();
        Assert.True(pipeline.GetMetrics().LoggingErrors > 0);
    }
}
