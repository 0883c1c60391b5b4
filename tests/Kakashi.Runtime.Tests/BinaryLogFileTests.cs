using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Kakashi.Writers.BinaryLog;
using Microsoft.Extensions.Logging;

namespace Kakashi.Runtime.Tests;

/// <summary>
/// The .klog file as a file: read while it is written, rolled files each decodable alone, two processes on one file, a full
/// disk, every backpressure strategy, per-writer levels, a cut tail, a damaged middle, a newer version.
/// </summary>
public sealed class BinaryLogFileTests
{
    private static readonly TextFormatter Messages = new("{Message}{NewLine}");

    /// <summary>"T{thread} N{seq}" lines of a .klog (the application's records: the pipeline's own ones left out).</summary>
    internal static List<(int Thread, long Seq)> Sequence(string path, Action<KlogReader>? check = null)
    {
        var text = Klog.Text(Klog.Decode(path, Messages, check));
        var list = new List<(int, long)>();
        foreach (var line in text.Split('\n'))
        {
            if (!line.StartsWith('T')) continue;
            int space = line.IndexOf(' ', StringComparison.Ordinal);
            list.Add((int.Parse(line.AsSpan(1, space - 1), CultureInfo.InvariantCulture), long.Parse(line.AsSpan(space + 2), CultureInfo.InvariantCulture)));
        }
        return list;
    }

    private static AsyncPipeline Pipeline(params LogWriter[] writers) => new(new AsyncPipelineConfig
    {
        MinLevel = LogLevel.Trace,
        Writers = [.. writers],
        FlushOnProcessExit = false,
        ShutdownTimeout = TimeSpan.FromSeconds(20),
    });

    [Fact]
    public async Task A_file_is_decoded_while_it_is_written_without_a_torn_record()
    {
        string path = Path.Combine(Klog.TempFolder(), "live.klog");
        var pipeline = Pipeline(new BinaryLogWriter(path) { FlushInterval = TimeSpan.FromMilliseconds(1), BatchSize = 4096 });
        const int PerThread = 150_000;
        var logger = pipeline.CreateLogger("Live");
        var producers = Enumerable.Range(0, 2).Select(t => Task.Run(() =>
        {
            for (int i = 0; i < PerThread; i++)
            {
                logger.Seq(t, i);
                if (i % 1000 == 0) Thread.Yield();
            }
        })).ToArray();
        // the reader follows the growing file: every record it returns is whole and in order, it never reports damage
        var next = new long[2];
        long seen = 0;
        var reader = await OpenWhenCreated(path);
        using (reader)
        {
            var sw = Stopwatch.StartNew();
            bool done = false;
            while (seen < 2 * PerThread && sw.Elapsed < TimeSpan.FromSeconds(60))
            {
                while (reader.MoveNext())
                {
                    var record = reader.Current;
                    if (record.Template.Message != "T{Thread} N{Seq}") continue;
                    int thread = System.Runtime.InteropServices.MemoryMarshal.Read<int>(record.GetArgData(0));
                    long seq = System.Runtime.InteropServices.MemoryMarshal.Read<long>(record.GetArgData(1));
                    Assert.Equal(next[thread], seq);
                    next[thread]++;
                    seen++;
                }
                Assert.Empty(reader.Damage);
                if (!done && producers.All(p => p.IsCompleted))
                {
                    await pipeline.FlushAllAsync();
                    done = true;
                }
                await Task.Delay(1);
            }
            Assert.Equal(2L * PerThread, seen);
            Assert.Equal(0, reader.PendingBytes);
        }
        await pipeline.DisposeAsync();
    }

    private static async Task<KlogReader> OpenWhenCreated(string path)
    {
        for (int i = 0; i < 500 && !File.Exists(path); i++) await Task.Delay(10);
        return KlogReader.Open(path);
    }

