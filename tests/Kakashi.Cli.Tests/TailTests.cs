using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;

namespace Kakashi.Cli.Tests;

/// <summary>kakashi tail: the last N records, then following a file a pipeline is writing, across rolled files.</summary>
public sealed class TailTests
{
    private const string Messages = "{Message}{NewLine}";
    private static readonly CliEnvironment s_fast = new() { FollowInterval = TimeSpan.FromMilliseconds(20) };

    private static string[] Seq(string source, int from, int count) => Enumerable.Range(from, count).Select(i => $"Seq {source} {i}").ToArray();

    [Fact]
    public async Task Tail_prints_the_last_N_records_that_pass_the_filters()
    {
        string folder = Klogs.TempFolder();
        string path = Path.Combine(folder, "app.klog");
        await Klogs.WriteAsync(path, p =>
        {
            var l = p.CreateLogger("Tail");
            for (int i = 0; i < 50; i++) l.Seq("s", i);
        });
        Assert.Equal(Seq("s", 40, 10), Klogs.Lines(CliRunner.Run("tail", "--template", Messages, path).Output));
        Assert.Equal(Seq("s", 47, 3), Klogs.Lines(CliRunner.Run("tail", "-n", "3", "-t", Messages, path).Output));
        Assert.Equal(Seq("s", 47, 3), Klogs.Lines(CliRunner.Run("tail", "-n3", "-t", Messages, path).Output));
        Assert.Equal(Seq("s", 0, 50), Klogs.Lines(CliRunner.Run("tail", "-n", "1000", "-t", Messages, path).Output));
        Assert.Empty(CliRunner.Run("tail", "-n", "0", path).Stdout);
        Assert.Equal(Seq("s", 40, 5), Klogs.Lines(CliRunner.Run("tail", "-n", "5", "--grep", "[0-4]$", "-t", Messages, path).Output));
        // the default format is decode's
        var text = CliRunner.Run("tail", "-n", "1", path);
        Assert.Equal(0, text.ExitCode);
        Assert.Matches(@"^20\d\d-\d\d-\d\dT[0-9:.]+Z \[Information\] Tail: Seq s 49\n$", text.Output);
        Assert.Equal(1, CliRunner.Run("tail", "-n", "many", path).ExitCode);
        Assert.Equal(1, CliRunner.Run("tail", path, path).ExitCode);
        Directory.Delete(folder, recursive: true);
    }

