using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;

namespace Kakashi.Tools.Tests;

/// <summary>A test that runs the real dotnet-counters: skipped, with the reason, where the tool is not installed.</summary>
public sealed class RequiresDotnetCountersFactAttribute : FactAttribute
{
    public RequiresDotnetCountersFactAttribute()
    {
        if (DotnetCounters.Missing is { } reason) Skip = reason;
    }
}

/// <summary>One line of <c>dotnet-counters collect --format json</c>.</summary>
/// <param name="Name">The instrument's name without the unit dotnet-counters appends (<c>kakashi.logs.accepted</c>).</param>
/// <param name="CounterType"><c>Rate</c> (a counter's increase over the refresh interval) or <c>Metric</c> (a gauge's value).</param>
public sealed record CounterEvent(string Provider, string Name, string DisplayName, string Tags, string CounterType, double Value);

/// <summary>The dotnet-counters tool (https://learn.microsoft.com/dotnet/core/diagnostics/dotnet-counters), as .ci/run installs it.</summary>
internal static class DotnetCounters
{
    public const string Version = "10.0.750501";

    public static string? Path { get; } = Find();

    public static string? Missing => Path is null
        ? "dotnet-counters is not installed: .ci/run installs it with `dotnet tool install dotnet-counters --version " + Version +
          " --tool-path .ci/tools` (or set KAKASHI_DOTNET_COUNTERS to the tool's path)."
        : null;

    private static string? Find()
    {
        var candidates = new List<string?>
        {
            Environment.GetEnvironmentVariable("KAKASHI_DOTNET_COUNTERS"),
            typeof(DotnetCounters).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().SingleOrDefault(a => a.Key == "DotnetCounters")?.Value,
        };
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(System.IO.Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
            candidates.Add(System.IO.Path.Combine(dir, "dotnet-counters"));
        candidates.Add(System.IO.Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".dotnet", "tools", "dotnet-counters"));
        return candidates.FirstOrDefault(c => !string.IsNullOrEmpty(c) && File.Exists(c));
    }

    /// <summary>
    /// <c>dotnet-counters collect -p pid --counters Kakashi --format json -o file --duration ...</c>: the Kakashi meter of
    /// a running process, sampled every second for <paramref name="duration"/>.
    /// </summary>
    public static async Task<IReadOnlyList<CounterEvent>> CollectAsync(int pid, string outputFile, TimeSpan duration)
    {
        var start = new ProcessStartInfo(Path ?? throw new InvalidOperationException(Missing))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true, // not the test runner's: the tool reads keys (Q to quit) from a console
        };
        foreach (var a in new[]
                 {
                     "collect", "-p", pid.ToString(CultureInfo.InvariantCulture), "--counters", KakashiMeter.Name, "--format", "json",
                     "-o", outputFile, "--refresh-interval", "1", "--duration", duration.ToString(@"dd\:hh\:mm\:ss", CultureInfo.InvariantCulture),
                 })
            start.ArgumentList.Add(a);
        using var tool = Process.Start(start)!;
        var stdout = tool.StandardOutput.ReadToEndAsync();
        var stderr = tool.StandardError.ReadToEndAsync();
        using (var timeout = new CancellationTokenSource(duration + TimeSpan.FromSeconds(60)))
        {
            try
            {
                await tool.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                tool.Kill();
                throw new TimeoutException($"dotnet-counters did not finish: {await stdout} {await stderr}");
            }
        }
        string output = await stdout + await stderr;
        Assert.True(tool.ExitCode == 0, $"dotnet-counters exited with {tool.ExitCode}: {output}");
        Assert.True(File.Exists(outputFile), $"dotnet-counters wrote no {outputFile}: {output}");
        return Parse(await File.ReadAllTextAsync(outputFile));
    }

    public static IReadOnlyList<CounterEvent> Parse(string json)
    {
        using var document = JsonDocument.Parse(json);
        var events = new List<CounterEvent>();
        foreach (var e in document.RootElement.GetProperty("Events").EnumerateArray())
        {
            string display = e.GetProperty("name").GetString()!;
            int unit = display.IndexOf(" (", StringComparison.Ordinal);
            events.Add(new CounterEvent(
                e.GetProperty("provider").GetString()!,
                unit < 0 ? display : display[..unit],
                display,
                e.GetProperty("tags").GetString() ?? "",
                e.GetProperty("counterType").GetString()!,
                e.GetProperty("value").GetDouble()));
        }
        return events;
    }

    /// <summary>Every instrument the Kakashi meter publishes (src/Kakashi.Runtime/Monitoring/KakashiMeter.cs).</summary>
    public static readonly string[] Instruments =
    [
        "kakashi.logs.accepted", "kakashi.logs.processed", "kakashi.logs.dropped", "kakashi.logs.filtered", "kakashi.logs.rejected",
        "kakashi.logs.truncated", "kakashi.flush.count", "kakashi.producer.waits", "kakashi.producer.blocked_time",
        "kakashi.buffer.size", "kakashi.buffer.capacity", "kakashi.flush.duration",
        "kakashi.writer.written", "kakashi.writer.failed", "kakashi.writer.dropped", "kakashi.writer.retries", "kakashi.writer.queue",
        "kakashi.writer.spooled", "kakashi.writer.spool.size", "kakashi.writer.spool.replayed", "kakashi.writer.breaker",
    ];
}
