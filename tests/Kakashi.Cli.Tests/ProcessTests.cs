using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

namespace Kakashi.Cli.Tests;

/// <summary>The built tool as a real process: <c>dotnet Kakashi.Cli.dll …</c>, stdin piped, exit codes, signals.</summary>
public sealed class ProcessTests(LiveOutputs live) : IClassFixture<LiveOutputs>
{
    private static readonly string s_tool = typeof(ProcessTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "KakashiCli").Value!;
    private static readonly string s_dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";

    private static Process Start(params string[] args)
    {
        Assert.True(File.Exists(s_tool), $"the tool is not built at {s_tool}");
        var start = new ProcessStartInfo(s_dotnet, [s_tool, .. args])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        return Process.Start(start) ?? throw new InvalidOperationException("could not start the tool");
    }

    private static async Task<(int Code, byte[] Stdout, string Stderr)> RunAsync(byte[]? stdin, params string[] args)
    {
        using var process = Start(args);
        var stdout = new MemoryStream();
        var reading = process.StandardOutput.BaseStream.CopyToAsync(stdout);
        var errors = process.StandardError.ReadToEndAsync();
        try
        {
            if (stdin is not null) await process.StandardInput.BaseStream.WriteAsync(stdin);
            process.StandardInput.Close();
        }
        catch (IOException)
        {
            // the tool stopped reading before the end (a refused version exits at the first frame): its exit code says why
        }
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        await reading;
        return (process.ExitCode, stdout.ToArray(), await errors);
    }

    [Fact]
    public async Task The_tool_decodes_a_file_piped_into_its_standard_input_exactly_as_the_live_formatter_wrote_it()
    {
        var (code, stdout, stderr) = await RunAsync(File.ReadAllBytes(live.Klog), "decode", "-");
        Assert.True(code == 0, $"exit {code}: {stderr}");
        Assert.Equal("", stderr); // stderr is a pipe here: no progress bar
        DecodeTests.AssertSameBytes(File.ReadAllBytes(live.LivePath("text")), stdout);
        var json = await RunAsync(File.ReadAllBytes(live.Klog), "decode", "--ecs", "-");
        DecodeTests.AssertSameBytes(File.ReadAllBytes(live.LivePath("ecs")), json.Stdout);
    }

    [Fact]
    public async Task The_process_exit_codes_are_the_documented_ones()
    {
        Assert.Equal(0, (await RunAsync(null, "--version")).Code);
        Assert.Equal(1, (await RunAsync(null, "decode", "--bogus", live.Klog)).Code);
        var missing = await RunAsync(null, "decode", live.Klog + ".missing");
        Assert.Equal(2, missing.Code);
        Assert.Contains("no such file", missing.Stderr, StringComparison.Ordinal);
        byte[] bytes = File.ReadAllBytes(live.Klog);
        var frames = KlogFrames.Read(bytes);
        var hit = frames.Where(f => f.Type == 'R').Skip(1).First();
        bytes[hit.Offset + 30] ^= 0xFF;
        var damaged = await RunAsync(bytes, "decode", "-");
        Assert.Equal(3, damaged.Code);
        Assert.StartsWith("stdin: skipped ", damaged.Stderr, StringComparison.Ordinal);
        byte[] v99 = File.ReadAllBytes(live.Klog);
        v99[frames[0].Offset + 20] = 99;
        KlogFrames.Seal(v99, frames[0]);
        var version = await RunAsync(v99, "decode", "-");
        Assert.Equal(4, version.Code);
        Assert.Contains("version 99", version.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_closed_output_pipe_ends_the_decode_quietly()
    {
        using var process = Start("decode", live.Klog, live.Klog, live.Klog, live.Klog, live.Klog, live.Klog, live.Klog, live.Klog);
        process.StandardInput.Close();
        var errors = process.StandardError.ReadToEndAsync();
        string? first = await process.StandardOutput.ReadLineAsync();
        Assert.NotNull(first);
        process.StandardOutput.Close(); // like `| head -1`
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(0, process.ExitCode);
        Assert.Equal("", await errors);
    }

    [Fact]
    public async Task Tail_f_in_a_process_prints_new_records_and_ends_with_0_on_SIGTERM()
    {
        if (OperatingSystem.IsWindows()) return; // SIGTERM and kill(1) are Unix (xunit 2 has no dynamic skip)
        string folder = Klogs.TempFolder();
        string path = Path.Combine(folder, "app.klog");
        await using var pipeline = Klogs.Pipeline(path);
        var logger = pipeline.CreateLogger("Signal");
        logger.Seq("p", 0);
        await pipeline.FlushAllAsync();
        using var process = Start("tail", "-f", "-t", "{Message}{NewLine}", path);
        process.StandardInput.Close();
        var lines = new List<string>();
        var gotLine = new SemaphoreSlim(0);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (lines) lines.Add(e.Data);
            gotLine.Release();
        };
        process.BeginOutputReadLine();
        var errors = process.StandardError.ReadToEndAsync();
        Assert.True(await gotLine.WaitAsync(TimeSpan.FromSeconds(20)), "no first record");
        logger.Seq("p", 1);
        logger.Seq("p", 2);
        await pipeline.FlushAllAsync();
        Assert.True(await CliRunner.Until(() => { lock (lines) return lines.Count >= 3; }, TimeSpan.FromSeconds(20)), string.Join("|", lines));
        using (var kill = Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!)
            await kill.WaitForExitAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal(0, process.ExitCode);
        Assert.Equal(["Seq p 0", "Seq p 1", "Seq p 2"], lines);
        Assert.Equal("", await errors);
        await pipeline.DisposeAsync();
        Directory.Delete(folder, recursive: true);
    }
}