    [Fact]
    public async Task Rolled_files_each_decode_alone_and_together_hold_every_record_once()
    {
        string folder = Klog.TempFolder();
        string path = Path.Combine(folder, "app.klog");
        var writer = new BinaryLogWriter(path) { RollOnFileSizeLimit = true, FileSizeLimitBytes = 64 * 1024, RetainedFileCountLimit = null };
        await using (var pipeline = Pipeline(writer))
        {
            var logger = pipeline.CreateLogger("Roll");
            for (int i = 0; i < 60_000; i++)
            {
                logger.Seq(0, i);
                if (i % 7 == 0) logger.Padded(i, "a string"); // a second template, announced again in every file
            }
        }
        var files = Directory.GetFiles(folder, "app*.klog").OrderBy(f => f.Length).ThenBy(f => f, StringComparer.Ordinal).ToArray();
        Assert.True(files.Length >= 5, $"{files.Length} files");
        var all = new List<long>();
        foreach (string file in files)
        {
            // a new reader per file: nothing carried over from the file before
            var seqs = Sequence(file, r =>
            {
                Assert.Empty(r.Damage);
                Assert.Equal(0, r.PendingBytes);
                Assert.NotNull(r.Header);
                Assert.Equal(Environment.ProcessId, r.Header!.ProcessId);
                // the package version with its commit, as `kakashi --version` and NuGet show it
                Assert.Equal(typeof(BinaryLogWriter).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()!.InformationalVersion,
                    r.Header.KakashiVersion);
                Assert.StartsWith(typeof(BinaryLogWriter).Assembly.GetName().Version!.ToString(3), r.Header.KakashiVersion, StringComparison.Ordinal);
            });
            Assert.NotEmpty(seqs);
            Assert.True(new FileInfo(file).Length <= 64 * 1024, $"{file} is {new FileInfo(file).Length} bytes");
            all.AddRange(seqs.Select(s => s.Seq));
        }
        all.Sort();
        Assert.Equal(Enumerable.Range(0, 60_000).Select(i => (long)i), all);
    }

    /// <summary>
    /// Rolling by period (a fake clock), a restart that continues the current period's file (a second session in one file:
    /// its own header and metadata), and a rolled file compressed to .klog.gz: each decodes alone, with every record.
    /// </summary>
    [Fact]
    public async Task Period_rolls_restarts_and_compressed_rolled_files_each_decode()
    {
        string folder = Klog.TempFolder();
        string path = Path.Combine(folder, "app.klog");
        var clock = new FakeClock(new DateTime(2026, 12, 1, 13, 5, 30, DateTimeKind.Utc));
        var writer = new BinaryLogWriter(path) { RollingInterval = RollingInterval.Day, CompressRolledFiles = true, UtcNow = clock.Now };
        await using (var pipeline = Pipeline(writer))
        {
            var logger = pipeline.CreateLogger("Days");
            for (int i = 0; i < 500; i++) logger.Seq(1, i);
            await pipeline.FlushAllAsync();
            clock.Set(new DateTime(2026, 12, 2, 0, 0, 1, DateTimeKind.Utc));
            for (int i = 500; i < 1000; i++) logger.Seq(1, i);
            await pipeline.FlushAllAsync();
            Assert.Equal(1, writer.RollCount);
        }
        await using (var again = Pipeline(new BinaryLogWriter(path) { RollingInterval = RollingInterval.Day, UtcNow = clock.Now }))
        {
            var logger = again.CreateLogger("Days, after a restart");
            for (int i = 1000; i < 1200; i++) logger.Seq(2, i);
        }
        string first = Path.Combine(folder, "app20261201.klog"), second = Path.Combine(folder, "app20261202.klog");
        await ReliabilityTests.WaitUntil(() => File.Exists(first + ".gz") && !File.Exists(first)); // compressed in the background
        List<long> FromGzip()
        {
            using var gz = new System.IO.Compression.GZipStream(File.OpenRead(first + ".gz"), System.IO.Compression.CompressionMode.Decompress);
            using var reader = new KlogReader(gz, name: "day 1");
            var seqs = new List<long>();
            while (reader.MoveNext())
                if (reader.Current.Template.Message == "T{Thread} N{Seq}") seqs.Add(System.Runtime.InteropServices.MemoryMarshal.Read<long>(reader.Current.GetArgData(1)));
            Assert.Empty(reader.Damage);
            return seqs;
        }
        Assert.Equal(Enumerable.Range(0, 500).Select(i => (long)i), FromGzip());
        var sessions = new HashSet<uint>();
        var day2 = Sequence(second, r => Assert.Empty(r.Damage));
        using (var reader = KlogReader.Open(second))
        {
            while (reader.MoveNext()) sessions.Add(reader.Header!.Session);
        }
        Assert.Equal(2, sessions.Count); // the first writer's and the restarted one's, each with its own header
        Assert.Equal(Enumerable.Range(500, 700).Select(i => (long)i), day2.Select(s => s.Seq));
    }

