using System;
using System.IO;
using System.Threading;
using System.Threading.Tasks;
using Kakashi.Cli.Arguments;
using Kakashi.Cli.Filtering;

namespace Kakashi.Cli.Tests;

/// <summary>Usage errors (1), unreadable files (2), interruption (130), help and version, and the value parsers.</summary>
public sealed class CommandLineTests(FilterFile file) : IClassFixture<FilterFile>
{
    [Theory]
    [InlineData("decode", "--no-such-option")]
    [InlineData("decode", "-z")]
    [InlineData("tail", "--lines")]
    [InlineData("stats", "--json=yes")]
    [InlineData("frobnicate")]
    [InlineData("--frobnicate")]
    [InlineData("decode")]
    [InlineData("decode", "-", "-")]
    [InlineData("help", "frobnicate")]
    public void Bad_command_lines_exit_1_with_a_message_and_no_output(params string[] args)
    {
        var result = CliRunner.Run([.. args, .. args.Length > 0 && args[0] is "decode" or "tail" or "stats" && !Array.Exists(args, a => a == "-") && args.Length > 1 ? new[] { file.Klog } : []]);
        Assert.Equal(1, result.ExitCode);
        Assert.StartsWith("kakashi", result.Stderr, StringComparison.Ordinal);
        Assert.Empty(result.Stdout);
    }

    [Fact]
    public void No_arguments_print_the_help_on_stderr_and_exit_1()
    {
        var result = CliRunner.Run();
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("Usage: kakashi <command>", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_file_or_a_folder_exits_2_naming_it()
    {
        string missing = Path.Combine(Path.GetTempPath(), "kakashi-cli-tests", "no-such-" + Guid.NewGuid().ToString("N") + ".klog");
        foreach (string command in new[] { "decode", "tail", "stats" })
        {
            var result = CliRunner.Run(command, missing);
            Assert.Equal(2, result.ExitCode);
            Assert.Equal($"kakashi: {missing}: no such file\n", result.Stderr.ReplaceLineEndings("\n"));
        }
        var folder = CliRunner.Run("decode", Path.GetTempPath());
        Assert.Equal(2, folder.ExitCode);
        Assert.Contains("a folder", folder.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void A_decode_interrupted_exits_130_and_a_tail_ends_with_0()
    {
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        Assert.Equal(130, CliRunner.Run(null, null, cancelled.Token, "decode", file.Klog).ExitCode);
        Assert.Equal(130, CliRunner.Run(null, null, cancelled.Token, "stats", file.Klog).ExitCode);
        Assert.Equal(0, CliRunner.Run(null, null, cancelled.Token, "tail", "-f", file.Klog).ExitCode);
    }

    [Fact]
    public void Help_and_version_exit_0_and_the_help_lists_the_commands_and_exit_codes()
    {
        foreach (var args in new[] { new[] { "--help" }, new[] { "-h" }, new[] { "help" } })
        {
            var result = CliRunner.Run(args);
            Assert.Equal(0, result.ExitCode);
            foreach (string word in new[] { "decode", "tail", "stats", "Exit codes:", "4    a file has a newer .klog format version" })
                Assert.Contains(word, result.Output, StringComparison.Ordinal);
        }
        foreach (string command in new[] { "decode", "tail", "stats" })
        {
            foreach (var args in new[] { new[] { command, "--help" }, new[] { "help", command } })
            {
                var result = CliRunner.Run(args);
                Assert.Equal(0, result.ExitCode);
                Assert.StartsWith($"Usage: kakashi {command}", result.Output, StringComparison.Ordinal);
                foreach (string option in new[] { "--level", "--category", "--event", "--since", "--until", "--grep", "Exit codes:" })
                    Assert.Contains(option, result.Output, StringComparison.Ordinal);
            }
        }
        var version = CliRunner.Run("--version");
        Assert.Equal(0, version.ExitCode);
        Assert.Matches(@"^kakashi \d+\.\d+\.\d+\S* \(reads \.klog format version 1\)\n$", version.Output);
    }

    [Theory]
    [InlineData("90s", 90)]
    [InlineData("10m", 600)]
    [InlineData("2h", 7200)]
    [InlineData("1d", 86400)]
    [InlineData("1w", 604800)]
    [InlineData("1h30m", 5400)]
    [InlineData("500ms", 0.5)]
    public void Durations_count_back_from_now(string text, double seconds)
    {
        var now = new DateTime(2026, 12, 2, 12, 0, 0, DateTimeKind.Utc);
        Assert.Equal(now - TimeSpan.FromSeconds(seconds), TimeArgument.Parse(text, now));
    }

    [Theory]
    [InlineData("2026-12-02", "2026-12-02T00:00:00.0000000Z")]
    [InlineData("2026-12-02T10:30:00", "2026-12-02T10:30:00.0000000Z")]
    [InlineData("2026-12-02T10:30:00.1234567Z", "2026-12-02T10:30:00.1234567Z")]
    [InlineData("2026-12-02T10:30:00+02:00", "2026-12-02T08:30:00.0000000Z")]
    [InlineData("2026-12-02 10:30", "2026-12-02T10:30:00.0000000Z")]
    public void ISO_times_are_UTC_unless_they_carry_an_offset(string text, string utc)
    {
        Assert.Equal(utc, TimeArgument.Parse(text, DateTime.UtcNow).ToString("O", System.Globalization.CultureInfo.InvariantCulture));
    }

    [Theory]
    [InlineData("12/02/2026")]
    [InlineData("10")]
    [InlineData("10 m")]
    [InlineData("m")]
    [InlineData("")]
    public void Other_times_are_refused(string text)
    {
        Assert.Throws<UsageException>(() => TimeArgument.Parse(text, DateTime.UtcNow));
    }

    [Fact]
    public void Grouped_short_options_and_values_attached_or_apart_parse_alike()
    {
        bool f = false, i = false;
        string? n = null;
        var options = new[]
        {
            new OptionSpec("follow", 'f', null, _ => f = true),
            new OptionSpec("ignore-case", 'i', null, _ => i = true),
            new OptionSpec("lines", 'n', "N", v => n = v),
        };
        Assert.Equal(["a.klog", "-", "-x"], ArgParser.Parse("t", ["-fin5", "a.klog", "-", "--", "-x"], options, out bool help));
        Assert.True(f && i && n == "5" && !help);
        n = null;
        ArgParser.Parse("t", ["--lines=7"], options, out _);
        Assert.Equal("7", n);
        ArgParser.Parse("t", ["--lines", "-3"], options, out _);
        Assert.Equal("-3", n);
        Assert.Throws<UsageException>(() => ArgParser.Parse("t", ["--follow=1"], options, out _));
        Assert.Throws<UsageException>(() => ArgParser.Parse("t", ["-n"], options, out _));
    }
}
