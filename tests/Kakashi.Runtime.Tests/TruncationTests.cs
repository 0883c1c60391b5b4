using System;
using System.Threading.Tasks;

namespace Kakashi.Runtime.Tests;

public class TruncationTests
{
    [Fact]
    public async Task A_100_KB_string_is_written_whole()
    {
        await using var log = new TempLog();
        string big = new string('x', 100 * 1024) + "end";
        log.Logger.Text(big);
        Assert.Equal(["Text " + big], await log.ReadLinesAsync());
        Assert.Equal(0, log.Pipeline.GetMetrics().LogsTruncated);
    }

    [Fact]
    public async Task A_record_larger_than_the_buffer_is_truncated_with_a_marker_and_counted()
    {
        await using var log = new TempLog(bufferSize: 16 * 1024);
        string big = new string('y', 20_000);
        log.Logger.Text(big);
        log.Logger.Int(1);
        var lines = await log.ReadLinesAsync();
        Assert.Equal(2, lines.Length);
        Assert.StartsWith("Text yyyy", lines[0], StringComparison.Ordinal);
        Assert.EndsWith("y…[truncated]", lines[0], StringComparison.Ordinal);
        Assert.True(lines[0].Length < 8 * 1024 + 20, "the record fits in half the buffer");
        Assert.Equal("Int 1", lines[1]);
        Assert.Equal(1, log.Pipeline.GetMetrics().LogsTruncated);
    }

    [Fact]
    public async Task Truncation_shares_the_cut_between_strings_and_keeps_surrogate_pairs_whole()
    {
        await using var log = new TempLog(bufferSize: 4096);
        string a = string.Concat(System.Linq.Enumerable.Repeat("😀", 3000));
        log.Logger.TwoStrings(a, "tail");
        var line = (await log.ReadLinesAsync())[0];
        Assert.DoesNotContain('\uFFFD', line);
        Assert.Contains("…[truncated]", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Records_that_wrap_around_the_ring_stay_intact()
    {
        await using var log = new TempLog(bufferSize: 4096);
        var expected = new string[3000];
        for (int i = 0; i < expected.Length; i++)
        {
            string text = new string((char)('a' + i % 26), i % 300);
            log.Logger.Text(text);
            expected[i] = "Text " + text;
        }
        Assert.Equal(expected, await log.ReadLinesAsync());
    }
}