    [Fact]
    public async Task Two_processes_append_to_one_klog_and_each_keeps_its_records()
    {
        string path = Path.Combine(Klog.TempFolder(), "shared.klog");
        var a = Process.Start(new ProcessStartInfo("dotnet", [ReliabilityTests.ProbePath, path, "100000", "append", "A"]))!;
        var b = Process.Start(new ProcessStartInfo("dotnet", [ReliabilityTests.ProbePath, path, "100000", "append", "B"]))!;
        await Task.WhenAll(a.WaitForExitAsync(), b.WaitForExitAsync()).WaitAsync(TimeSpan.FromSeconds(120));
        Assert.Equal(0, a.ExitCode);
        Assert.Equal(0, b.ExitCode);
        string text = Klog.Text(Klog.Decode(path, Messages, r => Assert.Empty(r.Damage)));
        var lines = text.Split('\n').Where(l => l.Length > 0 && !l.StartsWith("Buffer ", StringComparison.Ordinal)).ToArray();
        Assert.Equal(200_000, lines.Length);
        foreach (string prefix in new[] { "A", "B" })
        {
            var mine = lines.Where(l => l.StartsWith(prefix + " ", StringComparison.Ordinal)).Select(l => int.Parse(l.AsSpan(2), CultureInfo.InvariantCulture));
            Assert.Equal(Enumerable.Range(0, 100_000), mine);
        }
        a.Dispose();
        b.Dispose();
    }

    [Fact]
    public async Task A_process_that_exits_without_disposing_leaves_a_whole_klog()
    {
        string path = Path.Combine(Klog.TempFolder(), "exit.klog");
        using var p = Process.Start(new ProcessStartInfo("dotnet", [ReliabilityTests.ProbePath, path, "50000", "exit"]))!;
        await p.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(3, p.ExitCode);
        string text = Klog.Text(Klog.Decode(path, new TextFormatter("{Message}{NewLine}"), r =>
        {
            Assert.Empty(r.Damage);
            Assert.Equal(0, r.PendingBytes);
        }));
        var records = text.Split('\n').Where(l => l.StartsWith("record ", StringComparison.Ordinal)).ToArray();
        Assert.Equal(50_000, records.Length);
    }

