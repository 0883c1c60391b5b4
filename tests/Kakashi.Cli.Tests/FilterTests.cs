using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using System.Threading.Tasks;
using Microsoft.Extensions.Time.Testing;

namespace Kakashi.Cli.Tests;

/// <summary>A file of every kind of record, decoded once unfiltered into rows the filter tests compute their expectations from.</summary>
public sealed class FilterFile : IAsyncLifetime
{
    public const string RowTemplate = "{Timestamp:O}|{Level}|{Category}|{EventId}|{EventName}|{Message}{NewLine}";

    public string Folder { get; } = Klogs.TempFolder();
    public string Klog => Path.Combine(Folder, "filters.klog");
    public List<Row> Rows { get; private set; } = [];

    public async Task InitializeAsync()
    {
        await Klogs.WriteAsync(Klog, p => Klogs.LogVariety(p, 40));
        var all = CliRunner.Run("decode", "--template", RowTemplate, Klog);
        Assert.Equal(0, all.ExitCode);
        Rows = Klogs.Lines(all.Output).Select(Row.Parse).ToList();
        Assert.Equal(Klogs.VarietyCount(40), Rows.Count);
    }

    public Task DisposeAsync()
    {
        Directory.Delete(Folder, recursive: true);
        return Task.CompletedTask;
    }
}

public sealed record Row(string Line, DateTime Timestamp, string Level, string Category, int EventId, string EventName, string Message)
{
    public static Row Parse(string line)
    {
        var p = line.Split('|', 6);
        return new Row(line, DateTime.Parse(p[0], CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind).ToUniversalTime(), p[1], p[2], int.Parse(p[3], CultureInfo.InvariantCulture), p[4], p[5]);
    }

    public int LevelValue => Array.IndexOf(["Trace", "Debug", "Information", "Warning", "Error", "Critical"], Level);
}

/// <summary>Each filter of decode (and tail, which shares them), alone and combined, against an independent computation on the unfiltered output.</summary>
public sealed class FilterTests(FilterFile file) : IClassFixture<FilterFile>
{
    private List<string> Decode(params string[] filters) => Decode(null, filters);

    private List<string> Decode(CliEnvironment? environment, params string[] filters)
    {
        var result = CliRunner.Run(null, environment, default, ["decode", "--template", FilterFile.RowTemplate, .. filters, file.Klog]);
        Assert.True(result.ExitCode == 0, result.ToString());
        return [.. Klogs.Lines(result.Output)];
    }

    private List<string> Expected(Func<Row, bool> keep) => file.Rows.Where(keep).Select(r => r.Line).ToList();

    private void Same(List<string> expected, List<string> actual)
    {
        Assert.NotEmpty(expected);
        Assert.True(expected.Count < file.Rows.Count, "the filter keeps everything: the test proves nothing");
        Assert.Equal(expected, actual);
    }

    [Theory]
    [InlineData("Warning", 3)]
    [InlineData("wrn", 3)]
    [InlineData("ERROR", 4)]
    [InlineData("crt", 5)]
    [InlineData("Debug", 1)]
    public void Level_is_a_minimum_in_any_of_its_spellings(string level, int minimum)
    {
        var expected = Expected(r => r.LevelValue >= minimum);
        if (minimum > 1) Same(expected, Decode("--level", level));
        else Assert.Equal(expected, Decode("-l", level));
    }

    [Fact]
    public void Category_is_a_case_insensitive_prefix_with_wildcards_and_repeats_as_any_of()
    {
        Same(Expected(r => r.Category.StartsWith("Orders.", StringComparison.Ordinal)), Decode("--category", "orders."));
        Same(Expected(r => r.Category is "Orders.Book" or "Market.Data"), Decode("-c", "Orders.B", "--category", "Market"));
        Same(Expected(r => r.Category.EndsWith(".Limits", StringComparison.Ordinal)), Decode("--category", "*.Limits"));
        Assert.Empty(Decode("--category", "Nothing.Here"));
    }

    [Fact]
    public void Event_matches_ids_and_names_and_repeats_as_any_of()
    {
        Same(Expected(r => r.EventId == 3001), Decode("--event", "3001"));
        Same(Expected(r => r.EventName == "Rejected"), Decode("--event", "rejected"));
        Same(Expected(r => r.EventId is 4001 or 5001), Decode("-e", "4001", "-e", "Halted"));
    }