    [Fact]
    public async Task Tail_f_prints_records_as_a_pipeline_writes_them_and_ends_with_0_when_cancelled()
    {
        string folder = Klogs.TempFolder();
        string path = Path.Combine(folder, "live.klog");
        await using var pipeline = Klogs.Pipeline(path);
        var logger = pipeline.CreateLogger("Live");
        for (int i = 0; i < 5; i++) logger.Seq("live", i);
        await pipeline.FlushAllAsync();

        var stdout = new SharedOutput();
        var stderr = new StringWriter();
        using var cancel = new CancellationTokenSource();
        var run = CliRunner.Start(stdout, stderr, s_fast, cancel.Token, "tail", "-n", "2", "-f", "-t", Messages, path);
        Assert.True(await CliRunner.Until(() => Klogs.Lines(stdout.Text).Length >= 2, TimeSpan.FromSeconds(10)), stdout.Text + stderr);
        for (int i = 5; i < 25; i++)
        {
            logger.Seq("live", i);
            if (i % 4 == 0) await pipeline.FlushAllAsync();
        }
        await pipeline.FlushAllAsync();
        Assert.True(await CliRunner.Until(() => Klogs.Lines(stdout.Text).Length >= 22, TimeSpan.FromSeconds(10)), stdout.Text + stderr);
        Assert.False(run.IsCompleted, "tail -f ended by itself");
        cancel.Cancel();
        Assert.Equal(0, await run.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(Seq("live", 3, 22), Klogs.Lines(stdout.Text));
        Assert.Equal("", stderr.ToString());
        await pipeline.DisposeAsync();
        Directory.Delete(folder, recursive: true);
    }

    [Fact]
    public async Task Tail_f_follows_across_rolled_files_in_order_losing_and_repeating_nothing()
    {
        string folder = Klogs.TempFolder();
        string path = Path.Combine(folder, "app.klog");
        var writer = new BinaryLogWriter(path) { FileSizeLimitBytes = 1024, RollOnFileSizeLimit = true, RetainedFileCountLimit = null };
        await using var pipeline = Klogs.Pipeline(writer);
        var logger = pipeline.CreateLogger("Roll");
        for (int i = 0; i < 3; i++) logger.Seq("r", i);
        await pipeline.FlushAllAsync();

        var stdout = new SharedOutput();
        var stderr = new StringWriter();
        using var cancel = new CancellationTokenSource();
        var run = CliRunner.Start(stdout, stderr, s_fast, cancel.Token, "tail", "-f", "-t", Messages, path);
        Assert.True(await CliRunner.Until(() => Klogs.Lines(stdout.Text).Length >= 3, TimeSpan.FromSeconds(10)), stdout.Text + stderr);
        const int total = 400;
        for (int i = 3; i < total; i++)
        {
            logger.Seq("r", i);
            if (i % 10 == 0)
            {
                await pipeline.FlushAllAsync();
                if (i % 50 == 0) await Task.Delay(30); // let the follower catch up now and then, and fall behind other times
            }
        }
        await pipeline.FlushAllAsync();
        Assert.True(await CliRunner.Until(() => Klogs.Lines(stdout.Text).Length >= total, TimeSpan.FromSeconds(15)), $"{Klogs.Lines(stdout.Text).Length} lines; {stderr}");
        await Task.Delay(100); // anything more (a record twice) would arrive now
        cancel.Cancel();
        Assert.Equal(0, await run.WaitAsync(TimeSpan.FromSeconds(10)));
        await pipeline.DisposeAsync();

        var files = Directory.GetFiles(folder, "app*.klog").Order(StringComparer.Ordinal).ToArray();
        Assert.True(files.Length >= 5, $"the writer rolled {files.Length - 1} times only: {string.Join(", ", files)}");
        Assert.True(writer.RollCount >= 4, $"{writer.RollCount} rolls");
        Assert.Equal(Seq("r", 0, total), Klogs.Lines(stdout.Text));
        Assert.Equal("", stderr.ToString());

        // tail -n of the base path: the newest file holds fewer than N records, the rest come from the files before it
        var last = CliRunner.Run("tail", "-n", "250", "-t", Messages, path);
        Assert.True(last.ExitCode == 0, last.ToString());
        Assert.Equal(Seq("r", total - 250, 250), Klogs.Lines(last.Output));
        // a rolled file named explicitly: its own last records
        var second = CliRunner.Run("decode", "-t", Messages, files[1]);
        var secondTail = CliRunner.Run("tail", "-n", "2", "-t", Messages, files[1]);
        Assert.Equal(Klogs.Lines(second.Output)[^2..], Klogs.Lines(secondTail.Output));
        Directory.Delete(folder, recursive: true);
    }

    [Fact]
    public async Task Tail_f_of_standard_input_reads_to_its_end_and_stops()
    {
        string folder = Klogs.TempFolder();
        string path = Path.Combine(folder, "app.klog");
        await Klogs.WriteAsync(path, p =>
        {
            var l = p.CreateLogger("Stdin");
            for (int i = 0; i < 30; i++) l.Seq("in", i);
        });
        using var stdin = new MemoryStream(File.ReadAllBytes(path));
        var result = await Task.Run(() => CliRunner.Run(stdin, s_fast, default, "tail", "-f", "-n", "4", "-t", Messages, "-")).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(0, result.ExitCode);
        Assert.Equal(Seq("in", 26, 4), Klogs.Lines(result.Output));
        Directory.Delete(folder, recursive: true);
    }
}

/// <summary>
/// kakashi tail -n reads a large file from near its end: a first pass walks the frames without decoding a record, the
/// second decodes only the last frames (<see cref="KlogReader.ScanRecordFrames"/>, <see cref="KlogReader.SkipRecordsBefore"/>),
/// and prints exactly what the end of a full decode prints, filters, sessions and damage included.
/// </summary>
public sealed class TailFromTheEndTests : IDisposable
{
    private const string Messages = "{Level:u3} {Category} {ThreadName} {Message}{NewLine}";
    private readonly string _folder = Klogs.TempFolder();

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    /// <summary>Two sessions in one file (a restart continuing it), each with every kind of record: many frames.</summary>
    private async Task<string> TwoSessionsAsync()
    {
        string path = Path.Combine(_folder, "app.klog");
        await Klogs.WriteAsync(path, p => Klogs.LogVariety(p, 6_000));
        await Klogs.WriteAsync(path, p =>
        {
            Klogs.LogVariety(p, 3_000);
            var l = p.CreateLogger("Late.Category"); // metadata first written near the end
            for (int i = 0; i < 5; i++) l.Seq("late", i);
        });
        return path;
    }

    private static string[] LastLines(CliResult decode, int n)
    {
        string[] lines = Klogs.Lines(decode.Output);
        return lines[Math.Max(0, lines.Length - n)..];
    }