    /// <summary>A real full disk (a 4 MiB tmpfs; CI runs as root): frames are never torn or repeated, what the file holds is what was counted written, and templates first seen in batches the full disk cost are still described for the records after it.</summary>
    [Fact]
    public async Task A_full_disk_leaves_a_klog_of_whole_frames_each_record_once()
    {
        string mount = Path.Combine(Path.GetTempPath(), "kakashi-tests", "klog-full-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(mount);
        if (!ReliabilityTests.Mount(mount))
        {
            Directory.Delete(mount);
            return; // not root: the text writer's /dev/full test covers the failing path
        }
        try
        {
            string filler = Path.Combine(mount, "filler");
            File.WriteAllBytes(filler, new byte[3 * 1024 * 1024 + 512 * 1024]); // 512 KiB left
            string path = Path.Combine(mount, "app.klog");
            var writer = new BinaryLogWriter(path)
            {
                FlushInterval = TimeSpan.FromMilliseconds(20),
                Retry = new RetryOptions { MaxRetries = 2, InitialDelay = TimeSpan.FromMilliseconds(10), MaxDelay = TimeSpan.FromMilliseconds(50), Jitter = false },
                CircuitBreaker = new CircuitBreakerOptions { FailureThreshold = 1000, BreakDuration = TimeSpan.FromSeconds(1) },
            };
            var pipeline = Pipeline(writer);
            var logger = pipeline.CreateLogger("Full");
            string[] pads = [new('p', 100), new('q', 100)]; // alternating: never "the same as the record before"
            for (int i = 0; i < 40_000; i++) logger.Padded(i, pads[i % 2]); // ~4.5 MB into 512 KiB
            logger.Seq(9, 0); // a template first used while the disk is full
            await pipeline.FlushAllAsync().WaitAsync(TimeSpan.FromSeconds(30));
            ReliabilityTests.AssertBooks(pipeline.GetMetrics().Writers[0]);
            File.Delete(filler);
            await ReliabilityTests.WaitUntil(() =>
            {
                pipeline.FlushAllAsync().Wait(TimeSpan.FromSeconds(5));
                var w = pipeline.GetMetrics().Writers[0];
                ReliabilityTests.AssertBooks(w);
                return w.Queued == 0;
            });
            for (int i = 1; i <= 2_000; i++) logger.Seq(9, i);
            await pipeline.DisposeAsync();
            var m = pipeline.GetMetrics().Writers[0];
            Assert.True(m.Failed + m.Dropped > 0, "the disk was full for a while");
            var texts = new List<int>();
            var seqs = new List<long>();
            long records = 0, own = 0;
            using (var reader = KlogReader.Open(path))
            {
                while (reader.MoveNext())
                {
                    records++;
                    var r = reader.Current;
                    if (r.Template.Message == "Pad {Id} {Pad}") texts.Add(System.Runtime.InteropServices.MemoryMarshal.Read<int>(r.GetArgData(0)));
                    else if (r.Template.Message == "T{Thread} N{Seq}") seqs.Add(System.Runtime.InteropServices.MemoryMarshal.Read<long>(r.GetArgData(1)));
                    else own++; // the pipeline's own records (the writer's failure reports, buffer warnings)
                }
                Assert.Empty(reader.Damage); // whole frames only: a write the disk cut short was taken back
                Assert.Equal(0, reader.PendingBytes);
            }
            Assert.Equal(m.Written, records - own); // what the file holds is what was counted written
            Assert.Equal(m.InternalWritten, own);
            Assert.Equal(texts.Count, texts.Distinct().Count()); // each record at most once
            for (int i = 1; i < texts.Count; i++) Assert.True(texts[i] > texts[i - 1], "in order");
            Assert.Equal(Enumerable.Range(1, 2_000).Select(i => (long)i), seqs.Where(s => s > 0)); // after space came back, nothing lost
        }
        finally
        {
            ReliabilityTests.Unmount(mount);
        }
    }

    /// <summary>Every ring strategy with a .klog writer beside a slow one: the file decodes whole and holds exactly the records written, the drop reports among them.</summary>
    [Theory]
    [InlineData(DropStrategy.Block)]
    [InlineData(DropStrategy.DropNewest)]
    [InlineData(DropStrategy.DropOldest)]
    [InlineData(DropStrategy.Priority)]
    public async Task Every_backpressure_strategy_leaves_a_whole_klog_with_the_written_records(DropStrategy strategy)
    {
        string path = Path.Combine(Klog.TempFolder(), "bp.klog");
        var slow = new TestWriter { Delay = TimeSpan.FromMilliseconds(2), Backpressure = DropStrategy.Block, Formatter = new TextFormatter("{Category}|{Level}|{Message}{NewLine}") };
        var klog = new BinaryLogWriter(path);
        var pipeline = new AsyncPipeline(new AsyncPipelineConfig
        {
            MinLevel = LogLevel.Trace,
            Writers = [slow, klog],
            BufferSize = 8 * 1024,
            Backpressure = new BackpressureConfig { DropStrategy = strategy },
            FlushOnProcessExit = false,
        });
        var threads = Enumerable.Range(0, 4).Select(t => new Thread(() =>
        {
            var logger = pipeline.CreateLogger("App");
            for (int i = 0; i < 20_000; i++) logger.Dynamic((LogLevel)(i % 6), i);
        })).ToArray();
        foreach (var t in threads) t.Start();
        foreach (var t in threads) t.Join();
        await pipeline.DisposeAsync();
        var m = pipeline.GetMetrics();
        var w = m.Writers[1];
        ReliabilityTests.AssertBooks(w);
        Assert.Equal(0, w.Failed);
        Assert.Equal(m.LogsDropped, w.Dropped); // what the rings dropped, nothing at the .klog writer's own stage
        if (strategy == DropStrategy.Block) Assert.Equal(0, m.LogsDropped);
        else Assert.True(m.LogsDropped > 0, "a slow writer and 8 KiB rings make the strategy drop");
        var decoded = Klog.Text(Klog.Decode(path, new TextFormatter("{Category}|{Level}|{Message}{NewLine}"), r => Assert.Empty(r.Damage)));
        // the same records as the slow text writer got, the pipeline's own drop reports included, in the same order
        Assert.Equal(string.Join('\n', slow.Lines), decoded.TrimEnd('\n'));
        long reported = decoded.Split('\n').Where(l => l.StartsWith("kakashi.backpressure|Warning|Dropped ", StringComparison.Ordinal))
            .Sum(l => long.Parse(l.Split(' ')[1], CultureInfo.InvariantCulture));
        Assert.Equal(m.LogsDropped, reported);
    }

    [Fact]
    public async Task A_pipeline_writes_klog_for_everything_and_text_for_warnings()
    {
        string folder = Klog.TempFolder();
        string klogPath = Path.Combine(folder, "all.klog"), textPath = Path.Combine(folder, "warn.log");
        const string Template = "{Timestamp:O} [{Level:u3}] {Category}: {Message}{NewLine}{Exception}";
        var writers = new LogWriter[] { new BinaryLogWriter(klogPath), new AsyncFileWriter(textPath) { MinLevel = LogLevel.Warning, Formatter = new TextFormatter(Template) } };
        await using (var pipeline = Pipeline(writers))
        {
            var logger = pipeline.CreateLogger("Levels");
            for (int i = 0; i < 6_000; i++) logger.Dynamic((LogLevel)(i % 6), i);
            logger.Failed("with an exception", new InvalidOperationException("boom"));
        }
        var all = Klog.Text(Klog.Decode(klogPath, Messages)).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(6_001, all.Length);
        // decoding the Warning+ records of the .klog with the text file's template gives the text file
        var warnings = new System.Buffers.ArrayBufferWriter<byte>();
        var formatter = new TextFormatter(Template);
        using (var reader = KlogReader.Open(klogPath))
        {
            while (reader.MoveNext())
            {
                if (reader.Current.Level < LogLevel.Warning) continue;
                var w = new Utf8Writer(warnings);
                formatter.Format(reader.Current, ref w);
                w.Commit();
            }
        }
        Assert.Equal(File.ReadAllBytes(textPath), warnings.WrittenSpan.ToArray());
    }

    [Fact]
    public async Task The_caller_allocates_nothing_with_a_klog_writer()
    {
        string path = Path.Combine(Klog.TempFolder(), "alloc.klog");
        await using var pipeline = Pipeline(new BinaryLogWriter(path));
        var logger = pipeline.CreateLogger("Alloc");
        long allocated = -1;
        // one thread throughout (an await could resume on another, whose first call creates its ring)
        var thread = new Thread(() =>
        {
            for (int i = 0; i < 10_000; i++) logger.OrderFilled(i, 100, 101.25, "MSFT"); // warm: the thread's ring exists, the template is known
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 10_000; i++) logger.OrderFilled(i, 100, 101.25, "MSFT");
            allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        });
        thread.Start();
        thread.Join();
        Assert.Equal(0, allocated);
        await pipeline.FlushAllAsync();
        Assert.True(pipeline.UsesRawBinaryPath);
        Klog.Count(path); // whole, no damage
        Assert.Equal(20_000, Klog.Text(Klog.Decode(path, Messages)).Split('\n').Count(l => l.StartsWith("Order ", StringComparison.Ordinal)));
    }