    [Fact]
    public void Since_and_until_take_ISO_times_with_since_inclusive_and_until_exclusive()
    {
        var rows = file.Rows;
        var from = rows[rows.Count / 3].Timestamp;
        var to = rows[2 * rows.Count / 3].Timestamp;
        string F(DateTime t) => t.ToString("O", CultureInfo.InvariantCulture);
        Same(Expected(r => r.Timestamp >= from), Decode("--since", F(from)));
        Same(Expected(r => r.Timestamp < to), Decode("--until", F(to)));
        Same(Expected(r => r.Timestamp >= from && r.Timestamp < to), Decode("--since", F(from), "--until", F(to)));
        // an offset is honoured; without one the time is UTC
        Same(Expected(r => r.Timestamp >= from), Decode("--since", new DateTimeOffset(from).ToOffset(TimeSpan.FromHours(5)).ToString("yyyy-MM-ddTHH:mm:ss.fffffffzzz", CultureInfo.InvariantCulture)));
        Same(Expected(r => r.Timestamp >= from), Decode("--since", from.ToString("yyyy-MM-ddTHH:mm:ss.fffffff", CultureInfo.InvariantCulture)));
    }

    [Fact]
    public void Relative_times_count_back_from_now()
    {
        var rows = file.Rows;
        var pivot = rows[rows.Count / 2].Timestamp;
        // "now" is ten minutes after the pivot record: --since 10m keeps it and what follows, --until 10m what comes before
        var time = new FakeTimeProvider(new DateTimeOffset(pivot.AddMinutes(10)));
        var environment = new CliEnvironment { Time = time };
        Same(Expected(r => r.Timestamp >= pivot), Decode(environment, "--since", "10m"));
        Same(Expected(r => r.Timestamp < pivot), Decode(environment, "--until", "600s"));
        Same(Expected(r => r.Timestamp >= pivot), Decode(environment, "--since", "9m60s"));
        Assert.Empty(Decode(environment, "--since", "9m"));
        Assert.Equal(rows.Count, Decode(environment, "--since", "1d").Count);
    }

    [Fact]
    public void Grep_matches_the_rendered_record_and_ignores_case_with_i()
    {
        Same(Expected(r => r.Message.Contains("insufficient margin", StringComparison.Ordinal)), Decode("--grep", "insufficient margin"));
        Assert.Empty(Decode("--grep", "INSUFFICIENT MARGIN"));
        Same(Expected(r => r.Message.Contains("insufficient margin", StringComparison.Ordinal)), Decode("--grep", "INSUFFICIENT MARGIN", "-i"));
        // the rendered line, not only the message: the category and level are in it
        Same(Expected(r => r.Category == "Risk.Limits" && r.Level == "Critical"), Decode("-g", @"\|Critical\|Risk\.Limits\|"));
        Same(Expected(r => Regex.IsMatch(r.Message, "^Order [0-9]+ filled 1[0-9]{2} ")), Decode("--grep", @"\|Order [0-9]+ filled 1[0-9]{2} "));
    }

    [Fact]
    public void Filters_combine_as_and()
    {
        var rows = file.Rows;
        var from = rows[rows.Count / 4].Timestamp;
        Same(Expected(r => r.LevelValue >= 3 && r.Category.StartsWith("Orders", StringComparison.Ordinal)), Decode("--level", "Warning", "--category", "Orders"));
        Same(Expected(r => r.LevelValue >= 2 && r.Category == "Orders.Engine" && r.EventId == 1001 && r.Timestamp >= from && r.Message.EndsWith("MSFT", StringComparison.Ordinal)),
            Decode("--level", "inf", "-c", "Orders.Engine", "-e", "1001", "--since", from.ToString("O", CultureInfo.InvariantCulture), "--grep", "MSFT$"));
    }

    [Theory]
    [InlineData("--level", "loud")]
    [InlineData("--since", "yesterday")]
    [InlineData("--until", "10x")]
    [InlineData("--grep", "([unclosed")]
    [InlineData("-i")]
    [InlineData("--category", "")]
    public void Bad_filter_values_are_usage_errors_naming_the_option(params string[] filter)
    {
        var result = CliRunner.Run(["decode", .. filter, file.Klog]);
        Assert.Equal(1, result.ExitCode);
        Assert.Contains(filter[0], result.Stderr, StringComparison.Ordinal);
        Assert.Empty(result.Stdout);
    }
}
