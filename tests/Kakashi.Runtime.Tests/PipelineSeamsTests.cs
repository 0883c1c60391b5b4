using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.Logging;
using Xunit;

namespace Kakashi.Runtime.Tests;

/// <summary>The downstream seams of pipeline v2: per-writer formatters, record-aware batches, delivery confirmation.</summary>
public class PipelineSeamsTests
{
    private static void AssertBooks(WriterMetrics w)
        => Assert.True(w.Received == w.Written + w.Dropped + w.Filtered + w.Failed + w.Queued,
            $"{w.Name}: received {w.Received} != written {w.Written} + dropped {w.Dropped} + filtered {w.Filtered} + failed {w.Failed} + queued {w.Queued}");

    /// <summary>A formatter that counts its calls (and can be told to throw on some records).</summary>
    private sealed class CountingFormatter(string template, Func<int, bool>? failOn = null) : LogFormatter
    {
        private readonly TextFormatter _inner = new(template);
        public int Calls;

        public override void Format(in LogRecord record, ref Utf8Writer output)
        {
            int n = Interlocked.Increment(ref Calls);
            _inner.Format(in record, ref output);
            if (failOn?.Invoke(n) == true)
            {
                output.Write("half a record that must not survive"u8);
                throw new InvalidOperationException("formatter broke");
            }
        }
    }

    [Fact]
    public async Task Each_writer_gets_its_own_format_and_every_record_once()
    {
        using var folder = new TempFolder();
        string text = Path.Combine(folder.Path, "app.log"), tsv = Path.Combine(folder.Path, "app.tsv");
        await using (var pipeline = new AsyncPipeline(new AsyncPipelineConfig
        {
            Formatter = new TextFormatter("{Level:u3} {Message}{NewLine}"),
            Writers = [new AsyncFileWriter(text), new AsyncFileWriter(tsv) { Formatter = new TextFormatter("{EventId}\t{Category}\t{Message}{NewLine}") }],
            FlushOnProcessExit = false,
        }))
        {
            var logger = pipeline.CreateLogger("Orders");
            for (int i = 0; i < 5000; i++) logger.OrderFilled(i, 10, 1.5, "X");
            await pipeline.FlushAllAsync();
            var m = pipeline.GetMetrics();
            Assert.Equal(2, m.Formatters.Count);
            Assert.All(m.Formatters, f => Assert.Equal(5000, f.Formatted));
        }
        var textLines = File.ReadAllLines(text);
        var tsvLines = File.ReadAllLines(tsv);
        Assert.Equal(Enumerable.Range(0, 5000).Select(i => $"INF Order {i} filled 10 at 1.5 for X"), textLines);
        Assert.Equal(Enumerable.Range(0, 5000).Select(i => $"1001\tOrders\tOrder {i} filled 10 at 1.5 for X"), tsvLines);
    }

    [Fact]
    public async Task A_formatter_shared_by_two_writers_formats_each_record_once_and_both_get_the_same_bytes()
    {
        var shared = new CountingFormatter("{Message}{NewLine}");
        var own = new CountingFormatter("[{Message}]{NewLine}");
        var a = new TestWriter("a") { Formatter = shared };
        var b = new TestWriter("b") { Formatter = shared };
        var c = new TestWriter("c") { Formatter = own };
        await using var pipeline = new AsyncPipeline(new AsyncPipelineConfig { Writers = [a, b, c], FlushOnProcessExit = false });
        var logger = pipeline.CreateLogger("App");
        for (int i = 0; i < 3000; i++) logger.Int(i);
        await pipeline.FlushAllAsync();
        Assert.Equal(3000, shared.Calls);
        Assert.Equal(3000, own.Calls);
        var m = pipeline.GetMetrics();
        var sharedMetrics = m.Formatters.Single(f => f.Writers.Contains("a"));
        Assert.Equal(["a", "b"], sharedMetrics.Writers);
        Assert.Equal(3000, sharedMetrics.Formatted);
        Assert.Equal(a.Lines, b.Lines);
        Assert.Equal(Enumerable.Range(0, 3000).Select(i => $"Int {i}"), a.Lines);
        Assert.Equal(Enumerable.Range(0, 3000).Select(i => $"[Int {i}]"), c.Lines);
    }

