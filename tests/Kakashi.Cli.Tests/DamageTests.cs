using System;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.RegularExpressions;
using System.Threading.Tasks;

namespace Kakashi.Cli.Tests;

/// <summary>A cut tail, a damaged middle and a newer format version: what is printed, what is reported, the exit code.</summary>
public sealed class DamageTests : IAsyncLifetime
{
    private const string Messages = "{Message}{NewLine}";
    private readonly string _folder = Klogs.TempFolder();
    private string Original => Path.Combine(_folder, "original.klog");
    private string[] _all = [];

    public async Task InitializeAsync()
    {
        await Klogs.WriteAsync(Original, p =>
        {
            var l = p.CreateLogger("Damage");
            for (int i = 0; i < 20_000; i++) l.Seq("d", i);
        });
        _all = Klogs.Lines(CliRunner.Run("decode", "-t", Messages, Original).Output);
        // every record logged (and perhaps the pipeline's own kakashi.backpressure warning, when the burst filled its ring)
        Assert.Equal(20_000, _all.Count(l => l.StartsWith("Seq d ", StringComparison.Ordinal)));
    }

    public Task DisposeAsync()
    {
        Directory.Delete(_folder, recursive: true);
        return Task.CompletedTask;
    }

    private string Variant(string name, Action<byte[]> change)
    {
        byte[] bytes = File.ReadAllBytes(Original);
        change(bytes);
        string path = Path.Combine(_folder, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    [Fact]
    public void A_file_cut_mid_frame_decodes_everything_before_the_cut_and_exits_0()
    {
        byte[] bytes = File.ReadAllBytes(Original);
        var records = KlogFrames.Read(bytes).Where(f => f.Type == 'R').ToList();
        Assert.True(records.Count >= 4, $"{records.Count} record frames: too few to cut one in the middle");
        var cut = records[^2];
        int at = cut.Offset + 20 + cut.BodyLength / 2;
        string path = Path.Combine(_folder, "cut.klog");
        File.WriteAllBytes(path, bytes[..at]);

        var result = CliRunner.Run("decode", "-t", Messages, path);
        Assert.True(result.ExitCode == 0, result.ToString());
        int before = records.TakeWhile(f => f.Offset < cut.Offset).Sum(f => f.Count);
        Assert.Equal(_all[..before], Klogs.Lines(result.Output));
        // what the runtime's reader gives is what the tool printed
        Assert.Equal(Klogs.DecodeWithRuntime(path, new TextFormatter(Messages)), result.Stdout);
        Assert.Matches($"^{Regex.Escape(path)}: the last {at - cut.Offset} bytes \\(from offset {cut.Offset}\\) are an incomplete frame", result.Stderr);
    }

    [Fact]
    public void A_damaged_middle_is_skipped_and_reported_decoding_goes_on_and_exits_3()
    {
        var frames = KlogFrames.Read(File.ReadAllBytes(Original));
        var records = frames.Where(f => f.Type == 'R').ToList();
        var hit = records[records.Count / 2];
        string path = Variant("damaged.klog", b =>
        {
            for (int i = 0; i < 8; i++) b[hit.Offset + 20 + hit.BodyLength / 2 + i] ^= 0x5A;
        });

        var result = CliRunner.Run("decode", "-t", Messages, path);
        Assert.Equal(3, result.ExitCode);
        int before = records.TakeWhile(f => f.Offset < hit.Offset).Sum(f => f.Count);
        var expected = _all[..before].Concat(_all[(before + hit.Count)..]).ToArray();
        Assert.Equal(expected, Klogs.Lines(result.Output));
        Assert.Equal($"{path}: skipped {20 + hit.BodyLength} bytes at offset {hit.Offset}: a frame whose checksum does not match\n", result.Stderr.ReplaceLineEndings("\n"));

        // stats counts it too
        var stats = CliRunner.Run("stats", "--json", path);
        Assert.Equal(3, stats.ExitCode);
        using var json = System.Text.Json.JsonDocument.Parse(stats.Stdout);
        Assert.Equal(20 + hit.BodyLength, json.RootElement.GetProperty("skippedBytes").GetInt64());
        Assert.Equal(expected.Length, json.RootElement.GetProperty("records").GetInt64());
        Assert.Equal("a frame whose checksum does not match", json.RootElement.GetProperty("damage")[0].GetProperty("reason").GetString());
    }

    [Fact]
    public void A_newer_format_version_is_refused_naming_the_file_and_versions_with_exit_4()
    {
        string path = Variant("v99.klog", b =>
        {
            var header = KlogFrames.Read(b)[0];
            Assert.Equal('H', header.Type);
            b[header.Offset + 20] = 99; // the header body's first byte: the format version
            KlogFrames.Seal(b, header);
        });
        // the file is well-formed (its CRC matches): the runtime's reader refuses it for its version alone
        using (var reader = KlogReader.Open(path))
            Assert.Equal(99, Assert.Throws<KlogVersionException>(() => reader.MoveNext()).Version);

        var result = CliRunner.Run("decode", path);
        Assert.Equal(4, result.ExitCode);
        Assert.Empty(result.Stdout);
        Assert.Contains(path, result.Stderr, StringComparison.Ordinal);
        Assert.Contains("version 99", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("reads version 1", result.Stderr, StringComparison.Ordinal);

        // beside a good file: the good one is decoded, and the exit code still says 4
        var merged = CliRunner.Run("decode", "-t", Messages, Original, path);
        Assert.Equal(4, merged.ExitCode);
        Assert.Equal(_all, Klogs.Lines(merged.Output));
        Assert.Equal(4, CliRunner.Run("stats", path).ExitCode);
        Assert.Equal(4, CliRunner.Run("tail", path).ExitCode);
    }

    [Fact]
    public void Exit_codes_rank_a_newer_version_over_a_missing_file_over_damage()
    {
        string damaged = Variant("damaged-rank.klog", b => b[b.Length / 2] ^= 0xFF);
        string v99 = Variant("v99-rank.klog", b =>
        {
            var header = KlogFrames.Read(b)[0];
            b[header.Offset + 20] = 99;
            KlogFrames.Seal(b, header);
        });
        string missing = Path.Combine(_folder, "missing.klog");
        Assert.Equal(3, CliRunner.Run("decode", damaged).ExitCode);
        Assert.Equal(2, CliRunner.Run("decode", damaged, missing).ExitCode);
        Assert.Equal(4, CliRunner.Run("decode", damaged, missing, v99).ExitCode);
        var result = CliRunner.Run("decode", "-t", Messages, missing, Original);
        Assert.Equal(2, result.ExitCode);
        Assert.Equal(_all, Klogs.Lines(result.Output)); // the readable file is still decoded
        Assert.Equal($"kakashi: {missing}: no such file\n", result.Stderr.ReplaceLineEndings("\n"));
        Assert.Equal(Encoding.UTF8.GetBytes(string.Join("\n", _all) + "\n"), CliRunner.Run("decode", "-t", Messages, Original).Stdout);
    }
}