    // ------------------------------------------------------------------ damage

    /// <summary>A finished file of <paramref name="records"/> benchmark records (and a few others).</summary>
    internal static async Task<byte[]> WriteSample(int records, int batch = 4096)
    {
        string path = Path.Combine(Klog.TempFolder(), "sample.klog");
        await using (var pipeline = Pipeline(new BinaryLogWriter(path)))
        {
            var logger = pipeline.CreateLogger("Sample");
            for (int i = 0; i < records; i++)
            {
                logger.Seq(1, i);
                if (i % 100 == 0) logger.Failed("sometimes", new TimeoutException("late " + i));
                if (i % 37 == 0) logger.Everything(i, i, i, i, true, "s", 'c', DateTime.UnixEpoch, DateTimeOffset.UnixEpoch, TimeSpan.Zero, Guid.Empty, Side.Buy, i, null,
                    DateOnly.MinValue, TimeOnly.MinValue, i, (Half)i);
                if (i % batch == 0) await pipeline.FlushAllAsync();
            }
        }
        return await File.ReadAllBytesAsync(path);
    }

    /// <summary>The frames of a file: (offset, total length, type).</summary>
    internal static List<(int Offset, int Length, byte Type)> Frames(byte[] file)
    {
        var frames = new List<(int, int, byte)>();
        for (int pos = 0; pos + KlogFormat.HeaderSize <= file.Length;)
        {
            int length = KlogFormat.HeaderSize + BinaryPrimitives.ReadInt32LittleEndian(file.AsSpan(pos + 8));
            frames.Add((pos, length, file[pos + 2]));
            pos += length;
        }
        return frames;
    }

