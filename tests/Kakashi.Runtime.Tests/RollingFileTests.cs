using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Text;
using System.Text.RegularExpressions;
using System.Threading;
using System.Threading.Tasks;

namespace Kakashi.Runtime.Tests;

/// <summary>A clock tests move by hand (thread-safe).</summary>
internal sealed class FakeClock(DateTime start)
{
    private long _ticks = start.Ticks;

    public DateTime Now() => new(Volatile.Read(ref _ticks), DateTimeKind.Utc);

    public void Advance(TimeSpan by) => Interlocked.Add(ref _ticks, by.Ticks);

    public void Set(DateTime at) => Volatile.Write(ref _ticks, at.Ticks);
}

/// <summary>AsyncFileWriter's rolling files: by size, by period, retention, compression, external rotation, full disks.</summary>
public class RollingFileTests
{
    private static readonly DateTime Start = new(2026, 12, 1, 13, 5, 30, DateTimeKind.Utc);
    private static readonly UnixFileMode Mode0640 = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead;

    private static AsyncPipeline Pipeline(params LogWriter[] writers) => new(new AsyncPipelineConfig
    {
        Formatter = new TextFormatter("{Message}{NewLine}"),
        Writers = [.. writers],
        FlushOnProcessExit = false,
        ShutdownTimeout = TimeSpan.FromSeconds(10),
    });

    private static void AssertBooks(WriterMetrics w) => ReliabilityTests.AssertBooks(w);

    private static Task WaitUntil(Func<bool> condition, int seconds = 30) => ReliabilityTests.WaitUntil(condition, seconds);

    private static readonly Regex Rolled = new(@"^app(?<period>[0-9]{4}|[0-9]{6}|[0-9]{8}|[0-9]{10}|[0-9]{12})?(?:_(?<seq>[0-9]{3,}))?\.log(?<gz>\.gz)?$");

    private static string[] Names(string folder) => RolledFiles(folder).Select(f => Path.GetFileName(f)!).ToArray();

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill")]
    private static extern int SendSignal(int pid, int signal);

    /// <summary>The writer's files (app*.log, app*.log.gz) oldest first: by period, then sequence.</summary>
    private static List<string> RolledFiles(string folder)
        => Directory.EnumerateFiles(folder)
            .Select(f => (Path: f, Match: Rolled.Match(Path.GetFileName(f))))
            .Where(f => f.Match.Success)
            .OrderBy(f => f.Match.Groups["period"].Value, StringComparer.Ordinal)
            .ThenBy(f => f.Match.Groups["seq"].Success ? int.Parse(f.Match.Groups["seq"].Value, CultureInfo.InvariantCulture) : 0)
            .Select(f => f.Path)
            .ToList();

