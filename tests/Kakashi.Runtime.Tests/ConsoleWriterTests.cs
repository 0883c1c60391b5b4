using System.Reflection;
using System;
using System.Diagnostics;
using System.IO;
using System.IO.Pipes;
using System.Linq;
using System.Text;
using System.Threading.Tasks;
using Kakashi;
using Microsoft.Extensions.Logging;
using Xunit;

namespace Kakashi.Runtime.Tests;

public class ConsoleWriterTests
{
    private static async Task<(string Out, string Err)> Run(Func<Stream, Stream, ConsoleWriter> make, Action<KakashiLogger> log, Action<AsyncPipelineConfig>? configure = null)
    {
        var stdout = new MemoryStream();
        var stderr = new MemoryStream();
        var config = new AsyncPipelineConfig
        {
            Formatter = new TextFormatter("{Level:u3} {Message}{NewLine}"),
            Writers = [make(stdout, stderr)],
            FlushOnProcessExit = false,
            MinLevel = LogLevel.Trace,
        };
        configure?.Invoke(config);
        await using (var pipeline = new AsyncPipeline(config))
        {
            log(pipeline.CreateLogger("Console"));
            await pipeline.FlushAllAsync();
        }
        return (Encoding.UTF8.GetString(stdout.ToArray()), Encoding.UTF8.GetString(stderr.ToArray()));
    }

    private static void EveryLevel(KakashiLogger logger)
    {
        foreach (var level in new[] { LogLevel.Trace, LogLevel.Debug, LogLevel.Information, LogLevel.Warning, LogLevel.Error, LogLevel.Critical })
            logger.Dynamic(level, (int)level);
    }

    [Fact]
    public async Task A_terminal_gets_each_record_in_its_level_s_color_and_the_reset_before_the_new_line()
    {
        var (output, _) = await Run((o, e) => new ConsoleWriter(o, e, isTerminal: true), EveryLevel);
        string[] lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("\u001b[90mTRC Dynamic 0\u001b[0m", lines[0]);
        Assert.Equal("\u001b[37mDBG Dynamic 1\u001b[0m", lines[1]);
        Assert.Equal("INF Dynamic 2", lines[2]); // Information: the terminal's own color
        Assert.Equal("\u001b[33mWRN Dynamic 3\u001b[0m", lines[3]);
        Assert.Equal("\u001b[31mERR Dynamic 4\u001b[0m", lines[4]);
        Assert.Equal("\u001b[1;97;41mCRT Dynamic 5\u001b[0m", lines[5]);
    }

