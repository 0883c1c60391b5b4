using System;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Kakashi;
using Microsoft.Extensions.Logging;
using Xunit;

namespace Kakashi.Runtime.Tests;

public class SynchronousPipelineTests
{
    private static string Read(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        return new StreamReader(stream).ReadToEnd();
    }

    [Fact]
    public async Task The_line_is_in_the_file_the_moment_the_call_returns()
    {
        using var temp = new TempFolder();
        string path = Path.Combine(temp.Path, "sync.log");
        await using var pipeline = new AsyncPipeline(new AsyncPipelineConfig
        {
            Synchronous = true,
            Formatter = new TextFormatter("{Message}{NewLine}"),
            Writers = [new AsyncFileWriter(path) { FlushInterval = TimeSpan.FromSeconds(30) }], // no timed flush can help
            FlushOnProcessExit = false,
        });
        Assert.True(pipeline.IsSynchronous);
        var logger = pipeline.CreateLogger("Sync");
        for (int i = 0; i < 200; i++)
        {
            logger.Seq(7, i);
            string text = Read(path); // no flush: the call itself wrote it
            Assert.EndsWith($"T7 N{i}\n", text);
        }
        var m = pipeline.GetMetrics().Writers[0];
        Assert.Equal(200, m.Written);
        Assert.Equal(0, m.Queued + m.InFlight);
    }

    [Fact]
    public async Task Many_threads_each_find_their_own_lines_written_and_nothing_is_lost_or_torn()
    {
        using var temp = new TempFolder();
        string path = Path.Combine(temp.Path, "sync-threads.log");
        var pipeline = new AsyncPipeline(new AsyncPipelineConfig
        {
            Synchronous = true,
            Formatter = new JsonFormatter(),
            Writers = [new AsyncFileWriter(path) { FlushInterval = TimeSpan.FromSeconds(30) }],
            FlushOnProcessExit = false,
        });
        var logger = pipeline.CreateLogger("Sync");
        const int threads = 4, each = 5_000;
        int checkedLines = 0;
        var workers = Enumerable.Range(0, threads).Select(t => new Thread(() =>
        {
            for (int i = 0; i < each; i++)
            {
                logger.Seq(t, i);
                if (i % 1000 == 999)
                {
                    // what this thread logged is already in the file when its call returned
                    Assert.Contains($"\"Message\":\"T{t} N{i}\"", Read(path));
                    Interlocked.Increment(ref checkedLines);
                }
            }
        })).ToArray();
        foreach (var w in workers) w.Start();
        foreach (var w in workers) w.Join();
        Assert.Equal(threads * 5, checkedLines);
        var lines = Read(path).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var messages = lines.Select(l => System.Text.Json.JsonDocument.Parse(l).RootElement.GetProperty("Message").GetString()!).Where(m => m.StartsWith('T')).ToHashSet();
        Assert.Equal(threads * each, messages.Count);
        await pipeline.DisposeAsync();
        var m = pipeline.GetMetrics().Writers[0];
        Assert.Equal(threads * each, m.Written);
    }