    [Fact]
    public async Task A_formatter_that_throws_loses_only_its_own_writers_copy_of_the_record_with_no_partial_bytes()
    {
        var failing = new CountingFormatter("{Message}{NewLine}", failOn: n => n % 100 == 0);
        var broken = new TestWriter("broken") { Formatter = failing };
        var fine = new TestWriter("fine");
        await using var pipeline = new AsyncPipeline(new AsyncPipelineConfig
        {
            Formatter = new TextFormatter("{Message}{NewLine}"),
            Writers = [broken, fine],
            FlushOnProcessExit = false,
        });
        var logger = pipeline.CreateLogger("App");
        for (int i = 0; i < 1000; i++) logger.Int(i);
        await pipeline.FlushAllAsync();
        var m = pipeline.GetMetrics();
        Assert.Equal(1000, fine.Lines.Count(l => l.StartsWith("Int ", StringComparison.Ordinal)));
        var brokenLines = broken.Lines.Where(l => l.StartsWith("Int ", StringComparison.Ordinal)).ToList();
        Assert.Equal(990, brokenLines.Count);
        Assert.DoesNotContain(broken.Lines, l => l.Contains("half a record", StringComparison.Ordinal));
        Assert.All(brokenLines, l => Assert.Matches(@"^Int \d+$", l));
        var wb = m.Writers.Single(w => w.Name == "broken");
        var wf = m.Writers.Single(w => w.Name == "fine");
        Assert.Equal(10, wb.Failed);
        Assert.Equal(0, wf.Failed);
        Assert.Equal(1000, wb.Received);
        Assert.Equal(1000, wf.Received);
        AssertBooks(wb);
        AssertBooks(wf);
        Assert.Equal(10, m.Formatters.Single(f => f.Writers.Contains("broken")).Failed);
        Assert.True(m.FormatErrors >= 10);
    }

    /// <summary>Asserts each batch's records against the bytes: record i is exactly one line, with its level.</summary>
    private sealed class RecordAwareWriter : LogWriter
    {
        public readonly ConcurrentQueue<(string Line, LogLevel Level, bool Internal)> Records = new();
        public readonly ConcurrentBag<int> BatchSizes = [];
        public string? Problem;

        protected internal override void Open(WriterContext context)
        {
        }

        protected internal override ValueTask WriteAsync(LogBatch batch, CancellationToken cancellationToken)
        {
            BatchSizes.Add(batch.Count);
            int end = 0;
            for (int i = 0; i < batch.Count; i++)
            {
                var bytes = batch.RecordBytes(i).Span;
                string line = Encoding.UTF8.GetString(bytes);
                if (!line.EndsWith('\n') || line.IndexOf('\n') != line.Length - 1) Problem ??= $"record {i} of a batch of {batch.Count} is not one line: {line}";
                if (batch.RecordEnd(i) != end + bytes.Length) Problem ??= "RecordEnd disagrees with RecordBytes";
                end = batch.RecordEnd(i);
                Records.Enqueue((line, batch.Level(i), batch.IsInternal));
            }
            if (end != batch.Bytes.Length) Problem ??= $"the records cover {end} of {batch.Bytes.Length} bytes";
            return ValueTask.CompletedTask;
        }

        protected internal override ValueTask FlushAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;

        public override ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(5000)]
    [InlineData(40000)]
    public async Task Batches_expose_each_records_bytes_and_level_and_mark_the_pipelines_own_records(int records)
    {
        var writer = new RecordAwareWriter { Backpressure = DropStrategy.Block };
        var failing = new TestWriter("down") { AlwaysFail = true, Retry = new RetryOptions { MaxRetries = 0 } };
        await using var pipeline = new AsyncPipeline(new AsyncPipelineConfig
        {
            MinLevel = LogLevel.Trace,
            Formatter = new TextFormatter("{Level} {Message}{NewLine}"),
            Writers = [writer, failing],
            FlushOnProcessExit = false,
        });
        var logger = pipeline.CreateLogger("App");
        for (int i = 0; i < records; i++) logger.Dynamic((LogLevel)(i % 6), i);
        await pipeline.FlushAllAsync();
        await Task.Delay(200); // the failing writer's report reaches the other writer
        await pipeline.FlushAllAsync();
        Assert.Null(writer.Problem);
        var app = writer.Records.Where(r => !r.Internal).ToList();
        Assert.Equal(records, app.Count);
        for (int i = 0; i < records; i++)
        {
            var level = (LogLevel)(i % 6);
            Assert.Equal($"{level} Dynamic {i}\n", app[i].Line);
            Assert.Equal(level, app[i].Level);
        }
        var own = writer.Records.Where(r => r.Internal).ToList();
        Assert.Contains(own, r => r.Level == LogLevel.Error && r.Line.Contains("Writer down failed", StringComparison.Ordinal));
        if (records >= 5000) Assert.Contains(writer.BatchSizes, n => n > 100); // batches of many records, not one record each
    }

