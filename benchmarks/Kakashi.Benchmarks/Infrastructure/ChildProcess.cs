using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Text;
using System.Text.Json;

namespace Kakashi.Benchmarks.Infrastructure;

/// <summary>
/// Runs this program again with other arguments, so that each peer and each run gets a fresh process. The child prints
/// one line "RESULT {json}" that the parent parses; everything else it prints is passed through as diagnostics.
/// </summary>
public static class ChildProcess
{
    public const string ResultPrefix = "RESULT ";

    // NaN (an empty class of calls has no percentiles) must survive the trip
    private static readonly JsonSerializerOptions s_json = new() { NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals };

    public static void WriteResult<T>(T result) => Console.WriteLine(ResultPrefix + JsonSerializer.Serialize(result, s_json));

    public static (T? Result, string Error) Run<T>(IEnumerable<string> args, TimeSpan timeout) where T : class
    {
        var psi = new ProcessStartInfo
        {
            FileName = Environment.ProcessPath ?? throw new InvalidOperationException("Environment.ProcessPath is null."),
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        // Started as "dotnet Kakashi.Benchmarks.dll": the host needs the assembly path first.
        if (string.Equals(Path.GetFileNameWithoutExtension(psi.FileName), "dotnet", StringComparison.OrdinalIgnoreCase))
            psi.ArgumentList.Add(Assembly.GetEntryAssembly()!.Location);
        foreach (var a in args) psi.ArgumentList.Add(a);

        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        using var process = new Process { StartInfo = psi };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (stdout) stdout.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (stderr) stderr.AppendLine(e.Data); };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (!process.WaitForExit(timeout))
        {
            try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            process.WaitForExit();
            return (null, $"HANG: no exit after {timeout.TotalSeconds:0} s; killed. stdout tail: {Tail(stdout)} stderr tail: {Tail(stderr)}");
        }
        process.WaitForExit(); // drain the async readers

        string output;
        lock (stdout) output = stdout.ToString();
        var line = output.Split('\n').Select(l => l.TrimEnd('\r')).LastOrDefault(l => l.StartsWith(ResultPrefix, StringComparison.Ordinal));
        string err;
        lock (stderr) err = stderr.ToString();
        if (process.ExitCode != 0 || line is null)
            return (null, $"exit code {process.ExitCode}; stdout tail: {Tail(stdout)} stderr tail: {Tail(stderr)}");
        var result = JsonSerializer.Deserialize<T>(line[ResultPrefix.Length..], s_json);
        return (result, err.Trim());
    }

    private static string Tail(StringBuilder sb)
    {
        string s;
        lock (sb) s = sb.ToString();
        s = s.Trim();
        return s.Length <= 2000 ? s : "..." + s[^2000..];
    }
}
