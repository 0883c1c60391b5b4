using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Threading.Tasks;

namespace Kakashi.Runtime.Tests;

/// <summary>A process that never disposes its pipeline still gets every record written, by the ProcessExit hook.</summary>
public class ProcessExitTests
{
    private static string ProbePath => typeof(ProcessExitTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "ExitProbe").Value!;

    [Theory]
    [InlineData("return", 0)]
    [InlineData("exit", 3)]
    public async Task Records_are_flushed_when_the_process_exits_without_disposing(string how, int exitCode)
    {
        string folder = Path.Combine(Path.GetTempPath(), "kakashi-tests", Guid.NewGuid().ToString("N"));
        string log = Path.Combine(folder, "exit.log");
        try
        {
            var start = new ProcessStartInfo("dotnet", [ProbePath, log, "100000", how]) { RedirectStandardError = true };
            using var process = Process.Start(start)!;
            string stderr = await process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
            Assert.True(exitCode == process.ExitCode, stderr);
            var lines = TempLog.AppLines(File.ReadAllLines(log));
            Assert.Equal(100_000, lines.Length);
            Assert.Equal("record 99999", lines[^1]);
        }
        finally
        {
            if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        }
    }
}

/// <summary>The Stopwatch fallback of the clock (used where rdtsc is not available) gives the same UTC timestamps.</summary>
public class ClockFallbackTests
{
    [Theory]
    [InlineData("stopwatch", "Stopwatch")]
    [InlineData("", null)]
    public async Task Timestamps_are_wall_clock_with_either_clock(string setting, string? expectedSource)
    {
        string probe = typeof(ProcessExitTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "ExitProbe").Value!;
        string folder = Path.Combine(Path.GetTempPath(), "kakashi-tests", Guid.NewGuid().ToString("N"));
        string log = Path.Combine(folder, "clock.log");
        try
        {
            var start = new ProcessStartInfo("dotnet", [probe, log, "10", "clock"]) { RedirectStandardOutput = true };
            start.Environment["KAKASHI_CLOCK"] = setting;
            var before = DateTime.UtcNow;
            using var process = Process.Start(start)!;
            string source = (await process.StandardOutput.ReadToEndAsync()).Trim();
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
            var after = DateTime.UtcNow;
            if (expectedSource is not null) Assert.Equal(expectedSource, source);
            else Assert.Contains(source, new[] { "rdtsc", "Stopwatch" });
            var stamps = TempLog.AppLines(File.ReadAllLines(log)).Select(l => DateTime.Parse(l.Split(' ')[0], null, System.Globalization.DateTimeStyles.RoundtripKind)).ToList();
            Assert.Equal(10, stamps.Count);
            Assert.All(stamps, s => Assert.InRange(s, before.AddMilliseconds(-50), after.AddMilliseconds(50)));
            for (int i = 1; i < stamps.Count; i++) Assert.True(stamps[i] >= stamps[i - 1]);
        }
        finally
        {
            if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        }
    }
}