    private static string ReadText(string path)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using Stream input = path.EndsWith(".gz", StringComparison.Ordinal) ? new GZipStream(file, CompressionMode.Decompress) : file;
        using var reader = new StreamReader(input, new UTF8Encoding(false));
        return reader.ReadToEnd();
    }

    /// <summary>Every line of a file; asserts the file ends at a record boundary (no record split across files).</summary>
    private static string[] Lines(string path)
    {
        string text = ReadText(path);
        if (text.Length == 0) return [];
        Assert.True(text.EndsWith('\n'), $"{Path.GetFileName(path)} ends inside a record");
        return text[..^1].Split('\n');
    }

    private static int IdOf(string line)
    {
        Assert.Matches("^L[0-9]+ p*$", line);
        return int.Parse(line.AsSpan(1, line.IndexOf(' ') - 1), CultureInfo.InvariantCulture);
    }

    // size ---------------------------------------------------------------------------------------------------------------

    [Fact]
    public async Task Size_rolling_keeps_every_file_within_the_limit_and_every_record_whole_once_in_order()
    {
        using var temp = new TempFolder();
        string path = Path.Combine(temp.Path, "app.log");
        const long limit = 4096;
        var writer = new AsyncFileWriter(path) { FileSizeLimitBytes = limit, RollOnFileSizeLimit = true, RetainedFileCountLimit = null, FlushInterval = TimeSpan.FromMilliseconds(5) };
        await using (var pipeline = Pipeline(writer))
        {
            var logger = pipeline.CreateLogger("App");
            for (int i = 0; i < 6000; i++)
            {
                logger.Line(i, new string('p', i == 3000 ? 10_000 : i * 7 % 300)); // record 3000 is larger than the limit
                if (i % 500 == 0) await pipeline.FlushAllAsync(); // write-outs of every size, not only full batches
            }
            await pipeline.FlushAllAsync();
            var w = pipeline.GetMetrics().Writers[0];
            Assert.Equal(6000, w.Written);
            AssertBooks(w);
        }
        var files = RolledFiles(temp.Path);
        Assert.Equal(path, files[0]); // with Infinite, the first file is the path itself, then app_001.log, app_002.log...
        Assert.Equal(Path.Combine(temp.Path, "app_001.log"), files[1]);
        Assert.Equal(writer.RollCount + 1, files.Count);
        var ids = new List<int>();
        int oversized = 0;
        foreach (string file in files)
        {
            var lines = Lines(file);
            Assert.NotEmpty(lines);
            long size = new FileInfo(file).Length;
            if (lines.Length == 1 && size > limit) oversized++; // a record larger than the limit, alone in its file
            else Assert.True(size <= limit, $"{Path.GetFileName(file)} is {size} bytes");
            ids.AddRange(lines.Select(IdOf));
        }
        Assert.Equal(1, oversized);
        Assert.Equal(Enumerable.Range(0, 6000), ids); // each record once, in order
        Assert.Equal(10_006, Lines(files.Single(f => Lines(f).Any(l => l.StartsWith("L3000 ", StringComparison.Ordinal))))[0].Length);
    }

    [Fact]
    public async Task Rolling_every_few_milliseconds_under_four_logging_threads_loses_duplicates_and_splits_nothing()
    {
        using var temp = new TempFolder();
        string path = Path.Combine(temp.Path, "app.log");
        // a minute passes every 3 ms of real time, and files also roll at 256 KiB
        var real = Stopwatch.StartNew();
        Func<DateTime> clock = () => Start + TimeSpan.FromMinutes(real.ElapsedTicks * 1000.0 / Stopwatch.Frequency / 3);
        var writer = new AsyncFileWriter(path)
        {
            RollingInterval = RollingInterval.Minute,
            FileSizeLimitBytes = 256 * 1024,
            RollOnFileSizeLimit = true,
            RetainedFileCountLimit = null,
            UtcNow = clock,
        };
        const int threads = 4, each = 250_000;
        await using (var pipeline = Pipeline(writer))
        {
            var logger = pipeline.CreateLogger("App");
            var workers = Enumerable.Range(0, threads).Select(t => new Thread(() =>
            {
                for (long i = 0; i < each; i++) logger.Seq(t, i);
            })).ToArray();
            foreach (var t in workers) t.Start();
            foreach (var t in workers) t.Join();
            await pipeline.FlushAllAsync();
            var w = pipeline.GetMetrics().Writers[0];
            Assert.Equal(threads * each, w.Written);
            Assert.Equal(0, w.Failed + w.Dropped);
            AssertBooks(w);
        }
        var files = RolledFiles(temp.Path);
        Assert.True(writer.RollCount >= 20, $"rolled {writer.RollCount} times");
        Assert.Equal(writer.RollCount + 1, files.Count);
        var next = new long[threads];
        long total = 0;
        foreach (string file in files)
        {
            Assert.True(new FileInfo(file).Length <= 256 * 1024);
            foreach (string line in Lines(file))
            {
                if (!line.StartsWith('T')) continue; // the pipeline's own buffer warnings
                var m = Regex.Match(line, "^T([0-9]) N([0-9]+)$");
                Assert.True(m.Success, $"torn line '{line}' in {Path.GetFileName(file)}");
                int t = int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
                Assert.Equal(next[t]++, long.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture)); // in order, no gap, no repeat
                total++;
            }
        }
        Assert.Equal(threads * each, total);
        Assert.All(next, n => Assert.Equal(each, n));
    }

    [Fact]
    public async Task At_the_size_limit_without_rolling_records_are_discarded_counted_and_reported_once_until_the_next_period()
    {
        using var temp = new TempFolder();
        string path = Path.Combine(temp.Path, "app.log");
        var clock = new FakeClock(Start);
        var writer = new AsyncFileWriter(path) { RollingInterval = RollingInterval.Day, FileSizeLimitBytes = 4096, UtcNow = clock.Now };
        var errors = new TestWriter("errors");
        string pad = new('p', 90);
        await using (var pipeline = Pipeline(writer, errors))
        {
            var logger = pipeline.CreateLogger("App");
            for (int i = 0; i < 500; i++) logger.Line(i, pad); // ~50 KB into 4 KiB
            await pipeline.FlushAllAsync();
            string day1 = Path.Combine(temp.Path, "app20261201.log");
            var lines = Lines(day1);
            Assert.True(new FileInfo(day1).Length <= 4096);
            Assert.Equal(Enumerable.Range(0, lines.Length), lines.Select(IdOf)); // the first records, whole, then nothing
            var w = pipeline.GetMetrics().Writers[0];
            Assert.Equal(500 - lines.Length, w.Failed);
            Assert.Equal(500 - lines.Length, writer.DiscardedAtSizeLimit);
            Assert.Equal(lines.Length, w.Written);
            AssertBooks(w);
            await WaitUntil(() => errors.Lines.Any(l => l.Contains("reached FileSizeLimitBytes", StringComparison.Ordinal)));
            for (int i = 500; i < 600; i++) logger.Line(i, pad);
            await pipeline.FlushAllAsync();
            Assert.Single(errors.Lines, l => l.Contains("reached FileSizeLimitBytes", StringComparison.Ordinal)); // reported once

            clock.Advance(TimeSpan.FromDays(1)); // the next period writes again
            for (int i = 600; i < 610; i++) logger.Line(i, pad);
            await pipeline.FlushAllAsync();
            Assert.Equal(Enumerable.Range(600, 10), Lines(Path.Combine(temp.Path, "app20261202.log")).Select(IdOf));
        }
    }

    // periods ------------------------------------------------------------------------------------------------------------

    [Theory]
    [InlineData(RollingInterval.Year, "app2026.log", "app2027.log")]
    [InlineData(RollingInterval.Month, "app202612.log", "app202701.log")]
    [InlineData(RollingInterval.Day, "app20261201.log", "app20261202.log")]
    [InlineData(RollingInterval.Hour, "app2026120113.log", "app2026120114.log")]
    [InlineData(RollingInterval.Minute, "app202612011305.log", "app202612011306.log")]
    public async Task Interval_rolling_names_a_file_per_period_and_a_restart_continues_the_current_one(RollingInterval interval, string first, string second)
    {
        using var temp = new TempFolder();
        string path = Path.Combine(temp.Path, "app.log");
        var clock = new FakeClock(Start);
        var writer = new AsyncFileWriter(path) { RollingInterval = interval, UtcNow = clock.Now };
        await using (var pipeline = Pipeline(writer))
        {
            var logger = pipeline.CreateLogger("App");
            Assert.Equal(Path.Combine(temp.Path, first), writer.CurrentPath);
            Assert.Equal(path, writer.Path);
            logger.Mark(1);
            await pipeline.FlushAllAsync();
            clock.Set(interval switch
            {
                RollingInterval.Year => new DateTime(2027, 1, 1, 0, 0, 0, DateTimeKind.Utc),
                RollingInterval.Month => new DateTime(2027, 1, 1, 0, 0, 0, DateTimeKind.Utc),
                RollingInterval.Day => new DateTime(2026, 12, 2, 0, 0, 0, DateTimeKind.Utc),
                RollingInterval.Hour => new DateTime(2026, 12, 1, 14, 0, 0, DateTimeKind.Utc),
                _ => new DateTime(2026, 12, 1, 13, 6, 0, DateTimeKind.Utc),
            });
            logger.Mark(2);
            await pipeline.FlushAllAsync();
            Assert.Equal(Path.Combine(temp.Path, second), writer.CurrentPath);
            Assert.Equal(1, writer.RollCount);
        }
        Assert.Equal(["MARK 1"], Lines(Path.Combine(temp.Path, first)));
        Assert.Equal(["MARK 2"], Lines(Path.Combine(temp.Path, second)));
        Assert.False(File.Exists(path)); // the base path itself is not written when the writer rolls by period

        var again = new AsyncFileWriter(path) { RollingInterval = interval, UtcNow = clock.Now };
        await using (var pipeline = Pipeline(again))
        {
            pipeline.CreateLogger("App").Mark(3);
        }
        Assert.Equal(["MARK 2", "MARK 3"], Lines(Path.Combine(temp.Path, second))); // appended, not clobbered
        Assert.Equal(2, RolledFiles(temp.Path).Count);
    }

    [Fact]
    public async Task Size_rolled_files_of_a_period_are_numbered_and_a_restart_continues_the_latest_but_never_a_compressed_one()
    {
        using var temp = new TempFolder();
        string path = Path.Combine(temp.Path, "app.log");
        var clock = new FakeClock(Start);
        string pad = new('p', 1300);
        AsyncFileWriter Make() => new(path) { RollingInterval = RollingInterval.Day, FileSizeLimitBytes = 4096, RollOnFileSizeLimit = true, UtcNow = clock.Now };
        var writer = Make();
        await using (var pipeline = Pipeline(writer))
        {
            var logger = pipeline.CreateLogger("App");
            for (int i = 0; i < 10; i++) logger.Line(i, pad); // ~1.3 KB each: 3 per 4 KiB file
            await pipeline.FlushAllAsync();
        }
        Assert.Equal(["app20261201.log", "app20261201_001.log", "app20261201_002.log", "app20261201_003.log"], Names(temp.Path));
        Assert.Equal([9], Lines(Path.Combine(temp.Path, "app20261201_003.log")).Select(IdOf));

        var second = Make();
        await using (var pipeline = Pipeline(second))
        {
            Assert.Equal(Path.Combine(temp.Path, "app20261201_003.log"), second.CurrentPath);
            pipeline.CreateLogger("App").Line(10, pad);
        }
        Assert.Equal([9, 10], Lines(Path.Combine(temp.Path, "app20261201_003.log")).Select(IdOf));

        // the latest file compressed (rolled by an earlier run): a restart starts the next one
        string latest = Path.Combine(temp.Path, "app20261201_003.log");
        using (var input = File.OpenRead(latest))
        using (var output = File.Create(latest + ".gz"))
        using (var zip = new GZipStream(output, CompressionLevel.Fastest)) input.CopyTo(zip);
        File.Delete(latest);
        var third = Make();
        await using (var pipeline = Pipeline(third))
        {
            Assert.Equal(Path.Combine(temp.Path, "app20261201_004.log"), third.CurrentPath);
            pipeline.CreateLogger("App").Line(11, pad);
        }
        Assert.Equal([11], Lines(Path.Combine(temp.Path, "app20261201_004.log")).Select(IdOf));
        Assert.Equal(Enumerable.Range(0, 12), RolledFiles(temp.Path).SelectMany(Lines).Select(IdOf));
    }

    // retention and compression ------------------------------------------------------------------------------------------

    /// <summary>One record a day for <paramref name="days"/> days, at noon, starting 2026-12-01.</summary>
    private static async Task LogDays(AsyncFileWriter writer, FakeClock clock, int days, int perDay = 1)
    {
        await using var pipeline = Pipeline(writer);
        var logger = pipeline.CreateLogger("App");
        for (int d = 0; d < days; d++)
        {
            clock.Set(new DateTime(2026, 12, 1 + d, 12, 0, 0, DateTimeKind.Utc));
            for (int i = 0; i < perDay; i++) logger.Line(d * perDay + i, new string('p', i % 50));
            await pipeline.FlushAllAsync();
        }
        await writer.WaitForMaintenanceAsync();
    }

    [Fact]
    public async Task Retention_by_count_keeps_the_newest_files_the_current_one_included_and_touches_no_other_file()
    {
        using var temp = new TempFolder();
        Directory.CreateDirectory(temp.Path);
        string[] strangers = ["other.log", "app.log.1", "app.txt", "app2026120.log", "myapp20261101.log"];
        foreach (string name in strangers) File.WriteAllText(Path.Combine(temp.Path, name), "not ours\n");
        var clock = new FakeClock(Start);
        var writer = new AsyncFileWriter(Path.Combine(temp.Path, "app.log")) { RollingInterval = RollingInterval.Day, RetainedFileCountLimit = 3, UtcNow = clock.Now };
        await LogDays(writer, clock, 10);
        Assert.Equal(["app20261208.log", "app20261209.log", "app20261210.log"], Names(temp.Path));
        Assert.Equal(7, writer.DeletedFiles);
        foreach (string name in strangers) Assert.Equal("not ours\n", File.ReadAllText(Path.Combine(temp.Path, name)));
    }

    [Fact]
    public async Task Retention_by_time_deletes_the_files_whose_period_ended_longer_ago()
    {
        using var temp = new TempFolder();
        var clock = new FakeClock(Start);
        var writer = new AsyncFileWriter(Path.Combine(temp.Path, "app.log"))
        {
            RollingInterval = RollingInterval.Day,
            RetainedFileCountLimit = null,
            RetainedFileTimeLimit = TimeSpan.FromDays(2),
            UtcNow = clock.Now,
        };
        await LogDays(writer, clock, 6);
        // at Dec 6 noon: Dec 3's file ended Dec 4 00:00, more than 2 days ago; Dec 4's ended Dec 5 00:00, kept
        Assert.Equal(["app20261204.log", "app20261205.log", "app20261206.log"], Names(temp.Path));
    }

    [Fact]
    public async Task Compression_writes_valid_gzip_deletes_the_original_and_retention_counts_the_gz_files()
    {
        using var temp = new TempFolder();
        Directory.CreateDirectory(temp.Path);
        // what a crash left: a half-written .gz.tmp next to its original, and a rolled file not compressed yet
        File.WriteAllText(Path.Combine(temp.Path, "app20261120.log"), "L-1 \n");
        File.WriteAllText(Path.Combine(temp.Path, "app20261120.log.gz.tmp"), "half");
        var clock = new FakeClock(Start);
        var writer = new AsyncFileWriter(Path.Combine(temp.Path, "app.log"))
        {
            RollingInterval = RollingInterval.Day,
            CompressRolledFiles = true,
            RetainedFileCountLimit = 4,
            UtcNow = clock.Now,
        };
        await LogDays(writer, clock, 6, perDay: 200);
        var files = Names(temp.Path).ToArray();
        Assert.Equal(["app20261203.log.gz", "app20261204.log.gz", "app20261205.log.gz", "app20261206.log"], files);
        Assert.Empty(Directory.EnumerateFiles(temp.Path, "*.tmp"));
        for (int d = 2; d < 5; d++)
        {
            string gz = Path.Combine(temp.Path, $"app202612{d + 1:00}.log.gz");
            Assert.Equal(Enumerable.Range(d * 200, 200), Lines(gz).Select(IdOf)); // decompresses to exactly the day's records
            Assert.Equal(new byte[] { 0x1f, 0x8b }, File.ReadAllBytes(gz)[..2]);
            if (OperatingSystem.IsLinux()) Assert.Equal(Mode0640, File.GetUnixFileMode(gz));
        }
        // Dec 3-5 at least (Nov 20 and Dec 1-2 too, unless retention got to them first)
        Assert.True(writer.CompressedFiles >= 3, $"compressed {writer.CompressedFiles}");
        Assert.Equal(0, writer.FileErrors);
    }

    [Fact]
    public void Rolled_files_are_created_0640_and_with_the_configured_mode()
    {
        if (!OperatingSystem.IsLinux()) return;
        using var temp = new TempFolder();
        var a = new AsyncFileWriter(Path.Combine(temp.Path, "a", "app.log")) { FileSizeLimitBytes = 1024, RollOnFileSizeLimit = true };
        var b = new AsyncFileWriter(Path.Combine(temp.Path, "b", "app.log")) { FileSizeLimitBytes = 1024, RollOnFileSizeLimit = true, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite };
        using (var pipeline = Pipeline(a, b))
        {
            var logger = pipeline.CreateLogger("App");
            for (int i = 0; i < 30; i++) logger.Line(i, new string('p', 200));
        }
        Assert.True(a.RollCount >= 3);
        foreach (string file in RolledFiles(Path.Combine(temp.Path, "a"))) Assert.Equal(Mode0640, File.GetUnixFileMode(file));
        Assert.True(File.Exists(Path.Combine(temp.Path, "b", "app_003.log")));
        foreach (string file in RolledFiles(Path.Combine(temp.Path, "b"))) Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
    }

    // external rotation --------------------------------------------------------------------------------------------------

    [Fact]
    public async Task A_file_renamed_away_like_logrotate_create_is_noticed_and_writing_goes_on_in_a_new_file_at_the_path()
    {
        using var temp = new TempFolder();
        string path = Path.Combine(temp.Path, "app.log");
        var writer = new AsyncFileWriter(path) { FlushInterval = TimeSpan.FromMilliseconds(10) };
        await using (var pipeline = Pipeline(writer))
        {
            var logger = pipeline.CreateLogger("App");
            int id = 0;
            for (; id < 1000; id++) logger.Line(id, "");
            await pipeline.FlushAllAsync();
            File.Move(path, path + ".1");
            var since = Stopwatch.StartNew();
            // records keep coming while the writer has not noticed yet: they go into the moved file, nothing is lost
            while (!File.Exists(path))
            {
                logger.Line(id++, "");
                await Task.Delay(5);
                Assert.True(since.Elapsed < TimeSpan.FromSeconds(10), "the rename was not noticed");
            }
            for (int end = id + 1000; id < end; id++) logger.Line(id, "");
            await pipeline.FlushAllAsync();
            Assert.Equal(1, writer.ReopenCount);
            Assert.Equal(id, pipeline.GetMetrics().Writers[0].Written);
            var rotated = Lines(path + ".1").Select(IdOf).ToList();
            var fresh = Lines(path).Select(IdOf).ToList();
            Assert.Equal(Enumerable.Range(0, id), rotated.Concat(fresh)); // together: every record once, in order
            Assert.True(fresh.Count >= 1000);
            if (OperatingSystem.IsLinux()) Assert.Equal(Mode0640, File.GetUnixFileMode(path));
        }
    }

    [Fact]
    public async Task A_deleted_file_is_noticed_and_created_again()
    {
        using var temp = new TempFolder();
        string path = Path.Combine(temp.Path, "app.log");
        var writer = new AsyncFileWriter(path);
        await using var pipeline = Pipeline(writer);
        var logger = pipeline.CreateLogger("App");
        logger.Mark(1);
        await pipeline.FlushAllAsync();
        File.Delete(path);
        await WaitUntil(() => File.Exists(path), 10); // noticed on an idle tick, within about a second
        logger.Mark(2);
        await pipeline.FlushAllAsync();
        Assert.Equal(["MARK 2"], Lines(path));
        Assert.Equal(1, writer.ReopenCount);
    }

    [Fact]
    public async Task Reopen_switches_to_the_file_now_at_the_path_before_the_next_record()
    {
        using var temp = new TempFolder();
        string path = Path.Combine(temp.Path, "app.log");
        var writer = new AsyncFileWriter(path);
        await using var pipeline = Pipeline(writer);
        var logger = pipeline.CreateLogger("App");
        logger.Mark(1);
        await pipeline.FlushAllAsync();
        writer.Reopen(); // the same file: reopened and appended to
        logger.Mark(2);
        await pipeline.FlushAllAsync();
        Assert.Equal(1, writer.ReopenCount);
        Assert.Equal(["MARK 1", "MARK 2"], Lines(path));

        File.Move(path, path + ".1");
        File.WriteAllText(path, ""); // logrotate's create
        writer.Reopen(); // what postrotate asks: the next record goes into the new file
        logger.Mark(3);
        await pipeline.FlushAllAsync();
        Assert.Equal(["MARK 1", "MARK 2"], Lines(path + ".1"));
        Assert.Equal(["MARK 3"], Lines(path));
    }

    [Fact]
    public async Task SIGHUP_reopens_the_file_when_asked_to_and_the_process_goes_on()
    {
        if (!OperatingSystem.IsLinux()) return;
        using var temp = new TempFolder();
        string path = Path.Combine(temp.Path, "app.log");
        var writer = new AsyncFileWriter(path) { ReopenOnSigHup = true };
        await using var pipeline = Pipeline(writer);
        var logger = pipeline.CreateLogger("App");
        logger.Mark(1);
        await pipeline.FlushAllAsync();
        // the file stays where it is: only the signal can make the writer reopen it (the once-a-second check sees the same file)
        Assert.Equal(0, SendSignal(Environment.ProcessId, 1)); // SIGHUP: without the handler, the default action ends the test host
        await WaitUntil(() => writer.ReopenCount == 1, 10);
        File.Move(path, path + ".1");
        File.WriteAllText(path, "");
        Assert.Equal(0, SendSignal(Environment.ProcessId, 1));
        await WaitUntil(() => writer.ReopenCount == 2, 10);
        logger.Mark(2);
        await pipeline.FlushAllAsync();
        Assert.Equal(["MARK 1"], Lines(path + ".1"));
        Assert.Equal(["MARK 2"], Lines(path));
    }

    // failures -----------------------------------------------------------------------------------------------------------

    [Fact]
    public async Task A_roll_that_cannot_open_the_next_file_is_reported_and_retried_and_loses_nothing()
    {
        using var temp = new TempFolder();
        Directory.CreateDirectory(temp.Path);
        string path = Path.Combine(temp.Path, "app.log");
        string blocker = Path.Combine(temp.Path, "app_001.log");
        Directory.CreateDirectory(blocker); // the next file's name is taken by a folder: open fails (EISDIR)
        var writer = new AsyncFileWriter(path) { FileSizeLimitBytes = 4096, RollOnFileSizeLimit = true };
        var errors = new TestWriter("errors");
        string pad = new('p', 100);
        await using (var pipeline = Pipeline(writer, errors))
        {
            var logger = pipeline.CreateLogger("App");
            int id = 0;
            for (; id < 100; id++) logger.Line(id, pad);
            await pipeline.FlushAllAsync();
            Assert.True(writer.FileErrors >= 1);
            await WaitUntil(() => errors.Lines.Any(l => l.Contains("cannot roll to", StringComparison.Ordinal) && l.Contains("app_001.log", StringComparison.Ordinal)));
            Assert.Equal(Enumerable.Range(0, 100), Lines(path).Select(IdOf)); // kept going into the current file, past its limit
            Assert.Equal(0, writer.RollCount);

            Directory.Delete(blocker);
            await WaitUntil(() =>
            {
                logger.Line(id++, pad); // retried (after a 1 s backoff) when records come
                pipeline.FlushAllAsync().Wait();
                return writer.RollCount >= 1;
            });
            for (int end = id + 100; id < end; id++) logger.Line(id, pad);
            await pipeline.FlushAllAsync();
            var w = pipeline.GetMetrics().Writers[0];
            Assert.Equal(id, w.Written);
            Assert.Equal(0, w.Failed + w.Dropped);
            AssertBooks(w);
            Assert.Equal(Enumerable.Range(0, id), RolledFiles(temp.Path).SelectMany(Lines).Select(IdOf));
        }
    }

    [Fact]
    public async Task A_vanished_folder_is_created_again_and_writing_goes_on()
    {
        using var temp = new TempFolder();
        string folder = Path.Combine(temp.Path, "logs");
        var clock = new FakeClock(Start);
        var writer = new AsyncFileWriter(Path.Combine(folder, "app.log")) { RollingInterval = RollingInterval.Day, UtcNow = clock.Now };
        await using var pipeline = Pipeline(writer);
        var logger = pipeline.CreateLogger("App");
        logger.Mark(1);
        await pipeline.FlushAllAsync();
        Directory.Delete(folder, recursive: true);
        await WaitUntil(() => Directory.Exists(folder), 10); // the deleted file noticed: folder and file made again
        logger.Mark(2);
        await pipeline.FlushAllAsync();
        Assert.Equal(["MARK 2"], Lines(Path.Combine(folder, "app20261201.log")));

        Directory.Delete(folder, recursive: true);
        clock.Advance(TimeSpan.FromDays(1)); // and a roll into a vanished folder makes it again
        logger.Mark(3);
        await pipeline.FlushAllAsync();
        Assert.Equal(["MARK 3"], Lines(Path.Combine(folder, "app20261202.log")));
        Assert.Equal(0, pipeline.GetMetrics().Writers[0].Failed);
    }

    /// <summary>A real full disk (a 4 MiB tmpfs, as root) while the writer rolls by size; skipped where mounting is refused.</summary>
    [Fact]
    public async Task A_full_disk_while_rolling_is_reported_the_app_goes_on_and_writing_resumes_once_space_is_freed()
    {
        string mount = Path.Combine(Path.GetTempPath(), "kakashi-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(mount);
        if (!ReliabilityTests.Mount(mount))
        {
            Directory.Delete(mount);
            return;
        }
        try
        {
            string filler = Path.Combine(mount, "filler");
            File.WriteAllBytes(filler, new byte[3 * 1024 * 1024]); // 1 MiB left
            var writer = new AsyncFileWriter(Path.Combine(mount, "app.log"))
            {
                FileSizeLimitBytes = 64 * 1024,
                RollOnFileSizeLimit = true,
                RetainedFileCountLimit = null, // (gzip in the background could free space as fast as it fills: not here)
                FlushInterval = TimeSpan.FromMilliseconds(20),
                Retry = new RetryOptions { MaxRetries = 2, InitialDelay = TimeSpan.FromMilliseconds(10), MaxDelay = TimeSpan.FromMilliseconds(50), Jitter = false },
                CircuitBreaker = new CircuitBreakerOptions { FailureThreshold = 1000, BreakDuration = TimeSpan.FromSeconds(1) },
            };
            var errors = new TestWriter("errors");
            var pipeline = Pipeline(writer, errors);
            var logger = pipeline.CreateLogger("App");
            string pad = new('p', 180);
            for (int i = 0; i < 20_000; i++) logger.Line(i, pad); // 3.8 MB into 1 MiB
            await pipeline.FlushAllAsync().WaitAsync(TimeSpan.FromSeconds(30));
            AssertBooks(pipeline.GetMetrics().Writers[0]);
            await WaitUntil(() => errors.Lines.Any(l => l.Contains("No space left on device", StringComparison.Ordinal)));
            Assert.True(writer.RollCount >= 5, $"rolled {writer.RollCount}");

            File.Delete(filler);
            await WaitUntil(() =>
            {
                pipeline.FlushAllAsync().Wait(TimeSpan.FromSeconds(5));
                var w = pipeline.GetMetrics().Writers[0];
                AssertBooks(w);
                return w.Queued == 0;
            });
            for (int i = 20_000; i < 22_000; i++) logger.Line(i, pad);
            await pipeline.FlushAllAsync().WaitAsync(TimeSpan.FromSeconds(30));
            await pipeline.DisposeAsync();
            await writer.WaitForMaintenanceAsync();

            var m = pipeline.GetMetrics().Writers[0];
            AssertBooks(m);
            Assert.Equal(22_000, m.Received);
            Assert.True(m.Failed + m.Dropped > 0, "the disk was full for a while");
            var ids = new List<int>();
            foreach (string file in RolledFiles(mount))
            {
                // the pipeline's own records (buffer warnings, the writer's failures reported once it recovered) aside
                foreach (string line in Lines(file).Where(l => l.StartsWith('L')))
                {
                    Assert.Matches("^L[0-9]+ p{180}$", line);
                    ids.Add(IdOf(line));
                }
            }
            Assert.Equal(ids.Count, ids.Distinct().Count()); // none written twice
            for (int i = 1; i < ids.Count; i++) Assert.True(ids[i] > ids[i - 1], "in order");
            Assert.Equal(m.Written, ids.Count); // written is exactly what is in the files
            Assert.Equal(Enumerable.Range(20_000, 2_000), ids.Where(id => id >= 20_000)); // after space came back, nothing lost
            Assert.True(pipeline.GetMetrics().BlockedTime < TimeSpan.FromSeconds(2), "the callers did not sit out the full disk");
        }
        finally
        {
            ReliabilityTests.Unmount(mount);
        }
    }

    /// <summary>
    /// A folder that turns read-only (a read-only bind mount over it: the open file stays writable, new files cannot be
    /// created, EROFS — root ignores permission bits, so this is how a read-only folder is made real here): the roll is
    /// reported and retried, records go on into the current file, and the roll happens once the folder is writable again.
    /// </summary>
    [Fact]
    public async Task A_folder_that_turns_read_only_fails_the_roll_reported_and_retried_and_loses_nothing()
    {
        if (!OperatingSystem.IsLinux() || Environment.UserName != "root") return; // mounting needs root (CI runs as root)
        using var temp = new TempFolder();
        Directory.CreateDirectory(temp.Path);
        var writer = new AsyncFileWriter(Path.Combine(temp.Path, "app.log"))
        {
            FileSizeLimitBytes = 16 * 1024,
            RollOnFileSizeLimit = true,
            RetainedFileCountLimit = null,
            FlushInterval = TimeSpan.FromMilliseconds(20),
        };
        var errors = new TestWriter("errors");
        var pipeline = Pipeline(writer, errors);
        var logger = pipeline.CreateLogger("App");
        string pad = new('p', 100);
        int next = 0;
        for (; next < 50; next++) logger.Line(next, pad);
        await pipeline.FlushAllAsync();
        Assert.True(Run("mount", "--bind", temp.Path, temp.Path) && Run("mount", "-o", "remount,bind,ro", temp.Path), "could not make the folder read-only");
        bool mounted = true;
        try
        {
            for (; next < 1_000; next++) logger.Line(next, pad); // ~110 KB: several rolls are due, none can create its file
            await pipeline.FlushAllAsync().WaitAsync(TimeSpan.FromSeconds(30));
            await WaitUntil(() => errors.Lines.Any(l => l.Contains("Read-only file system", StringComparison.Ordinal)));
            var during = pipeline.GetMetrics().Writers[0];
            AssertBooks(during);
            Assert.Equal(during.Received, during.Written); // nothing lost: the records went on into the current file
            Assert.Equal(0, writer.RollCount);

            Assert.True(Run("umount", temp.Path));
            mounted = false;
            await WaitUntil(() =>
            {
                logger.Line(next++, pad);
                pipeline.FlushAllAsync().Wait(TimeSpan.FromSeconds(5));
                return writer.RollCount > 0; // the retried roll succeeds once the folder is writable
            });
        }
        finally
        {
            if (mounted) Run("umount", temp.Path);
        }
        await pipeline.DisposeAsync();
        var m = pipeline.GetMetrics().Writers[0];
        AssertBooks(m);
        Assert.Equal(next, (int)m.Written);
        var ids = RolledFiles(temp.Path).SelectMany(f => Lines(f).Where(l => l.StartsWith('L')).Select(IdOf)).ToList();
        Assert.Equal(Enumerable.Range(0, next), ids); // every record once, in order, none split
    }

    private static bool Run(string file, params string[] args)
    {
        using var process = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo(file, args) { RedirectStandardError = true })!;
        process.WaitForExit();
        return process.ExitCode == 0;
    }

    [Fact]
    public async Task A_compression_that_fails_is_reported_and_leaves_the_original_whole()
    {
        using var temp = new TempFolder();
        Directory.CreateDirectory(Path.Combine(temp.Path, "app20261201.log.gz.tmp")); // the temp name is taken: the gzip cannot be written
        var clock = new FakeClock(Start);
        var writer = new AsyncFileWriter(Path.Combine(temp.Path, "app.log")) { RollingInterval = RollingInterval.Day, CompressRolledFiles = true, UtcNow = clock.Now };
        var errors = new TestWriter("errors");
        await using (var pipeline = Pipeline(writer, errors))
        {
            var logger = pipeline.CreateLogger("App");
            logger.Mark(1);
            await pipeline.FlushAllAsync();
            clock.Advance(TimeSpan.FromDays(1));
            logger.Mark(2);
            await pipeline.FlushAllAsync();
            await writer.WaitForMaintenanceAsync();
            await WaitUntil(() => errors.Lines.Any(l => l.Contains("cannot compress", StringComparison.Ordinal)));
        }
        Assert.Equal(1, writer.FileErrors);
        Assert.Equal(["app20261201.log", "app20261202.log"], Names(temp.Path)); // no .gz taken as good
        Assert.Equal(["MARK 1"], Lines(Path.Combine(temp.Path, "app20261201.log")));
    }

    // validation ---------------------------------------------------------------------------------------------------------

    public static TheoryData<string, Func<string, AsyncFileWriter>> BadOptions => new()
    {
        { "FileSizeLimitBytes", p => new AsyncFileWriter(p) { FileSizeLimitBytes = 1023 } },
        { "FileSizeLimitBytes", p => new AsyncFileWriter(p) { FileSizeLimitBytes = 0, RollOnFileSizeLimit = true } },
        { "RetainedFileCountLimit", p => new AsyncFileWriter(p) { RetainedFileCountLimit = 0 } },
        { "RetainedFileTimeLimit", p => new AsyncFileWriter(p) { RetainedFileTimeLimit = TimeSpan.Zero } },
        { "RetainedFileTimeLimit", p => new AsyncFileWriter(p) { RetainedFileTimeLimit = TimeSpan.FromSeconds(-1) } },
        { "RollingInterval", p => new AsyncFileWriter(p) { RollingInterval = (RollingInterval)42 } },
    };

    [Theory]
    [MemberData(nameof(BadOptions))]
    public void Rolling_options_out_of_range_are_rejected_at_setup_naming_the_property(string property, Func<string, AsyncFileWriter> make)
    {
        using var temp = new TempFolder();
        var config = new AsyncPipelineConfig { Writers = [new TestWriter(), make(Path.Combine(temp.Path, "app.log"))], FlushOnProcessExit = false };
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new AsyncPipeline(config));
        Assert.Equal("Writers[1]." + property, e.ParamName);
        Assert.Contains("Writers[1]." + property, e.Message);
        Assert.False(Directory.Exists(temp.Path)); // rejected before anything opened
    }

    [Fact]
    public void The_smallest_size_limit_is_accepted()
    {
        using var temp = new TempFolder();
        using var pipeline = new AsyncPipeline(new AsyncPipelineConfig
        {
            Writers = [new AsyncFileWriter(Path.Combine(temp.Path, "app.log")) { FileSizeLimitBytes = AsyncFileWriter.MinFileSizeLimit, RetainedFileCountLimit = 1, RetainedFileTimeLimit = TimeSpan.FromTicks(1) }],
            FlushOnProcessExit = false,
        });
    }
}
