using System;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;

namespace Kakashi.Cli.Tests;

/// <summary>kakashi decode of several files: one stream in timestamp order, every record of every file once.</summary>
public sealed class MergeTests
{
    [Fact]
    public async Task Two_files_of_two_pipelines_with_interleaved_timestamps_merge_in_order_with_nothing_lost()
    {
        string folder = Klogs.TempFolder();
        string a = Path.Combine(folder, "a.klog"), b = Path.Combine(folder, "b.klog");
        const int n = 300;
        await using (var pa = Klogs.Pipeline(a))
        await using (var pb = Klogs.Pipeline(b))
        {
            var la = pa.CreateLogger("A");
            var lb = pb.CreateLogger("B");
            // A0 B0 A1 B1 ...: each call at least 50 µs after the one before (one thread; the two pipelines convert the same
            // clock with calibrations of their own, whose anchors differ by a few µs: 2 µs apart, CI saw A1 and B1 swap),
            // with an extra record in A every fifth round
            for (int i = 0; i < n; i++)
            {
                la.Seq("a", i);
                Later();
                lb.Seq("b", i);
                Later();
                if (i % 5 == 0)
                {
                    la.Seq("a-extra", i);
                    Later();
                }
            }
            await pa.FlushAllAsync();
            await pb.FlushAllAsync();
        }
        var result = CliRunner.Run("decode", "--template", "{Timestamp:O} {Message}{NewLine}", b, a);
        Assert.True(result.ExitCode == 0, result.ToString());
        var lines = Klogs.Lines(result.Output);
        var times = lines.Select(l => DateTime.Parse(l[..l.IndexOf(' ', StringComparison.Ordinal)], CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind)).ToArray();
        for (int i = 1; i < times.Length; i++) Assert.True(times[i - 1] <= times[i], $"line {i} is earlier than the one before:\n{lines[i - 1]}\n{lines[i]}");

        // nothing lost, nothing twice: exactly the calls made, in the order they were made
        var expected = Enumerable.Range(0, n).SelectMany(i => i % 5 == 0
            ? new[] { $"Seq a {i}", $"Seq b {i}", $"Seq a-extra {i}" }
            : new[] { $"Seq a {i}", $"Seq b {i}" }).ToArray();
        var messages = lines.Select(l => l[(l.IndexOf(' ', StringComparison.Ordinal) + 1)..]).ToArray();
        Assert.Equal(expected.Length, messages.Length);
        Assert.Equal(expected, messages);
        Directory.Delete(folder, recursive: true);
    }

    private static void Later(int microseconds = 50)
    {
        long start = Stopwatch.GetTimestamp();
        while (Stopwatch.GetElapsedTime(start) < TimeSpan.FromMicroseconds(microseconds))
        {
        }
    }

    [Fact]
    public async Task The_same_file_twice_merges_record_by_record_ties_side_by_side_and_filters_apply_over_the_merge()
    {
        string folder = Klogs.TempFolder();
        string a = Path.Combine(folder, "a.klog"), copy = Path.Combine(folder, "copy.klog");
        await Klogs.WriteAsync(a, p =>
        {
            var l = p.CreateLogger("Ties");
            for (int i = 0; i < 50; i++)
            {
                l.Seq("t", i);
                Later();
            }
        });
        File.Copy(a, copy);
        // the same records twice: every record ties with its copy and nothing else; the merge goes record by record
        // (not file after file), each file in its own order
        var result = CliRunner.Run("decode", "--template", "{Category} {Message}{NewLine}", a, copy);
        Assert.True(result.ExitCode == 0, result.ToString());
        var expected = Enumerable.Range(0, 50).SelectMany(i => new[] { $"Ties Seq t {i}", $"Ties Seq t {i}" });
        Assert.Equal(expected, Klogs.Lines(result.Output));
        // with filters, over the merge
        var filtered = CliRunner.Run("decode", "--template", "{Message}{NewLine}", "--grep", " 4[0-9]$", a, copy);
        Assert.Equal(Enumerable.Range(40, 10).SelectMany(i => new[] { $"Seq t {i}", $"Seq t {i}" }), Klogs.Lines(filtered.Output));
        Directory.Delete(folder, recursive: true);
    }
}