    private static (long Records, KlogReader Reader) ReadAll(byte[] bytes)
    {
        var reader = new KlogReader(new MemoryStream(bytes), name: "test.klog");
        while (reader.MoveNext())
        {
        }
        return (reader.RecordsRead, reader);
    }

    [Fact]
    public async Task A_cut_tail_decodes_every_whole_frame_before_it()
    {
        byte[] file = await WriteSample(20_000);
        var frames = Frames(file);
        Assert.Equal(file.Length, frames[^1].Offset + frames[^1].Length);
        var (total, _) = ReadAll(file);
        var random = new Random(7);
        for (int round = 0; round < 200; round++)
        {
            int cut = random.Next(1, file.Length);
            // the records of the frames wholly before the cut
            long expected = 0;
            foreach (var f in frames)
                if (f.Offset + f.Length <= cut && f.Type == KlogFormat.RecordsFrame) expected += BinaryPrimitives.ReadInt32LittleEndian(file.AsSpan(f.Offset + 12));
            var (records, reader) = ReadAll(file[..cut]);
            Assert.Equal(expected, records);
            Assert.Empty(reader.Damage); // a cut tail is a frame still being written, not damage
            int lastWhole = frames.Where(f => f.Offset + f.Length <= cut).Select(f => f.Offset + f.Length).DefaultIfEmpty(0).Max();
            Assert.Equal(cut - lastWhole, reader.PendingBytes);
        }
        Assert.True(total > 20_000);
    }