    [Fact]
    public async Task Redirected_output_and_never_mode_are_plain()
    {
        var (redirected, _) = await Run((o, e) => new ConsoleWriter(o, e, isTerminal: false), EveryLevel);
        Assert.DoesNotContain('\u001b', redirected);
        Assert.Equal(6, redirected.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        var (never, _) = await Run((o, e) => new ConsoleWriter(o, e, isTerminal: true) { Colors = ConsoleColorMode.Never }, EveryLevel);
        Assert.Equal(redirected, never);
        var (always, _) = await Run((o, e) => new ConsoleWriter(o, e, isTerminal: false) { Colors = ConsoleColorMode.Always }, EveryLevel);
        Assert.Contains("\u001b[31mERR", always);
    }

    [Fact]
    public async Task NO_COLOR_turns_colors_off_on_a_terminal()
    {
        string? before = Environment.GetEnvironmentVariable("NO_COLOR");
        Environment.SetEnvironmentVariable("NO_COLOR", "1");
        try
        {
            var (output, _) = await Run((o, e) => new ConsoleWriter(o, e, isTerminal: true), EveryLevel);
            Assert.DoesNotContain('\u001b', output);
        }
        finally
        {
            Environment.SetEnvironmentVariable("NO_COLOR", before);
        }
    }

    [Fact]
    public async Task StandardErrorFromLevel_splits_the_records_by_level_in_order()
    {
        var (output, error) = await Run((o, e) => new ConsoleWriter(o, e, isTerminal: false) { StandardErrorFromLevel = LogLevel.Warning }, EveryLevel);
        Assert.Equal("TRC Dynamic 0\nDBG Dynamic 1\nINF Dynamic 2\n", output);
        Assert.Equal("WRN Dynamic 3\nERR Dynamic 4\nCRT Dynamic 5\n", error);
    }

    [Fact]
    public async Task Colors_never_reach_a_file_that_shares_the_formatter()
    {
        using var temp = new TempFolder();
        string path = Path.Combine(temp.Path, "shared.log");
        var formatter = new TextFormatter("{Level:u3} {Message}{NewLine}");
        var stdout = new MemoryStream();
        await using (var pipeline = new AsyncPipeline(new AsyncPipelineConfig
        {
            Formatter = formatter,
            MinLevel = LogLevel.Trace,
            Writers = [new ConsoleWriter(stdout, null, isTerminal: true), new AsyncFileWriter(path)],
            FlushOnProcessExit = false,
        }))
        {
            EveryLevel(pipeline.CreateLogger("Console"));
            await pipeline.FlushAllAsync();
        }
        Assert.Contains('\u001b', Encoding.UTF8.GetString(stdout.ToArray()));
        string file = File.ReadAllText(path);
        Assert.DoesNotContain('\u001b', file);
        Assert.Contains("ERR Dynamic 4\n", file);
    }

    [Fact]
    public async Task A_writer_s_MinLevel_keeps_lower_records_out_and_counts_them_filtered()
    {
        var all = new TestWriter("all");
        var warnings = new MemoryStream();
        await using var pipeline = new AsyncPipeline(new AsyncPipelineConfig
        {
            Formatter = new TextFormatter("{Level:u3} {Message}{NewLine}"),
            MinLevel = LogLevel.Trace,
            Writers = [all, new ConsoleWriter(warnings, null, isTerminal: false) { MinLevel = LogLevel.Warning }],
            FlushOnProcessExit = false,
        });
        var logger = pipeline.CreateLogger("Console");
        for (int i = 0; i < 100; i++) EveryLevel(logger);
        await pipeline.FlushAllAsync();
        Assert.Equal(600, all.Lines.Count(l => l.Contains("Dynamic")));
        var lines = Encoding.UTF8.GetString(warnings.ToArray()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(300, lines.Length);
        Assert.All(lines, l => Assert.True(l.StartsWith("WRN") || l.StartsWith("ERR") || l.StartsWith("CRT"), l));
        var console = pipeline.GetMetrics().Writers[1];
        Assert.Equal(300, console.Written);
        Assert.Equal(300, console.Filtered);
        Assert.Equal(console.Received, console.Written + console.Dropped + console.Filtered + console.Failed + console.Queued + console.InFlight);
    }

    /// <summary>
    /// A real blocked terminal: an OS pipe nobody reads (its 64 KiB kernel buffer fills and write(2) blocks forever). The
    /// callers must finish at their own pace; the console loses what it cannot take (counted), the file next to it loses nothing.
    /// </summary>
    [Fact]
    public async Task A_blocked_terminal_never_holds_the_callers_or_the_other_writers()
    {
        using var temp = new TempFolder();
        string path = Path.Combine(temp.Path, "beside.log");
        using var pipe = new AnonymousPipeServerStream(PipeDirection.Out);
        using var reader = new AnonymousPipeClientStream(PipeDirection.In, pipe.ClientSafePipeHandle); // held open, never read
        var console = new ConsoleWriter(pipe, null, isTerminal: false) { WriteTimeout = TimeSpan.FromMilliseconds(200) };
        var pipeline = new AsyncPipeline(new AsyncPipelineConfig
        {
            Formatter = new TextFormatter("{Message}{NewLine}"),
            Writers = [console, new AsyncFileWriter(path)],
            FlushOnProcessExit = false,
            ShutdownTimeout = TimeSpan.FromSeconds(1),
        });
        var logger = pipeline.CreateLogger("Console");
        var watch = Stopwatch.StartNew();
        for (int i = 0; i < 200_000; i++) logger.Seq(1, i); // ~3 MB: far past what the pipe holds
        await pipeline.FlushAllAsync().WaitAsync(TimeSpan.FromSeconds(30)); // does not wait for the hung console
        watch.Stop();
        var m = pipeline.GetMetrics();
        var file = m.Writers[1];
        Assert.Equal(200_000, file.Written);
        var stuck = m.Writers[0];
        Assert.True(stuck.Written < 200_000, $"the blocked console wrote {stuck.Written}");
        Assert.True(stuck.Dropped > 0, "what the console could not take is counted dropped");
        Assert.Equal(BreakerState.Hung, stuck.BreakerState);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(20), $"callers and the flush took {watch.Elapsed}");
        Assert.Equal(200_000, File.ReadLines(path).Count(l => l.StartsWith("T1 N", StringComparison.Ordinal)));
        await pipeline.DisposeAsync();
    }

    private static string ProbePath => typeof(ReliabilityTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "ExitProbe").Value!;

    private static string RunProbe(string file, params string[] args)
    {
        var start = new ProcessStartInfo(file, args) { RedirectStandardOutput = true, RedirectStandardError = true };
        start.Environment.Remove("NO_COLOR");
        start.Environment["TERM"] = "xterm";
        using var process = Process.Start(start)!;
        string output = process.StandardOutput.ReadToEnd();
        Assert.True(process.WaitForExit(60_000), "the probe did not exit");
        Assert.True(process.ExitCode == 0, $"exit {process.ExitCode}: {process.StandardError.ReadToEnd()}");
        return output;
    }

    /// <summary>The real standard output of another process: redirected to a pipe it is plain; on a pseudo-terminal (script(1)) it is colored.</summary>
    [Fact]
    public void The_real_console_is_plain_when_redirected_and_colored_on_a_terminal()
    {
        string piped = RunProbe("dotnet", ProbePath, "console");
        Assert.Contains("INF Probe: record 1", piped);
        Assert.Contains("ERR Probe: failed 2", piped);
        Assert.DoesNotContain('\u001b', piped);

        if (!OperatingSystem.IsLinux() || !File.Exists("/usr/bin/script")) return; // no pseudo-terminal to try (the plain case above still ran)
        string terminal = RunProbe("/usr/bin/script", "-qec", $"dotnet {ProbePath} console sync", "/dev/null");
        Assert.Contains("\u001b[31m", terminal); // Error in red
        Assert.Contains("ERR Probe: failed 2\u001b[0m", terminal);
        Assert.Contains("INF Probe: record 1", terminal);
    }
}