    /// <summary>
    /// A writer that confirms later, as a broker would: it keeps each batch (Retain), and a background loop confirms the
    /// records after a delay, rejecting every 10th.
    /// </summary>
    private sealed class LateConfirmingWriter : LogWriter
    {
        private readonly ConcurrentQueue<LogBatch> _pending = new();
        private readonly CancellationTokenSource _stop = new();
        private Task _loop = Task.CompletedTask;
        public volatile bool Paused;
        public long Confirmed;
        public long Rejected;
        private long _seen;
        public TimeSpan Delay = TimeSpan.FromMilliseconds(5);

        protected internal override bool ConfirmsDelivery => true;

        protected internal override void Open(WriterContext context) => _loop = Task.Run(ConfirmLoop);

        protected internal override ValueTask WriteAsync(LogBatch batch, CancellationToken cancellationToken)
        {
            batch.Retain();
            _pending.Enqueue(batch);
            return ValueTask.CompletedTask;
        }

        private async Task ConfirmLoop()
        {
            while (!_stop.IsCancellationRequested)
            {
                if (Paused || !_pending.TryDequeue(out var batch))
                {
                    await Task.Delay(2).ConfigureAwait(false);
                    continue;
                }
                await Task.Delay(Delay).ConfigureAwait(false);
                for (int i = 0; i < batch.Count; i++)
                {
                    if (!batch.IsInternal && Interlocked.Increment(ref _seen) % 10 == 0)
                    {
                        Context!.Failed(1, i == 0 ? new IOException("rejected by the broker") : null);
                        Interlocked.Increment(ref Rejected);
                    }
                    else
                    {
                        Context!.Delivered(1);
                        if (!batch.IsInternal) Interlocked.Increment(ref Confirmed);
                    }
                }
                batch.Release();
            }
        }

        protected internal override ValueTask FlushAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;

        public override async ValueTask DisposeAsync()
        {
            _stop.Cancel();
            await _loop.ConfigureAwait(false);
            while (_pending.TryDequeue(out var batch)) batch.Release(); // never confirmed: the stage counts them lost
        }
    }