    [Fact]
    public async Task The_reader_lists_every_records_frame_and_decodes_only_the_frames_from_an_offset()
    {
        string path = await TwoSessionsAsync();
        long total = Klogs.VarietyCount(6_000) + Klogs.VarietyCount(3_000) + 5;
        IReadOnlyList<KlogRecordFrame> frames;
        using (var scan = KlogReader.Open(path))
        {
            frames = scan.ScanRecordFrames();
            Assert.False(scan.MoveNext()); // at the end: nothing was left to decode
            Assert.Equal(0, scan.RecordsRead);
            Assert.Equal(total, scan.RecordsSkipped);
        }
        Assert.True(frames.Count >= 20, $"{frames.Count} frames");
        Assert.Equal(total, frames.Sum(f => (long)f.Records));
        for (int i = 1; i < frames.Count; i++) Assert.True(frames[i].Offset > frames[i - 1].Offset);

        var formatter = new TextFormatter(Messages);
        string[] all = Klogs.Lines(System.Text.Encoding.UTF8.GetString(Klogs.DecodeWithRuntime(path, formatter)));
        Assert.Equal(total, all.Length);
        foreach (int from in new[] { 1, frames.Count / 3, frames.Count - 2, frames.Count - 1 })
        {
            using var reader = KlogReader.Open(path);
            reader.SkipRecordsBefore = frames[from].Offset;
            var output = new System.Buffers.ArrayBufferWriter<byte>();
            while (reader.MoveNext())
            {
                var w = new Utf8Writer(output);
                formatter.Format(reader.Current, ref w);
                w.Commit();
            }
            long tail = frames.Skip(from).Sum(f => (long)f.Records);
            Assert.Equal(tail, reader.RecordsRead);
            Assert.Equal(total - tail, reader.RecordsSkipped);
            Assert.Empty(reader.Damage);
            Assert.Equal(all[(int)(total - tail)..], Klogs.Lines(System.Text.Encoding.UTF8.GetString(output.WrittenSpan)));
        }
    }

    [Fact]
    public async Task Tail_n_prints_what_a_full_decode_ends_with_with_and_without_filters()
    {
        string path = await TwoSessionsAsync();
        foreach (string[] filter in new[] { Array.Empty<string>(), ["--level", "Critical"], ["--category", "Late.Category"], ["--grep", "named-thread"], ["--level", "Error", "--grep", "Settlement of 1"] })
        {
            var decode = CliRunner.Run([.. new[] { "decode", "-t", Messages }, .. filter, path]);
            Assert.Equal(0, decode.ExitCode);
            foreach (int n in new[] { 1, 7, 100, 5_000, 1_000_000 })
            {
                var tail = CliRunner.Run([.. new[] { "tail", "-n", n.ToString(System.Globalization.CultureInfo.InvariantCulture), "-t", Messages }, .. filter, path]);
                Assert.True(tail.ExitCode == 0, tail.ToString());
                Assert.Equal("", tail.Stderr);
                Assert.Equal(LastLines(decode, n), Klogs.Lines(tail.Output));
            }
        }
    }

    [Fact]
    public async Task Tail_n_does_not_decode_the_frames_before_the_last_records()
    {
        string path = await TwoSessionsAsync();
        byte[] bytes = File.ReadAllBytes(path);
        // an early frame of records made undecodable behind a valid checksum: only decoding it can tell
        var early = KlogFrames.Read(bytes).Where(f => f.Type == 'R').Skip(2).First();
        int prologue = 8 + Kakashi.Clock.ClockCalibration.Size;
        bytes.AsSpan(early.Offset + 20 + prologue, 64).Fill(0xFF);
        KlogFrames.Seal(bytes, early);
        File.WriteAllBytes(path, bytes);

        var decode = CliRunner.Run("decode", "-t", Messages, path);
        Assert.Equal(3, decode.ExitCode); // the damage is real
        Assert.Contains($"at offset {early.Offset + 20 + prologue}", decode.Stderr);
        var tail = CliRunner.Run("tail", "-n", "50", "-t", Messages, path);
        Assert.True(tail.ExitCode == 0 && tail.Stderr.Length == 0, tail.ToString());
        Assert.Equal(LastLines(decode, 50), Klogs.Lines(tail.Output));
    }

    [Fact]
    public async Task Damage_is_reported_once_however_far_back_the_filters_make_tail_n_look()
    {
        string path = await TwoSessionsAsync();
        byte[] bytes = File.ReadAllBytes(path);
        var hit = KlogFrames.Read(bytes).Where(f => f.Type == 'R').Skip(1).First();
        bytes[hit.Offset + 30] ^= 0x5A; // a wrong checksum: found by every pass, reported by one
        File.WriteAllBytes(path, bytes);

        string[] filter = ["--grep", "Seq variety 1[0-9]$"]; // 10 records, all in the first session: the passes go back 4x each time
        var decode = CliRunner.Run([.. new[] { "decode", "-t", Messages }, .. filter, path]);
        Assert.Equal(3, decode.ExitCode);
        var tail = CliRunner.Run([.. new[] { "tail", "-n", "8", "-t", Messages }, .. filter, path]);
        Assert.Equal(3, tail.ExitCode);
        Assert.Equal(LastLines(decode, 8), Klogs.Lines(tail.Output));
        string expected = $"{path}: skipped {20 + hit.BodyLength} bytes at offset {hit.Offset}: a frame whose checksum does not match\n";
        Assert.Equal(expected, tail.Stderr.ReplaceLineEndings("\n"));
    }
}