    [Fact]
    public async Task The_callers_argument_capture_allocates_nothing()
    {
        var memory = new InMemoryWriter { Capacity = 10 };
        await using var pipeline = new AsyncPipeline(new AsyncPipelineConfig
        {
            Synchronous = true,
            Formatter = new TextFormatter("{Message}{NewLine}"),
            Writers = [new NullWriter()],
            FlushOnProcessExit = false,
        });
        var logger = pipeline.CreateLogger("Sync");
        for (int i = 0; i < 10_000; i++) logger.OrderFilled(i, 10, 1.5, "MSFT"); // warm: JIT, pools
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 10_000; i++) logger.OrderFilled(i, 10, 1.5, "MSFT");
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        // the whole synchronous call (capture, format, write, flush) on the calling thread
        Assert.True(allocated < 10_000, $"{allocated} bytes for 10,000 synchronous calls");
    }

    /// <summary>A writer that keeps nothing (only for the allocation test: what it costs is the pipeline's own path).</summary>
    private sealed class NullWriter : LogWriter
    {
        protected internal override void Open(WriterContext context) { }
        protected internal override ValueTask WriteAsync(LogBatch batch, CancellationToken cancellationToken) => ValueTask.CompletedTask;
        protected internal override ValueTask FlushAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;
        public override ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }

    /// <summary>A writer that fails (injected: a fake writer is the only way to fail every write on demand) costs a synchronous caller its retries, never an exception, and the other writer still gets every record.</summary>
    [Fact]
    public async Task A_failing_writer_never_throws_into_a_synchronous_call_and_the_others_get_every_record()
    {
        var failing = new TestWriter("failing") { AlwaysFail = true, Retry = new RetryOptions { MaxRetries = 1, InitialDelay = TimeSpan.FromMilliseconds(1), MaxDelay = TimeSpan.FromMilliseconds(2), Jitter = false } };
        var good = new InMemoryWriter();
        await using var pipeline = new AsyncPipeline(new AsyncPipelineConfig
        {
            Synchronous = true,
            Formatter = new TextFormatter("{Message}"),
            Writers = [failing, good],
            FlushOnProcessExit = false,
        });
        var logger = pipeline.CreateLogger("Sync");
        for (int i = 0; i < 50; i++)
        {
            logger.Seq(3, i);
            Assert.Equal($"T3 N{i}", good.Lines[^1]); // written before the call returned, despite the failing neighbour
        }
        var m = pipeline.GetMetrics();
        Assert.Equal(50, m.Writers[1].Written);
        Assert.Equal(0, m.Writers[0].Written);
        Assert.Equal(50, m.Writers[0].Failed + m.Writers[0].Dropped); // failed after its retry, or dropped once its circuit opened
        Assert.Contains(good.Records, r => r.IsInternal && r.Text.Contains("failing", StringComparison.Ordinal)); // reported to the others
    }

    [Fact]
    public async Task Shutdown_of_a_synchronous_pipeline_writes_everything_once()
    {
        var memory = new InMemoryWriter();
        var pipeline = new AsyncPipeline(new AsyncPipelineConfig { Synchronous = true, Writers = [memory], Formatter = new TextFormatter("{Message}"), FlushOnProcessExit = false });
        var logger = pipeline.CreateLogger("Sync");
        for (int i = 0; i < 1000; i++) logger.Seq(1, i);
        Assert.Equal(1000, memory.Lines.Count); // already there
        await pipeline.DisposeAsync();
        Assert.Equal(Enumerable.Range(0, 1000).Select(i => $"T1 N{i}"), memory.Lines);
        logger.Seq(1, 1000); // after shutdown: rejected, never throws
        Assert.Equal(1, pipeline.GetMetrics().LogsRejected);
    }
}

public class WarmUpTests
{
    /// <summary>The start-up warm-up formats synthetic records into scratch space only: no writer sees them, no metric counts them.</summary>
    [Fact]
    public async Task The_start_up_warm_up_reaches_no_writer_and_no_metric()
    {
        var text = new TestWriter("text");
        var json = new TestWriter("json") { Formatter = new JsonFormatter() };
        var pipeline = new AsyncPipeline(new AsyncPipelineConfig { Writers = [text, json], FlushOnProcessExit = false });
        Assert.True(pipeline.Config.WarmUp);
        await pipeline.FlushAllAsync();
        var m = pipeline.GetMetrics();
        Assert.Equal(0, m.LogsProcessed);
        Assert.All(m.Formatters, f => Assert.Equal(0, f.Formatted));
        pipeline.CreateLogger("App").Seq(1, 2);
        await pipeline.DisposeAsync();
        Assert.Equal(["T1 N2"], text.Lines.Where(l => l.Contains("T1")).Select(l => l[(l.IndexOf(": ", StringComparison.Ordinal) + 2)..]));
        Assert.DoesNotContain(text.Lines.Concat(json.Lines), l => l.Contains("Warm", StringComparison.Ordinal) || l.Contains("warm-up", StringComparison.Ordinal));
        Assert.Equal(1, pipeline.GetMetrics().LogsProcessed);
    }
}
