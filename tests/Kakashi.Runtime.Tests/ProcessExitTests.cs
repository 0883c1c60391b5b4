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
