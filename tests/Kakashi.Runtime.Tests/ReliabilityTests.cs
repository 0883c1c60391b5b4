using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.Logging;

namespace Kakashi.Runtime.Tests;

/// <summary>An unmanaged value whose TryFormat never succeeds (a broken user type).</summary>
public readonly struct NeverFits(int value) : IUtf8SpanFormattable, ISpanFormattable
{
    public int Value => value;
    public bool TryFormat(Span<byte> utf8Destination, out int bytesWritten, ReadOnlySpan<char> format, IFormatProvider? provider)
    {
        bytesWritten = 0;
        return false;
    }
    public bool TryFormat(Span<char> destination, out int charsWritten, ReadOnlySpan<char> format, IFormatProvider? provider)
    {
        charsWritten = 0;
        return false;
    }
    public string ToString(string? format, IFormatProvider? formatProvider) => "never";
}

/// <summary>An unmanaged value whose TryFormat throws.</summary>
public readonly struct ThrowsOnFormat(int value) : IUtf8SpanFormattable, ISpanFormattable
{
    public int Value => value;
    public bool TryFormat(Span<byte> utf8Destination, out int bytesWritten, ReadOnlySpan<char> format, IFormatProvider? provider)
        => throw new InvalidOperationException("TryFormat failed");
    public bool TryFormat(Span<char> destination, out int charsWritten, ReadOnlySpan<char> format, IFormatProvider? provider)
        => throw new InvalidOperationException("TryFormat failed");
    public string ToString(string? format, IFormatProvider? formatProvider) => "throws";
}

/// <summary>An exception whose ToString throws.</summary>
public sealed class ToStringThrowsException() : Exception("bad")
{
    public override string ToString() => throw new InvalidOperationException("ToString failed");
}

public static partial class HostileLog
{
    [KakashiLog(LogLevel.Information, "F [{Val}]")] public static partial void Never(this KakashiLogger logger, NeverFits val);
    [KakashiLog(LogLevel.Information, "T [{Val}]")] public static partial void Throws(this KakashiLogger logger, ThrowsOnFormat val);
    [KakashiLog(LogLevel.Information, "Price {Price:Q2}")] public static partial void BadNumberFormat(this KakashiLogger logger, double price);
    [KakashiLog(LogLevel.Information, "At {At:yyyy-MM-dd %}")] public static partial void BadDateFormat(this KakashiLogger logger, DateTime at);
    [KakashiLog(LogLevel.Error, "Failed {Error}")] public static partial void ExceptionInHole(this KakashiLogger logger, Exception error);
    [KakashiLog(LogLevel.Information, "MARK {N}")] public static partial void Mark(this KakashiLogger logger, int n);
}

/// <summary>Defects found by fault injection (issue 7), each proven fixed against the real fault where one can be made.</summary>
public class ReliabilityTests
{
    internal static string ProbePath => typeof(ReliabilityTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "ExitProbe").Value!;

    private static string NewFolder() => Path.Combine(Path.GetTempPath(), "kakashi-tests", Guid.NewGuid().ToString("N"));

    internal static void AssertBooks(WriterMetrics w) => Assert.Equal(w.Received, w.Written + w.Dropped + w.Filtered + w.Failed + w.Queued);

