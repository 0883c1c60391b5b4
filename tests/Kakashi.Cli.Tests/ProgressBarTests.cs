using System;
using System.IO;
using Kakashi.Cli.Reporting;
using Microsoft.Extensions.Time.Testing;

namespace Kakashi.Cli.Tests;

/// <summary>The progress bar: when it is shown, how often it is drawn, and that it leaves the output alone.</summary>
public sealed class ProgressBarTests(FilterFile file) : IClassFixture<FilterFile>
{
    [Theory]
    [InlineData(true, false, false, 1000L, true)]
    [InlineData(false, false, false, 1000L, false)] // stderr redirected
    [InlineData(true, true, false, 1000L, false)]   // the records go to the terminal themselves
    [InlineData(true, false, true, 1000L, false)]   // --no-progress
    [InlineData(true, false, false, -1L, false)]    // standard input, .gz: size unknown
    [InlineData(true, false, false, 0L, false)]
    public void The_bar_is_shown_only_on_a_terminal_stderr_with_a_known_size(bool stderrTerminal, bool stdoutTerminal, bool disabled, long total, bool shown)
    {
        Assert.Equal(shown, ProgressBar.ShouldShow(stderrTerminal, stdoutTerminal, disabled, total));
    }

    [Fact]
    public void The_bar_waits_its_delay_is_redrawn_at_most_ten_times_a_second_and_erases_itself()
    {
        var time = new FakeTimeProvider();
        var stderr = new StringWriter();
        var bar = new ProgressBar(stderr, 1000, new CliEnvironment { Time = time, ProgressDelay = TimeSpan.FromMilliseconds(300), TerminalWidth = 80 });
        bar.Update(10, 1);
        Assert.Equal(0, bar.Draws);
        time.Advance(TimeSpan.FromMilliseconds(300));
        bar.Update(500, 50);
        Assert.Equal(1, bar.Draws);
        for (int i = 0; i < 1000; i++) bar.Update(500 + i % 400, 60);
        time.Advance(TimeSpan.FromMilliseconds(99));
        bar.Update(900, 90);
        Assert.Equal(1, bar.Draws);
        time.Advance(TimeSpan.FromMilliseconds(1));
        bar.Update(900, 90);
        Assert.Equal(2, bar.Draws);
        string drawn = stderr.ToString();
        Assert.StartsWith("\r[" + new string('#', 0), drawn, StringComparison.Ordinal);
        Assert.Contains(" 50%", drawn, StringComparison.Ordinal);
        Assert.Contains(" 90%", drawn, StringComparison.Ordinal);
        Assert.All(drawn.Split('\r', StringSplitOptions.RemoveEmptyEntries), line => Assert.True(line.Length <= 80 + 3, $"{line.Length} columns: {line}"));
        bar.Clear();
        Assert.EndsWith("\r\u001b[K", stderr.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Decode_draws_the_bar_on_stderr_only_when_told_stderr_is_a_terminal_and_the_output_is_the_same()
    {
        var plain = CliRunner.Run(null, new CliEnvironment { StderrIsTerminal = false, ProgressDelay = TimeSpan.Zero }, default, "decode", file.Klog);
        Assert.Equal("", plain.Stderr);

        var terminal = CliRunner.Run(null, new CliEnvironment { StderrIsTerminal = true, ProgressDelay = TimeSpan.Zero }, default, "decode", file.Klog);
        Assert.Equal(0, terminal.ExitCode);
        Assert.StartsWith("\r[", terminal.Stderr, StringComparison.Ordinal);
        Assert.Contains("% ", terminal.Stderr, StringComparison.Ordinal);
        Assert.EndsWith("\r\u001b[K", terminal.Stderr, StringComparison.Ordinal); // erased at the end
        Assert.Equal(plain.Stdout, terminal.Stdout);

        // the records on the terminal, --no-progress, standard input: no bar
        Assert.Equal("", CliRunner.Run(null, new CliEnvironment { StderrIsTerminal = true, StdoutIsTerminal = true, ProgressDelay = TimeSpan.Zero }, default, "decode", file.Klog).Stderr);
        Assert.Equal("", CliRunner.Run(null, new CliEnvironment { StderrIsTerminal = true, ProgressDelay = TimeSpan.Zero }, default, "decode", "--no-progress", file.Klog).Stderr);
        using var stdin = new MemoryStream(File.ReadAllBytes(file.Klog));
        Assert.Equal("", CliRunner.Run(stdin, new CliEnvironment { StderrIsTerminal = true, ProgressDelay = TimeSpan.Zero }, default, "decode", "-").Stderr);
        // a short decode with the real delay never shows it
        Assert.Equal("", CliRunner.Run(null, new CliEnvironment { StderrIsTerminal = true }, default, "decode", file.Klog).Stderr);
    }
}