    [Fact]
    public async Task A_writer_that_confirms_later_is_counted_only_as_it_confirms_and_flush_waits_for_it()
    {
        var writer = new LateConfirmingWriter { Backpressure = DropStrategy.Block };
        var pipeline = new AsyncPipeline(new AsyncPipelineConfig { Writers = [writer], FlushOnProcessExit = false });
        var logger = pipeline.CreateLogger("App");
        using var sampling = new CancellationTokenSource();
        int snapshots = 0;
        var sampler = Task.Run(() =>
        {
            while (!sampling.IsCancellationRequested)
            {
                AssertBooks(pipeline.GetMetrics().Writers[0]); // exact at every call, mid-flight included
                snapshots++;
            }
        });
        for (int i = 0; i < 20000; i++)
        {
            logger.Int(i);
            if (i % 5000 == 0) await Task.Yield();
        }
        await pipeline.FlushAllAsync();
        // the flush returned only once every record was confirmed or rejected
        var m = pipeline.GetMetrics().Writers[0];
        Assert.Equal(20000, m.Received);
        Assert.Equal(0, m.Queued);
        Assert.Equal(18000, m.Written);
        Assert.Equal(2000, m.Failed);
        Assert.Equal(18000, Interlocked.Read(ref writer.Confirmed));
        sampling.Cancel();
        await sampler;
        Assert.True(snapshots > 10);

        // outstanding confirmations at dispose: lost, counted failed
        writer.Paused = true;
        for (int i = 0; i < 300; i++) logger.Int(i);
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(500));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => pipeline.FlushAllAsync(cts.Token)); // not confirmed: the flush waits
        var held = pipeline.GetMetrics().Writers[0];
        Assert.Equal(300, held.Queued);
        AssertBooks(held);
        await pipeline.DisposeAsync();
        var end = pipeline.GetMetrics().Writers[0];
        Assert.Equal(20300, end.Received);
        Assert.Equal(0, end.Queued);
        Assert.Equal(2300, end.Failed);
        AssertBooks(end);
    }

    private sealed class Silent : LogFormatter
    {
        public override void Format(in LogRecord record, ref Utf8Writer output)
        {
        }
    }

    [Fact]
    public async Task Records_a_formatter_writes_nothing_for_are_still_delivered_and_counted_in_batches_of_bounded_size()
    {
        var writer = new RecordAwareWriter { Backpressure = DropStrategy.Block, Formatter = new Silent() };
        await using var pipeline = new AsyncPipeline(new AsyncPipelineConfig { Writers = [writer], FlushOnProcessExit = false });
        var logger = pipeline.CreateLogger("App");
        for (int i = 0; i < 20000; i++) logger.Int(i);
        await pipeline.FlushAllAsync();
        var m = pipeline.GetMetrics().Writers[0];
        Assert.Equal(20000, m.Written);
        Assert.Equal(20000, writer.Records.Count(r => !r.Internal));
        Assert.All(writer.BatchSizes, n => Assert.True(n <= LogBatch.DefaultRecords, $"a batch of {n} records"));
    }

    [Fact]
    public void A_batch_released_more_often_than_retained_is_refused()
    {
        var batch = new LogBatch(null, 1024);
        batch.SetReferences(1);
        batch.Retain();
        batch.Release();
        batch.Release();
        Assert.Throws<InvalidOperationException>(() => batch.Release());
        Assert.Throws<InvalidOperationException>(() => batch.Retain());
    }

    [Fact]
    public async Task Observers_see_every_record_and_a_throwing_observer_loses_nothing()
    {
        var metrics = new AsyncMetricsWriter();
        var writer = new TestWriter();
        int seen = 0;
        await using var pipeline = new AsyncPipeline(new AsyncPipelineConfig
        {
            Formatter = new TextFormatter("{Message}{NewLine}"),
            Writers = [writer],
            Observers = [new ThrowingObserver(() => seen++), metrics],
            FlushOnProcessExit = false,
        });
        var logger = pipeline.CreateLogger("App");
        for (int i = 0; i < 100; i++) logger.Int(i);
        await pipeline.FlushAllAsync();
        Assert.Equal(100, seen);
        Assert.Equal(100, metrics.Count(LogLevel.Information)); // the observer after the throwing one still ran
        Assert.Equal(100, writer.Lines.Count);
        Assert.Equal(100, pipeline.GetMetrics().FormatErrors);
    }

    private sealed class ThrowingObserver(Action seen) : IRecordObserver
    {
        public void Observe(in LogRecord record)
        {
            seen();
            throw new InvalidOperationException("observer broke");
        }
    }

    [Fact]
    public async Task Writers_report_their_own_flushes_and_the_pipeline_adds_them_up()
    {
        using var folder = new TempFolder();
        await using var pipeline = new AsyncPipeline(new AsyncPipelineConfig
        {
            Writers = [new AsyncFileWriter(Path.Combine(folder.Path, "a.log")), new AsyncFileWriter(Path.Combine(folder.Path, "b.log")), new TestWriter()],
            FlushOnProcessExit = false,
        });
        pipeline.CreateLogger("App").Int(1);
        await pipeline.FlushAllAsync();
        var m = pipeline.GetMetrics();
        Assert.True(m.Writers[0].Flushes >= 1);
        Assert.True(m.Writers[1].Flushes >= 1);
        Assert.Equal(0, m.Writers[2].Flushes); // the test writer reports none
        Assert.Equal(m.Writers.Sum(w => w.Flushes), m.FlushCount);
        Assert.NotNull(m.LastFlushTime);
        Assert.NotNull(m.Writers[1].LastFlush);
    }
}
