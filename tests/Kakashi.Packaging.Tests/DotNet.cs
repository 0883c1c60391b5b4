using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

namespace Kakashi.Packaging.Tests;

/// <summary>What a child process did: its exit code and everything it printed (standard output, then standard error).</summary>
public sealed record ProcessResult(string Command, int ExitCode, string Output, TimeSpan Elapsed, bool TimedOut)
{
    public string StandardOutput { get; init; } = "";

    public override string ToString()
        => $"`{Command}` {(TimedOut ? "timed out" : $"exited {ExitCode}")} after {Elapsed.TotalSeconds:F1} s; its output:{Environment.NewLine}{Output}";
}

/// <summary>Runs the .NET CLI (and the programs it builds) as a child process, with a time limit and captured output.</summary>
public static class DotNet
{
    /// <summary>The dotnet executable running the tests (the SDK's host), else the one on PATH.</summary>
    public static string Host { get; } = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";

    public static Task<ProcessResult> RunAsync(string workingDirectory, IReadOnlyDictionary<string, string?> environment, TimeSpan timeout, params string[] arguments)
        => RunProcessAsync(Host, workingDirectory, environment, timeout, arguments);

    public static async Task<ProcessResult> RunProcessAsync(string fileName, string workingDirectory, IReadOnlyDictionary<string, string?> environment, TimeSpan timeout, params string[] arguments)
    {
        var start = new ProcessStartInfo(fileName, arguments)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        // the test host runs under `dotnet test`, i.e. under MSBuild: its MSBuild* variables (SDK paths, node settings)
        // must not leak into a child build, which sets up its own
        foreach (string key in new List<string>(start.Environment.Keys))
            if (key.StartsWith("MSBUILD", StringComparison.OrdinalIgnoreCase) || key.StartsWith("VSTEST", StringComparison.OrdinalIgnoreCase))
                start.Environment.Remove(key);
        foreach (var (key, value) in environment)
        {
            if (value is null) start.Environment.Remove(key);
            else start.Environment[key] = value;
        }

        string command = $"{Path.GetFileName(fileName)} {string.Join(' ', arguments)}";
        var clock = Stopwatch.StartNew();
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {command}");
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        bool timedOut = false;
        using (var cts = new CancellationTokenSource(timeout))
        {
            try
            {
                await process.WaitForExitAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                timedOut = true;
                try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
                await process.WaitForExitAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));
            }
        }
        // a grandchild that outlived the process (a build node) could hold the pipes open: do not wait for it forever
        string output = await Read(stdout);
        string errors = await Read(stderr);
        var all = new StringBuilder(output);
        if (errors.Length > 0) all.AppendLine().Append("[stderr]").AppendLine().Append(errors);
        return new ProcessResult(command, timedOut ? -1 : process.ExitCode, all.ToString(), clock.Elapsed, timedOut) { StandardOutput = output };

        static async Task<string> Read(Task<string> text)
        {
            try { return await text.WaitAsync(TimeSpan.FromSeconds(30)); }
            catch (TimeoutException) { return "(output still open 30 s after the process ended)"; }
        }
    }
}
