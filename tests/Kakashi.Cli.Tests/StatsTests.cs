using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.Json;
using System.Threading.Tasks;

namespace Kakashi.Cli.Tests;

/// <summary>kakashi stats: its numbers against what was logged (<see cref="Klogs.LogVariety"/>, 40 rounds).</summary>
public sealed class StatsTests(FilterFile file) : IClassFixture<FilterFile>
{
    // what LogVariety(40) logs
    private static readonly Dictionary<string, long> s_levels = new()
    {
        ["Trace"] = 40, ["Debug"] = 40, ["Information"] = 121, ["Warning"] = 40, ["Error"] = 40, ["Critical"] = 4,
    };
    private static readonly Dictionary<string, long> s_templates = new()
    {
        ["Order {OrderId} filled {Quantity} at {Price} for {Symbol}"] = 80, ["Heartbeat {Seq}"] = 40, ["Tick {Bid}/{Ask}"] = 40,
        ["Order {OrderId} rejected: {Reason}"] = 40, ["Settlement of {OrderId} failed"] = 40, ["Trading halted on {Venue}"] = 4, ["Seq {Source} {Index}"] = 41,
    };
    private static readonly Dictionary<string, long> s_categories = new()
    {
        ["Orders.Engine"] = 81, ["Orders.Book"] = 80, ["Risk.Limits"] = 44, ["Market.Data"] = 80,
    };

    [Fact]
    public void Json_stats_count_what_was_logged()
    {
        var result = CliRunner.Run("stats", "--json", file.Klog);
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("", result.Stderr);
        using var json = JsonDocument.Parse(result.Stdout);
        var root = json.RootElement;
        Assert.Equal(285, root.GetProperty("records").GetInt64());
        foreach (var (level, count) in s_levels) Assert.Equal(count, root.GetProperty("levels").GetProperty(level).GetInt64());
        var templates = root.GetProperty("templates").EnumerateArray().ToDictionary(t => t.GetProperty("message").GetString()!, t => t.GetProperty("records").GetInt64());
        Assert.Equal(s_templates.OrderBy(k => k.Key, StringComparer.Ordinal), templates.OrderBy(k => k.Key, StringComparer.Ordinal));
        var rejected = root.GetProperty("templates").EnumerateArray().Single(t => t.GetProperty("eventId").GetInt32() == 3001);
        Assert.Equal("Rejected", rejected.GetProperty("eventName").GetString());
        Assert.Equal("Kakashi.Cli.Tests.CliLog.OrderRejected", rejected.GetProperty("method").GetString());
        var categories = root.GetProperty("categories").EnumerateArray().ToDictionary(c => c.GetProperty("name").GetString()!, c => c.GetProperty("records").GetInt64());
        Assert.Equal(s_categories.OrderBy(k => k.Key, StringComparer.Ordinal), categories.OrderBy(k => k.Key, StringComparer.Ordinal));

        // times: the first and last record's (the rows decoded in the fixture), the span between them, the rate over it
        var first = file.Rows.Min(r => r.Timestamp);
        var last = file.Rows.Max(r => r.Timestamp);
        Assert.Equal(first, root.GetProperty("first").GetDateTime().ToUniversalTime());
        Assert.Equal(last, root.GetProperty("last").GetDateTime().ToUniversalTime());
        Assert.Equal((last - first).TotalSeconds, root.GetProperty("spanSeconds").GetDouble(), 9);
        Assert.Equal(285 / (last - first).TotalSeconds, root.GetProperty("recordsPerSecond").GetDouble(), 3);

        // bytes: the file's
        long length = new FileInfo(file.Klog).Length;
        Assert.Equal(length, root.GetProperty("bytes").GetInt64());
        Assert.Equal(length / 285.0, root.GetProperty("bytesPerRecord").GetDouble(), 6);
        Assert.Equal(0, root.GetProperty("skippedBytes").GetInt64());
        Assert.Empty(root.GetProperty("damage").EnumerateArray());
        var f = root.GetProperty("files")[0];
        Assert.Equal(file.Klog, f.GetProperty("name").GetString());
        Assert.Equal(1, f.GetProperty("formatVersion").GetInt32());
        Assert.Equal(Environment.MachineName, f.GetProperty("header").GetProperty("machine").GetString());
        Assert.Equal(Environment.ProcessId.ToString(CultureInfo.InvariantCulture), f.GetProperty("header").GetProperty("process.id").GetString());
    }