    internal static async Task WaitUntil(Func<bool> condition, int seconds = 30)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > TimeSpan.FromSeconds(seconds)) throw new TimeoutException("condition not reached");
            await Task.Delay(20);
        }
    }

    // 1 ----------------------------------------------------------------------------------------------------------------

    [Fact]
    public async Task Two_strings_whose_sizes_overflow_an_int_are_truncated_not_a_crash()
    {
        using var temp = new TempFolder();
        string folder = temp.Path;
        string log = Path.Combine(folder, "huge.log");
        var start = new ProcessStartInfo("dotnet", [ProbePath, log, "0", "huge"]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(start)!;
        string stdout = await process.StandardOutput.ReadToEndAsync();
        string stderr = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(120));
        Assert.True(process.ExitCode == 0, $"exit {process.ExitCode}: {stderr}"); // 139 (SIGSEGV) before the fix
        Assert.Contains("truncated=1", stdout);
        var lines = File.ReadAllLines(log);
        Assert.Equal(2, lines.Length);
        Assert.StartsWith("Two ", lines[0]);
        Assert.Contains("…[truncated]", lines[0]);
        Assert.True(lines[0].Length < 1024 * 1024, "cut to the ring's half (1 MiB buffer)");
        Assert.Equal("record 1", lines[1]);
    }

    // 2, 3 -------------------------------------------------------------------------------------------------------------

    [Fact]
    public async Task A_value_that_never_fits_is_marked_and_the_drain_goes_on()
    {
        await using var log = new TempLog("{Category}: {Message}{NewLine}");
        log.Logger.Never(new NeverFits(1));
        log.Logger.Mark(1);
        await log.Pipeline.FlushAllAsync().WaitAsync(TimeSpan.FromSeconds(20)); // never completed before the fix
        var lines = TempLog.AppLines(log.ReadFile().TrimEnd('\n').Split('\n'));
        Assert.Equal(["Test: F [{Val format failed: no output fits}]", "Test: MARK 1"], lines);
        var m = log.Pipeline.GetMetrics();
        Assert.Equal(1, m.FormatErrors);
        Assert.Equal(m.LogsAccepted, m.Writers[0].Received);
        AssertBooks(m.Writers[0]);
    }

    [Fact]
    public async Task Holes_that_throw_leave_whole_records_with_a_marker()
    {
        await using var log = new TempLog("{Category}: {Message}{NewLine}{Exception}");
        var at = new DateTime(2026, 12, 1, 10, 0, 0, DateTimeKind.Utc);
        log.Logger.Throws(new ThrowsOnFormat(1));
        log.Logger.Mark(1);
        log.Logger.BadNumberFormat(1.5);
        log.Logger.Mark(2);
        log.Logger.BadDateFormat(at);
        log.Logger.Mark(3);
        log.Logger.ExceptionInHole(new ToStringThrowsException());
        log.Logger.Mark(4);
        log.Logger.Failed("x", new ToStringThrowsException()); // {Exception} after the message
        log.Logger.Mark(5);
        var lines = await log.ReadLinesAsync();
        Assert.Equal(
        [
            "Test: T [{Val format failed: InvalidOperationException}]",
            "Test: MARK 1",
            "Test: Price {Price:Q2 format failed: FormatException}",
            "Test: MARK 2",
            "Test: At {At:yyyy-MM-dd % format failed: FormatException}",
            "Test: MARK 3",
            "Test: Failed Kakashi.Runtime.Tests.ToStringThrowsException: (ToString failed: InvalidOperationException)",
            "Kakashi.Runtime.Tests.ToStringThrowsException: (ToString failed: InvalidOperationException)", // {Exception}
            "Test: MARK 4",
            "Test: Failed x",
            "Kakashi.Runtime.Tests.ToStringThrowsException: (ToString failed: InvalidOperationException)",
            "Test: MARK 5",
        ], lines);
        var m = log.Pipeline.GetMetrics();
        Assert.Equal(6, m.FormatErrors);
        Assert.Equal(10, m.LogsAccepted);
        Assert.Equal(m.LogsAccepted, m.Writers[0].Received); // differed before the fix
        Assert.Equal(10, m.Writers[0].Written);
    }

    private sealed class ThrowingFormatter : LogFormatter
    {
        private readonly TextFormatter _inner = new("{Message}{NewLine}");

        public override void Format(in LogRecord record, ref Utf8Writer output)
        {
            _inner.Format(in record, ref output);
            if (record.GetMessage() == "MARK 2") throw new InvalidOperationException("formatter failed after writing");
        }
    }

    [Fact]
    public async Task A_formatter_that_throws_leaves_no_partial_record_and_the_record_is_counted_failed()
    {
        await using var log = new TempLog(configure: c => c.Formatter = new ThrowingFormatter());
        for (int i = 1; i <= 3; i++) log.Logger.Mark(i);
        var lines = await log.ReadLinesAsync();
        Assert.Equal(["MARK 1", "MARK 3"], lines); // the bytes it wrote for MARK 2 were taken back
        var w = log.Pipeline.GetMetrics().Writers[0];
        Assert.Equal(3, w.Received);
        Assert.Equal(2, w.Written);
        Assert.Equal(1, w.Failed);
        AssertBooks(w);
    }

    // 4 ----------------------------------------------------------------------------------------------------------------

    [Fact]
    public async Task Dev_full_counts_nothing_as_written()
    {
        if (!File.Exists("/dev/full")) return;
        var writer = new AsyncFileWriter("/dev/full") { Retry = new RetryOptions { MaxRetries = 0 } };
        var pipeline = new AsyncPipeline(new AsyncPipelineConfig { Writers = [writer], FlushOnProcessExit = false, ShutdownTimeout = TimeSpan.FromSeconds(2) });
        var logger = pipeline.CreateLogger("App");
        for (int i = 0; i < 1000; i++) logger.Mark(i);
        await pipeline.FlushAllAsync().WaitAsync(TimeSpan.FromSeconds(20));
        var during = pipeline.GetMetrics().Writers[0];
        AssertBooks(during);
        Assert.Equal(0, during.Written); // "written=1000 failed=0" before the fix
        await pipeline.DisposeAsync();
        var w = pipeline.GetMetrics().Writers[0];
        Assert.Equal(0, w.Written);
        Assert.Equal(1000, w.Received);
        Assert.Equal(1000, w.Failed + w.Dropped);
        AssertBooks(w);
    }

    /// <summary>A real full disk: a 4 MiB tmpfs (CI runs as root). Where mounting is refused, /dev/full above covers the failing path.</summary>
    [Fact]
    public async Task A_full_disk_then_freed_space_writes_each_record_at_most_once_and_counts_true()
    {
        string mount = NewFolder();
        Directory.CreateDirectory(mount);
        if (!Mount(mount))
        {
            Directory.Delete(mount);
            return; // not root, or no tmpfs: Dev_full_counts_nothing_as_written still runs
        }
        try
        {
            string filler = Path.Combine(mount, "filler");
            File.WriteAllBytes(filler, new byte[3 * 1024 * 1024]); // 1 MiB left: the first 10,000 records (1.9 MB) fill it
            string path = Path.Combine(mount, "app.log");
            var writer = new AsyncFileWriter(path)
            {
                // the default batch size: batches are copied into the writer's buffer (a retry copied them again before the fix)
                FlushInterval = TimeSpan.FromMilliseconds(20),
                Retry = new RetryOptions { MaxRetries = 2, InitialDelay = TimeSpan.FromMilliseconds(10), MaxDelay = TimeSpan.FromMilliseconds(50), Jitter = false },
                CircuitBreaker = new CircuitBreakerOptions { FailureThreshold = 1000, BreakDuration = TimeSpan.FromSeconds(1) },
            };
            var pipeline = new AsyncPipeline(new AsyncPipelineConfig
            {
                Formatter = new TextFormatter("{Message}{NewLine}"),
                Writers = [writer],
                FlushOnProcessExit = false,
                ShutdownTimeout = TimeSpan.FromSeconds(10),
            });
            var logger = pipeline.CreateLogger("App");
            string pad = new('p', 180);
            for (int i = 0; i < 20_000; i++) logger.Line(i, pad); // 3.8 MB into 1 MiB of free space
            await pipeline.FlushAllAsync().WaitAsync(TimeSpan.FromSeconds(30));
            AssertBooks(pipeline.GetMetrics().Writers[0]);
            File.Delete(filler); // free 3 MiB: room for what the writer holds (at most 4 batch sizes) and what follows
            // what was buffered while the disk was full goes out once there is room
            await WaitUntil(() =>
            {
                pipeline.FlushAllAsync().Wait(TimeSpan.FromSeconds(5));
                var w = pipeline.GetMetrics().Writers[0];
                AssertBooks(w);
                return w.Queued == 0;
            });
            for (int i = 20_000; i < 22_000; i++) logger.Line(i, pad); // and logging goes on as before
            await pipeline.FlushAllAsync().WaitAsync(TimeSpan.FromSeconds(30));
            await pipeline.DisposeAsync();
            var m = pipeline.GetMetrics().Writers[0];
            var all = File.ReadAllLines(path);
            // the pipeline's own records (buffer warnings, the writer's failures reported to itself once it recovered) aside,
            // every line is one whole record
            Assert.All(all.Where(l => !l.StartsWith('L')), l => Assert.Matches("^(Buffer |Dropped |Writer )", l));
            var lines = all.Where(l => l.StartsWith('L')).ToArray();
            var ids = lines.Select(l =>
            {
                Assert.Matches("^L[0-9]+ p{180}$", l); // no torn or glued lines
                return int.Parse(l.AsSpan(1, l.IndexOf(' ') - 1), CultureInfo.InvariantCulture);
            }).ToList();
            Assert.Equal(ids.Count, ids.Distinct().Count()); // each record at most once (records appeared four times before the fix)
            Assert.Equal(m.Written, lines.Length); // written is exactly what is in the file
            Assert.Equal(22_000, m.Received);
            Assert.Equal(22_000, m.Written + m.Failed + m.Dropped);
            Assert.Equal(Enumerable.Range(20_000, 2_000), ids.Where(id => id >= 20_000)); // after space came back, nothing was lost
            Assert.True(m.Failed + m.Dropped > 0, "the disk was full for a while");
            for (int i = 1; i < ids.Count; i++) Assert.True(ids[i] > ids[i - 1], "in order");
            var totals = pipeline.GetMetrics();
            Assert.Equal(0, totals.LogsDropped); // the callers' rings dropped nothing: the failing writer did
            // a failing file writer stops blocking: the callers did not sit out the full disk (951 ms calls, 30 s blocked before)
            Assert.True(totals.BlockedTime < TimeSpan.FromSeconds(1), $"callers blocked {totals.BlockedTime}");
        }
        finally
        {
            Unmount(mount);
        }
    }

    internal static bool Mount(string folder)
    {
        if (!OperatingSystem.IsLinux() || Environment.UserName != "root") return false;
        using var mount = Process.Start(new ProcessStartInfo("mount", ["-t", "tmpfs", "-o", "size=4m", "tmpfs", folder]) { RedirectStandardError = true })!;
        mount.WaitForExit();
        return mount.ExitCode == 0;
    }

    internal static void Unmount(string folder)
    {
        using (var umount = Process.Start(new ProcessStartInfo("umount", [folder]) { RedirectStandardError = true })!) umount.WaitForExit();
        try { Directory.Delete(folder, recursive: true); } catch (IOException) { }
    }

    // 5 ----------------------------------------------------------------------------------------------------------------

    [Fact]
    public async Task Two_writers_on_one_file_append_every_record()
    {
        using var temp = new TempFolder();
        string folder = temp.Path;
        string path = Path.Combine(folder, "shared.log");
        var pipeline = new AsyncPipeline(new AsyncPipelineConfig
        {
            Formatter = new TextFormatter("{Message}{NewLine}"),
            Writers = [new AsyncFileWriter(path) { BatchSize = 8192 }, new AsyncFileWriter(path) { BatchSize = 8192 }],
            FlushOnProcessExit = false,
        });
        var logger = pipeline.CreateLogger("App");
        for (int i = 0; i < 200_000; i++) logger.Mark(i);
        await pipeline.DisposeAsync();
        var all = File.ReadAllLines(path);
        var lines = all.Where(l => l.StartsWith("MARK ", StringComparison.Ordinal)).ToArray();
        Assert.Equal(400_000, lines.Length); // 200,001 lines before the fix
        Assert.All(TempLog.AppLines(all), l => Assert.StartsWith("MARK ", l)); // nothing torn or glued
        Assert.Equal(400_000, pipeline.GetMetrics().Writers.Sum(w => w.Written));
    }

    [Fact]
    public async Task Two_processes_append_to_one_file_without_losing_lines()
    {
        using var temp = new TempFolder();
        string folder = temp.Path;
        string path = Path.Combine(folder, "shared.log");
        Directory.CreateDirectory(folder);
        var a = Process.Start(new ProcessStartInfo("dotnet", [ProbePath, path, "100000", "append", "A"]))!;
        var b = Process.Start(new ProcessStartInfo("dotnet", [ProbePath, path, "100000", "append", "B"]))!;
        await Task.WhenAll(a.WaitForExitAsync(), b.WaitForExitAsync()).WaitAsync(TimeSpan.FromSeconds(120));
        Assert.Equal(0, a.ExitCode);
        Assert.Equal(0, b.ExitCode);
        var lines = TempLog.AppLines(File.ReadAllLines(path)); // without the pipelines' own buffer warnings
        Assert.Equal(200_000, lines.Length); // process 1 lost everything before the fix
        foreach (string prefix in new[] { "A", "B" })
        {
            var mine = lines.Where(l => l.StartsWith(prefix + " ", StringComparison.Ordinal)).Select(l => int.Parse(l.AsSpan(2), CultureInfo.InvariantCulture)).ToList();
            Assert.Equal(Enumerable.Range(0, 100_000), mine);
        }
        a.Dispose();
        b.Dispose();
    }

    [Fact]
    public async Task A_file_truncated_while_logging_is_continued_at_its_new_end_without_a_hole()
    {
        using var temp = new TempFolder();
        string folder = temp.Path;
        string path = Path.Combine(folder, "truncated.log");
        var pipeline = new AsyncPipeline(new AsyncPipelineConfig
        {
            Formatter = new TextFormatter("{Message}{NewLine}"),
            Writers = [new AsyncFileWriter(path) { BatchSize = 8192 }],
            FlushOnProcessExit = false,
        });
        var logger = pipeline.CreateLogger("App");
        for (int i = 0; i < 50_000; i++) logger.Mark(i);
        await pipeline.FlushAllAsync();
        using (var truncate = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite)) truncate.SetLength(0); // copytruncate
        for (int i = 50_000; i < 60_000; i++) logger.Mark(i);
        await pipeline.DisposeAsync();
        var bytes = File.ReadAllBytes(path);
        Assert.DoesNotContain((byte)0, bytes); // 88,890 NUL bytes before the fix
        var lines = Encoding.UTF8.GetString(bytes).TrimEnd('\n').Split('\n');
        Assert.Equal(Enumerable.Range(50_000, 10_000).Select(i => $"MARK {i}"), lines);
    }

    // 6 ----------------------------------------------------------------------------------------------------------------

    private sealed class HangingWriter : LogWriter
    {
        public bool HangWrites { get; init; }
        public bool HangFlushes { get; init; }
        public int Writes;

        protected internal override void Open(WriterContext context)
        {
        }

        protected internal override ValueTask WriteAsync(LogBatch batch, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref Writes);
            if (HangWrites) Thread.Sleep(TimeSpan.FromSeconds(8)); // ignores cancellation, like a wedged NFS write
            return ValueTask.CompletedTask;
        }

        protected internal override ValueTask FlushAsync(CancellationToken cancellationToken)
        {
            if (HangFlushes) Thread.Sleep(TimeSpan.FromSeconds(8));
            return ValueTask.CompletedTask;
        }

        public override ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }

    [Theory]
    [InlineData(true, false)]
    [InlineData(false, true)]
    public async Task FlushAllAsync_completes_within_the_write_timeout_when_a_writer_hangs(bool hangWrites, bool hangFlushes)
    {
        var good = new TestWriter("good");
        var hung = new HangingWriter { HangWrites = hangWrites, HangFlushes = hangFlushes, WriteTimeout = TimeSpan.FromMilliseconds(500) };
        var pipeline = new AsyncPipeline(new AsyncPipelineConfig { Writers = [good, hung], FlushOnProcessExit = false, ShutdownTimeout = TimeSpan.FromSeconds(1) });
        var logger = pipeline.CreateLogger("App");
        logger.Mark(1);
        var clock = Stopwatch.StartNew();
        // called before the hang is detected: it used to wait behind the hung call forever
        await pipeline.FlushAllAsync().WaitAsync(TimeSpan.FromSeconds(6));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"flush took {clock.Elapsed}");
        Assert.Contains(good.Lines, l => l.EndsWith("MARK 1", StringComparison.Ordinal));
        await pipeline.DisposeAsync();
    }

    // 7 ----------------------------------------------------------------------------------------------------------------

    private sealed class PlainWriter : LogWriter
    {
        public TimeSpan Delay { get; init; }
        public bool Hang { get; init; }

        protected internal override void Open(WriterContext context)
        {
        }

        protected internal override async ValueTask WriteAsync(LogBatch batch, CancellationToken cancellationToken)
        {
            if (Hang) Thread.Sleep(TimeSpan.FromSeconds(30));
            if (Delay > TimeSpan.Zero) await Task.Delay(Delay, CancellationToken.None);
        }

        protected internal override ValueTask FlushAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;

        public override ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }

    [Fact]
    public void Defaults_block_for_files_and_never_reach_the_callers_for_other_writers()
    {
        Assert.Equal(DropStrategy.Block, new AsyncFileWriter("x.log").Backpressure);
        Assert.Equal(DropStrategy.DropOldest, new PlainWriter().Backpressure);
        Assert.Equal(TimeSpan.FromSeconds(5), new PlainWriter().WriteTimeout);
        Assert.Equal(TimeSpan.FromSeconds(5), new AsyncFileWriter("x.log").WriteTimeout);
    }

    [Theory]
    [InlineData(false)] // a writer taking 50 ms per batch (throttled every caller to ~74k records/s before)
    [InlineData(true)]  // a writer whose write never returns (held one call for 30.9 s before)
    public async Task A_slow_or_hung_writer_with_default_settings_never_holds_the_callers(bool hang)
    {
        string folder = NewFolder();
        var writer = hang ? new PlainWriter { Hang = true } : new PlainWriter { Delay = TimeSpan.FromMilliseconds(50) };
        var pipeline = new AsyncPipeline(new AsyncPipelineConfig
        {
            Formatter = new TextFormatter("{Message}{NewLine}"),
            Writers = [new AsyncFileWriter(Path.Combine(folder, "app.log")), writer],
            BufferSize = 64 * 1024,
            FlushOnProcessExit = false,
            ShutdownTimeout = TimeSpan.FromSeconds(1),
        });
        try
        {
            var logger = pipeline.CreateLogger("App");
            for (int i = 0; i < 500_000; i++) logger.Mark(i);
            await pipeline.FlushAllAsync().WaitAsync(TimeSpan.FromSeconds(30));
            var m = pipeline.GetMetrics();
            Assert.Equal(500_000, m.Writers[0].Written); // the file has everything
            Assert.True(m.Writers[1].Dropped > 0, "the slow writer lost batches, counted");
            AssertBooks(m.Writers[1]);
            // the callers waited only while the file writer (not the slow one) was behind: at most a few ring-fulls
            Assert.True(m.BlockedTime < TimeSpan.FromSeconds(2), $"callers blocked {m.BlockedTime}");
        }
        finally
        {
            await pipeline.DisposeAsync();
            try { Directory.Delete(folder, recursive: true); } catch (IOException) { }
        }
    }

    [Fact]
    public async Task Shutdown_finishes_within_its_timeout_behind_a_blocking_writer_stuck_inside_a_long_write_timeout()
    {
        // Block policy, a write that never returns, and a WriteTimeout (1 h) far past the shutdown timeout: the full stage
        // holds the drain until shutdown is overdue, then drops (counted) so the final drain and the other writers finish
        var stuck = new PlainWriter { Hang = true, Backpressure = DropStrategy.Block, WriteTimeout = TimeSpan.FromHours(1), QueueLimit = 64 * 1024 };
        var good = new TestWriter("good");
        var pipeline = new AsyncPipeline(new AsyncPipelineConfig
        {
            Formatter = new TextFormatter("{Message}{NewLine}"),
            Writers = [good, stuck],
            ShutdownTimeout = TimeSpan.FromMilliseconds(500),
            FlushOnProcessExit = false,
        });
        var logger = pipeline.CreateLogger("App");
        var producer = Task.Run(() =>
        {
            for (int i = 0; i < 100_000 && pipeline.IsAccepting; i++) logger.Mark(i);
        });
        await Task.Delay(300);
        var clock = Stopwatch.StartNew();
        await pipeline.DisposeAsync();
        await producer;
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(3), $"shutdown took {clock.Elapsed}");
        var m = pipeline.GetMetrics();
        Assert.Equal(0, m.LogsQueued); // the final drain finished
        Assert.Equal(m.LogsAccepted, m.Writers[0].Written); // the good writer got every record
        Assert.Equal(m.LogsAccepted, good.Lines.Count(l => l.StartsWith("MARK", StringComparison.Ordinal)));
    }

    // 8, 9 -------------------------------------------------------------------------------------------------------------

    [Theory]
    [InlineData(30.0 * 24 * 3600)]
    [InlineData(-1.0)]
    public void A_shutdown_timeout_out_of_range_is_rejected_at_setup(double seconds)
    {
        var config = new AsyncPipelineConfig
        {
            Writers = [new TestWriter()],
            ShutdownTimeout = seconds < 0 ? TimeSpan.MaxValue : TimeSpan.FromSeconds(seconds),
            FlushOnProcessExit = false,
        };
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new AsyncPipeline(config));
        Assert.Equal("ShutdownTimeout", e.ParamName);
        Assert.Contains("1 hour", e.Message);
    }

    [Fact]
    public async Task Dispose_with_the_longest_shutdown_timeout_neither_throws_nor_waits_it_out()
    {
        var pipeline = new AsyncPipeline(new AsyncPipelineConfig { Writers = [new TestWriter()], ShutdownTimeout = AsyncPipelineConfig.MaxShutdownTimeout, FlushOnProcessExit = false });
        pipeline.CreateLogger("App").Mark(1);
        pipeline.Dispose(); // ArgumentOutOfRangeException into the caller, and exit 134, with 30 days before the fix
        await pipeline.DisposeAsync();
        Assert.Equal(1, pipeline.GetMetrics().Writers[0].Written);
    }

    [Fact]
    public async Task Writer_options_are_validated_before_anything_opens_and_a_failed_setup_closes_what_it_opened()
    {
        string folder = NewFolder();
        string path = Path.Combine(folder, "app.log");
        var file = new AsyncFileWriter(path);
        var bad = new TestWriter { WriteTimeout = TimeSpan.FromDays(2) };
        var config = new AsyncPipelineConfig { Writers = [file, bad], FlushOnProcessExit = false };
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new AsyncPipeline(config));
        Assert.Equal("Writers[1].WriteTimeout", e.ParamName);
        config.Writers = [file, new TestWriter { Retry = new RetryOptions { MaxDelay = TimeSpan.FromDays(2) } }];
        Assert.Equal("Writers[1].Retry.MaxDelay", Assert.Throws<ArgumentOutOfRangeException>(() => new AsyncPipeline(config)).ParamName);
        config.Writers = [new TestWriter { CircuitBreaker = new CircuitBreakerOptions { BreakDuration = TimeSpan.FromDays(3) } }];
        Assert.Equal("Writers[0].CircuitBreaker.BreakDuration", Assert.Throws<ArgumentOutOfRangeException>(() => new AsyncPipeline(config)).ParamName);

        // a writer that fails to open (after the file writer opened) leaves the file writer closed and reusable
        config.Writers = [file, new AsyncFileWriter("/proc/kakashi-cannot-write-here/x.log")];
        Assert.ThrowsAny<IOException>(() => new AsyncPipeline(config));
        config.Writers = [file];
        await using (var pipeline = new AsyncPipeline(config)) // "already open" before the fix
        {
            pipeline.CreateLogger("App").Mark(7);
        }
        Assert.Equal(["MARK 7"], TempLog.AppLines(File.ReadAllLines(path)).Select(l => l[(l.IndexOf("MARK", StringComparison.Ordinal))..]).ToArray());
        Directory.Delete(folder, recursive: true);
    }

    // 10, 11 -----------------------------------------------------------------------------------------------------------

    /// <summary>
    /// 8 threads log while DisposeAsync runs, for enough rounds to catch a producer preempted between its level check and
    /// its publish on 2 cores (16–19 of 60 rounds lost records before the fix).
    /// </summary>
    [Fact]
    public async Task Records_accepted_while_dispose_races_the_loggers_are_all_written()
    {
        for (int round = 0; round < 60; round++)
        {
            var writer = new TestWriter();
            var pipeline = new AsyncPipeline(new AsyncPipelineConfig
            {
                Formatter = new TextFormatter("{Message}{NewLine}"),
                Writers = [writer],
                FlushOnProcessExit = false, // the default 1 MiB rings: producers run the fast path, not waiting for space
            });
            var logger = pipeline.CreateLogger("App");
            var start = new ManualResetEventSlim(false);
            bool stop = false;
            var threads = new Thread[8];
            for (int t = 0; t < threads.Length; t++)
            {
                int id = t;
                threads[t] = new Thread(() =>
                {
                    start.Wait();
                    // the threads go on logging through the dispose and after it (rejected calls), competing for the 2 cores:
                    // a thread preempted inside a call can stay off the CPU for milliseconds
                    for (long i = 0; !Volatile.Read(ref stop); i++) logger.Seq(id, i);
                });
                threads[t].Start();
            }
            start.Set();
            Thread.Sleep(2 + round % 5);
            await pipeline.DisposeAsync();
            Volatile.Write(ref stop, true);
            foreach (var t in threads) t.Join();
            var m = pipeline.GetMetrics();
            var lines = writer.Lines.Where(l => l.StartsWith('T')).ToList(); // without the pipeline's own buffer warnings
            Assert.Equal(0, m.LogsLost);
            Assert.Equal(m.LogsAccepted, lines.Count); // every accepted record was written
            Assert.Equal(m.LogsAccepted, m.Writers[0].Written);
            Assert.Equal(m.LogsAccepted, m.LogsProcessed + m.LogsFiltered + m.LogsDropped + m.LogsQueued + m.LogsLost);
            for (int t = 0; t < threads.Length; t++)
            {
                // each thread's records are its whole sequence from 0, in order, with nothing missing at the tail
                var mine = lines.Where(l => l.StartsWith($"T{t} ", StringComparison.Ordinal)).Select(l => long.Parse(l.AsSpan(l.IndexOf('N') + 1), CultureInfo.InvariantCulture)).ToList();
                for (int i = 0; i < mine.Count; i++) Assert.Equal(i, mine[i]);
            }
        }
    }

    [Fact]
    public async Task The_books_balance_at_every_snapshot_with_a_batch_in_flight()
    {
        var writer = new PlainWriter { Delay = TimeSpan.FromMilliseconds(20) };
        await using var pipeline = new AsyncPipeline(new AsyncPipelineConfig
        {
            Writers = [writer],
            BufferSize = 64 * 1024,
            FlushOnProcessExit = false,
        });
        var logger = pipeline.CreateLogger("App");
        using var stop = new CancellationTokenSource();
        var producer = Task.Run(() =>
        {
            for (int i = 0; i < 300_000; i++) logger.Mark(i);
        });
        int snapshots = 0, inFlight = 0;
        var clock = Stopwatch.StartNew();
        while ((!producer.IsCompleted || snapshots < 200 || inFlight == 0) && clock.Elapsed < TimeSpan.FromSeconds(20))
        {
            var w = pipeline.GetMetrics().Writers[0];
            AssertBooks(w); // received=100000 while the buckets summed to 97,953 before the fix
            if (w.InFlight > 0) inFlight++;
            snapshots++;
        }
        await pipeline.FlushAllAsync();
        AssertBooks(pipeline.GetMetrics().Writers[0]);
        Assert.True(inFlight > 0, "some snapshots saw a batch in flight");
    }

    // gaps ---------------------------------------------------------------------------------------------------------------

    [Fact]
    public async Task Line_breaks_in_category_and_scope_names_cannot_forge_a_line()
    {
        await using var log = new TempLog("{Category}: {Message} {Properties}{NewLine}", configure: c => c.Enrichers.Add(new ScopeEnricher()));
        var forged = log.Pipeline.CreateLogger("App\n2026-12-01 [Critical] Admin: password reset\r\u001b[31m");
        using (forged.BeginScope("Req\nId = 1\u2028", 42)) forged.Mark(1);
        var lines = await log.ReadLinesAsync();
        Assert.Equal([@"App\n2026-12-01 [Critical] Admin: password reset\r\u001b[31m: MARK 1 Req\nId___1\u2028=42"], lines);
        Assert.Equal("App\n2026-12-01 [Critical] Admin: password reset\r\u001b[31m", forged.Category); // the category itself is kept as given
    }

    [Fact]
    public async Task New_files_are_created_0640_and_the_mode_is_configurable()
    {
        if (!OperatingSystem.IsLinux()) return;
        using var temp = new TempFolder();
        string folder = temp.Path;
        string a = Path.Combine(folder, "a.log"), b = Path.Combine(folder, "b.log");
        await using (var pipeline = new AsyncPipeline(new AsyncPipelineConfig
        {
            Writers = [new AsyncFileWriter(a), new AsyncFileWriter(b) { UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite }],
            FlushOnProcessExit = false,
        }))
        {
            pipeline.CreateLogger("App").Mark(1);
        }
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead, File.GetUnixFileMode(a));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(b));
    }

    [Fact]
    public void A_symlink_owned_by_another_user_is_refused_and_ones_own_is_followed()
    {
        if (!OperatingSystem.IsLinux() || Environment.UserName != "root") return; // making a link owned by another user needs root
        string folder = NewFolder();
        Directory.CreateDirectory(folder);
        try
        {
            string target = Path.Combine(folder, "secret");
            File.WriteAllText(target, "");
            string link = Path.Combine(folder, "app.log");
            File.CreateSymbolicLink(link, target);
            using (var chown = Process.Start("chown", ["-h", "65534:65534", link])) chown.WaitForExit();
            var config = new AsyncPipelineConfig { Writers = [new AsyncFileWriter(link)], FlushOnProcessExit = false };
            var e = Assert.Throws<UnauthorizedAccessException>(() => new AsyncPipeline(config));
            Assert.Contains("symbolic link owned by user 65534", e.Message);

            string own = Path.Combine(folder, "own.log");
            File.CreateSymbolicLink(own, target); // owned by this user (root): followed
            using (var pipeline = new AsyncPipeline(new AsyncPipelineConfig { Formatter = new TextFormatter("{Message}{NewLine}"), Writers = [new AsyncFileWriter(own)], FlushOnProcessExit = false }))
            {
                pipeline.CreateLogger("App").Mark(3);
            }
            Assert.Equal("MARK 3\n", File.ReadAllText(target));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}

public static partial class DiskLog
{
    [KakashiLog(LogLevel.Information, "L{Id} {Pad}")]
    public static partial void Line(this KakashiLogger logger, int id, string pad);
}

/// <summary>What the generated code does, by hand, so a test can hold a record open across a shutdown.</summary>
public class LostAtShutdownTests
{
    private static readonly Kakashi.Templates.LogTemplate Template = Kakashi.Templates.TemplateRegistry.Shared.Register(new(
        "LostAtShutdownTests.Value", LogLevel.Information, 0, null, "Value {V}",
        [Kakashi.Templates.TemplateSegment.Literal("Value "), Kakashi.Templates.TemplateSegment.Hole("V", 0)],
        [new Kakashi.Templates.TemplateArg("v", Kakashi.Templates.ArgType.Int32)]));

    [Fact]
    public async Task A_record_still_open_when_shutdown_gives_up_on_it_is_counted_lost_not_dropped_silently()
    {
        var writer = new TestWriter();
        var pipeline = new AsyncPipeline(new AsyncPipelineConfig
        {
            Formatter = new TextFormatter("{Message}{NewLine}"),
            Writers = [writer],
            ShutdownTimeout = TimeSpan.FromMilliseconds(200),
            FlushOnProcessExit = false,
        });
        var logger = pipeline.CreateLogger("App");
        logger.Mark(1);
        // written before shutdown begins: with a 200 ms ShutdownTimeout, a writer loop the thread pool schedules late on a
        // loaded machine could otherwise be abandoned at close with it (what this test checks is the open record below)
        await pipeline.FlushAllAsync().WaitAsync(TimeSpan.FromSeconds(30));
        // a thread inside a logging call (claimed, not yet published) when shutdown begins, and kept there past the timeout
        var record = logger.BeginRecord(Template, LogLevel.Information, sizeof(int));
        Assert.True(record.IsActive);
        var clock = Stopwatch.StartNew();
        pipeline.Dispose(); // waits for the open record up to ShutdownTimeout, then gives up on it
        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(150), $"shutdown did not wait for the open record ({clock.Elapsed})");
        record.Write(7);
        record.Commit(); // published after the drain ended: nobody will write it
        var m = pipeline.GetMetrics();
        Assert.Equal(2, m.LogsAccepted);
        Assert.Equal(1, m.LogsLost);
        Assert.Equal(["MARK 1"], writer.Lines.Where(l => l.StartsWith("MARK", StringComparison.Ordinal)));
        Assert.Equal(m.LogsAccepted, m.LogsProcessed + m.LogsFiltered + m.LogsDropped + m.LogsQueued + m.LogsLost);
    }
}
