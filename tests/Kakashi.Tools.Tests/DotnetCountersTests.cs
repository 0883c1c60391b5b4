using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;

namespace Kakashi.Tools.Tests;

/// <summary>
/// The Kakashi meter read by the real <c>dotnet-counters</c> from another process (the diagnostics IPC a user's
/// <c>dotnet-counters monitor --counters Kakashi</c> attaches through): every instrument shows up, tagged with the
/// pipeline and the writer, with values that follow the records logged.
/// </summary>
public class DotnetCountersTests
{
    private static readonly TimeSpan Window = TimeSpan.FromSeconds(4);

    [RequiresDotnetCountersFact]
    public async Task A_logging_process_shows_every_Kakashi_instrument_with_its_records()
    {
        string folder = ChildProcesses.NewFolder();
        string name = "counters-probe-" + Guid.NewGuid().ToString("N")[..8];
        try
        {
            var start = new ProcessStartInfo("dotnet", [ChildProcesses.ExitProbe, "meter", Path.Combine(folder, "probe.log"), name])
            {
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            using var probe = Process.Start(start)!;
            var stderr = ChildProcesses.Capture(probe.StandardError);
            string? ready = await probe.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60));
            Assert.True(ready == "ready", $"the probe said '{ready}': {ChildProcesses.Text(stderr)}");

            var events = await DotnetCounters.CollectAsync(probe.Id, Path.Combine(folder, "counters.json"), Window);

            probe.StandardInput.Close(); // the probe stops logging, disposes its pipeline and exits
            string rest = await probe.StandardOutput.ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(60));
            await probe.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
            Assert.True(probe.ExitCode == 0, ChildProcesses.Text(stderr));
            long logged = long.Parse(rest.Trim().Split(' ')[^1], CultureInfo.InvariantCulture);

            var ours = events.Where(e => e.Provider == KakashiMeter.Name && HasTag(e, "pipeline", name)).ToList();
            var missing = DotnetCounters.Instruments.Where(i => ours.All(e => e.Name != i)).ToList();
            Assert.True(missing.Count == 0, $"not seen by dotnet-counters: {string.Join(", ", missing)}; seen: {string.Join(", ", ours.Select(e => e.DisplayName).Distinct())}");

            // counters are shown as their increase per refresh interval: the probe logs ~2,000 records a second
            double accepted = Rates(ours, "kakashi.logs.accepted");
            double processed = Rates(ours, "kakashi.logs.processed");
            double written = Rates(ours, "kakashi.writer.written");
            Assert.InRange(accepted, 1_000, logged);
            Assert.InRange(processed, 1_000, logged);
            Assert.InRange(written, 1_000, logged);
            Assert.True(ours.Where(e => e.Name == "kakashi.writer.written").All(e => HasTag(e, "writer", "file:" + Path.Combine(folder, "probe.log"))),
                "the writer tag names the file writer");
            Assert.Equal(0, Rates(ours, "kakashi.logs.dropped"));
            Assert.Equal(0, Rates(ours, "kakashi.writer.failed"));
            Assert.True(ours.Where(e => e.Name == "kakashi.buffer.capacity").All(e => e.CounterType == "Metric" && e.Value > 0), "the ring's capacity is a gauge above 0");
            Assert.True(ours.Where(e => e.Name == "kakashi.writer.breaker").All(e => e.Value == 0), "the file writer's breaker stays closed");
            Assert.True(Rates(ours, "kakashi.flush.count") >= 1, "the writer flushed during the window");
            Assert.Equal(logged, File.ReadLines(Path.Combine(folder, "probe.log")).Count());
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>The issue's case: samples/Kakashi.WebApi with <c>AddKakashi</c>, under requests while the tool watches.</summary>
    [RequiresDotnetCountersFact]
    public async Task The_web_sample_shows_its_request_records_in_dotnet_counters()
    {
        string folder = ChildProcesses.NewFolder();
        int port = ChildProcesses.FreePort();
        try
        {
            var start = new ProcessStartInfo("dotnet", [ChildProcesses.WebApiSample, "--logger", "kakashi", "--port", port.ToString(CultureInfo.InvariantCulture), "--log-dir", folder])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            using var server = Process.Start(start)!;
            var stdout = ChildProcesses.Capture(server.StandardOutput);
            var stderr = ChildProcesses.Capture(server.StandardError);
            using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}"), Timeout = TimeSpan.FromSeconds(10) };
            await WaitUntilAnsweringAsync(client, server, stderr);

            using var stopLoad = new CancellationTokenSource();
            long requests = 0;
            var load = Task.Run(async () =>
            {
                while (!stopLoad.IsCancellationRequested)
                {
                    using var answer = await client.GetAsync(new Uri($"/orders/{requests}?customer=counters", UriKind.Relative), CancellationToken.None);
                    answer.EnsureSuccessStatusCode();
                    requests++;
                    await Task.Delay(5, CancellationToken.None);
                }
            }, CancellationToken.None);
            IReadOnlyList<CounterEvent> events;
            try
            {
                events = await DotnetCounters.CollectAsync(server.Id, Path.Combine(folder, "counters.json"), Window);
            }
            finally
            {
                await stopLoad.CancelAsync();
                await load;
            }
            await ChildProcesses.StopAsync(server, TimeSpan.FromSeconds(30));
            Assert.True(server.ExitCode == 0, ChildProcesses.Text(stderr) + ChildProcesses.Text(stdout));

            // the host names the pipeline after the application
            var ours = events.Where(e => e.Provider == KakashiMeter.Name && HasTag(e, "pipeline", "Kakashi.WebApi")).ToList();
            var missing = DotnetCounters.Instruments.Where(i => ours.All(e => e.Name != i)).ToList();
            Assert.True(missing.Count == 0, $"not seen by dotnet-counters: {string.Join(", ", missing)}; seen: {string.Join(", ", events.Select(e => e.DisplayName + " " + e.Tags).Distinct())}");
            double written = Rates(ours, "kakashi.writer.written");
            Assert.True(written >= 20, $"kakashi.writer.written rose by {written} while {requests} requests (two records each) were served");
            Assert.True(ours.Where(e => e.Name == "kakashi.writer.written").All(e => e.Tags.Contains("kakashi-.json", StringComparison.Ordinal)), "the writer tag names the rolling file");
            Assert.Equal(0, Rates(ours, "kakashi.logs.dropped"));

            var records = Directory.EnumerateFiles(folder, "kakashi-*.json").SelectMany(File.ReadLines).Count(l => l.Contains("\"Kakashi.WebApi.OrderService\"", StringComparison.Ordinal));
            Assert.Equal(2 * requests, records);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static async Task WaitUntilAnsweringAsync(HttpClient client, Process server, System.Text.StringBuilder stderr)
    {
        var started = Stopwatch.StartNew();
        while (started.Elapsed < TimeSpan.FromSeconds(60))
        {
            Assert.False(server.HasExited, "the sample exited: " + ChildProcesses.Text(stderr));
            try
            {
                using var answer = await client.GetAsync(new Uri("/ping", UriKind.Relative));
                if (answer.IsSuccessStatusCode) return;
            }
            catch (HttpRequestException)
            {
            }
            await Task.Delay(100);
        }
        Assert.Fail("the sample did not answer within 60 s: " + ChildProcesses.Text(stderr));
    }

    private static bool HasTag(CounterEvent e, string key, string value)
        => e.Tags.Split(',').Contains(key + "=" + value, StringComparer.Ordinal);

    private static double Rates(IEnumerable<CounterEvent> events, string name)
        => events.Where(e => e.Name == name && e.CounterType == "Rate").Sum(e => e.Value);
}