    [Fact]
    public void Text_stats_are_aligned_tables_of_the_same_numbers()
    {
        var result = CliRunner.Run("stats", file.Klog);
        Assert.True(result.ExitCode == 0, result.ToString());
        string[] lines = result.Output.Split('\n');
        Assert.Contains(lines, l => System.Text.RegularExpressions.Regex.IsMatch(l, @"^  Records +285$"));
        Assert.Contains(lines, l => System.Text.RegularExpressions.Regex.IsMatch(l, @"^  Damage +none$"));
        foreach (var (level, count) in s_levels)
            Assert.Contains(lines, l => System.Text.RegularExpressions.Regex.IsMatch(l, $@"^  {level} +{count} +{(100.0 * count / 285).ToString("F1", CultureInfo.InvariantCulture)}%$"));
        foreach (var (category, count) in s_categories)
            Assert.Contains(lines, l => System.Text.RegularExpressions.Regex.IsMatch(l, $@"^ +{count} +[0-9.]+% +{System.Text.RegularExpressions.Regex.Escape(category)}$"));
        // the level column is aligned: every count ends in the same column
        var levelLines = lines.SkipWhile(l => l != "Levels").Skip(1).TakeWhile(l => l.Length > 0).ToArray();
        Assert.Equal(6, levelLines.Length);
        Assert.Single(levelLines.Select(l => l.Length).Distinct());
        var templateLines = lines.SkipWhile(l => l != "Templates").Skip(1).TakeWhile(l => l.Length > 0).ToArray();
        Assert.Equal(1 + s_templates.Count, templateLines.Length);
        Assert.Contains(templateLines, l => l.Contains("OrderFilled", StringComparison.Ordinal) && l.TrimStart().StartsWith("80 ", StringComparison.Ordinal));
    }

    [Fact]
    public void Stats_count_only_what_passes_the_filters()
    {
        var result = CliRunner.Run("stats", "--json", "--level", "Error", file.Klog);
        using var json = JsonDocument.Parse(result.Stdout);
        Assert.Equal(44, json.RootElement.GetProperty("records").GetInt64());
        Assert.Equal(0, json.RootElement.GetProperty("levels").GetProperty("Warning").GetInt64());
        var grep = CliRunner.Run("stats", "--json", "--grep", "insufficient margin", file.Klog);
        using var grepJson = JsonDocument.Parse(grep.Stdout);
        Assert.Equal(file.Rows.Count(r => r.Message.Contains("insufficient margin", StringComparison.Ordinal)), grepJson.RootElement.GetProperty("records").GetInt64());
    }

    [Fact]
    public async Task Stats_of_two_files_add_up()
    {
        string folder = Klogs.TempFolder();
        string other = Path.Combine(folder, "other.klog");
        await Klogs.WriteAsync(other, p => Klogs.LogVariety(p, 10));
        var result = CliRunner.Run("stats", "--json", file.Klog, other);
        using var json = JsonDocument.Parse(result.Stdout);
        Assert.Equal(285 + Klogs.VarietyCount(10), json.RootElement.GetProperty("records").GetInt64());
        Assert.Equal(2, json.RootElement.GetProperty("files").GetArrayLength());
        Assert.Equal(new FileInfo(file.Klog).Length + new FileInfo(other).Length, json.RootElement.GetProperty("bytes").GetInt64());
        Directory.Delete(folder, recursive: true);
    }
}