    [Fact]
    public async Task A_damaged_middle_costs_its_frame_and_is_reported_with_the_bytes_skipped()
    {
        byte[] file = await WriteSample(20_000);
        var frames = Frames(file);
        var (total, _) = ReadAll(file);
        var records = frames.Where(f => f.Type == KlogFormat.RecordsFrame).ToList();
        var victim = records[records.Count / 2];
        int victimCount = BinaryPrimitives.ReadInt32LittleEndian(file.AsSpan(victim.Offset + 12));
        foreach (int where in new[] { 0, 1, 9, 17, KlogFormat.HeaderSize + 3, victim.Length / 2, victim.Length - 1 })
        {
            byte[] damaged = (byte[])file.Clone();
            damaged[victim.Offset + where] ^= 0x5A;
            var (read, reader) = ReadAll(damaged);
            Assert.Equal(total - victimCount, read);
            var damage = Assert.Single(reader.Damage);
            Assert.Equal(victim.Offset, damage.Offset);
            Assert.Equal(victim.Length, damage.Length);
            Assert.Equal(victim.Length, reader.SkippedBytes);
            Assert.False(string.IsNullOrEmpty(damage.Reason));
        }
        // garbage inserted between frames is skipped, and only it
        byte[] inserted = [.. file.AsSpan(0, victim.Offset), .. Enumerable.Range(0, 1000).Select(i => (byte)(i * 31 + 7)), .. file.AsSpan(victim.Offset)];
        var (all, r2) = ReadAll(inserted);
        Assert.Equal(total, all);
        Assert.Equal(1000, r2.SkippedBytes);
        // a run of zeros (a hole a crash left in a preallocated file) likewise
        byte[] zeros = (byte[])file.Clone();
        zeros.AsSpan(victim.Offset, victim.Length).Clear();
        var (z, r3) = ReadAll(zeros);
        Assert.Equal(total - victimCount, z);
        Assert.Equal(victim.Length, r3.SkippedBytes);
    }

    [Fact]
    public async Task A_newer_format_version_is_refused_with_a_clear_message()
    {
        byte[] file = await WriteSample(100);
        Assert.Equal(KlogFormat.HeaderFrame, file[2]);
        Assert.Equal(KlogFormat.FormatVersion, file[KlogFormat.HeaderSize]);
        file[KlogFormat.HeaderSize] = 2;
        KlogFormat.Seal(file); // a genuine version-2 header, not damage
        using var reader = new KlogReader(new MemoryStream(file), name: "future.klog");
        var e = Assert.Throws<KlogVersionException>(() => reader.MoveNext());
        Assert.Equal(2, e.Version);
        Assert.Equal(1, KlogVersionException.SupportedVersion);
        Assert.Contains("future.klog", e.Message, StringComparison.Ordinal);
        Assert.Contains("version 2", e.Message, StringComparison.Ordinal);
        Assert.Contains("update", e.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Frame_types_and_extension_bytes_unknown_to_this_reader_follow_the_compatibility_rule()
    {
        byte[] file = await WriteSample(3_000);
        var (total, _) = ReadAll(file);
        // a frame type added later in version 1: skipped whole, silently
        byte[] extra = new byte[KlogFormat.HeaderSize + 10];
        KlogFormat.WriteHeader(extra, (byte)'X', 1234, 10, 0);
        KlogFormat.Seal(extra);
        var frames = Frames(file);
        int at = frames[3].Offset;
        byte[] withExtra = [.. file.AsSpan(0, at), .. extra, .. file.AsSpan(at)];
        var (read, reader) = ReadAll(withExtra);
        Assert.Equal(total, read);
        Assert.Empty(reader.Damage);
        // a frame with flags this reader does not know: reported, skipped
        extra[3] = 1;
        KlogFormat.Seal(extra);
        byte[] flagged = [.. file.AsSpan(0, at), .. extra, .. file.AsSpan(at)];
        (read, reader) = ReadAll(flagged);
        Assert.Equal(total, read);
        Assert.Equal(extra.Length, Assert.Single(reader.Damage).Length);
    }
}

internal static partial class KlogTestLog
{
    [KakashiLog(LogLevel.Information, "Pad {Id} {Pad}")]
    public static partial void Padded(this KakashiLogger logger, int id, string pad);
}
