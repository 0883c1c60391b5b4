using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Net.Sockets;
using System.Reflection;
using System.Text;
using System.Text.RegularExpressions;
using System.Threading;
using Kakashi.Benchmarks.Infrastructure;

namespace Kakashi.Benchmarks.Web;

/// <summary>One run of one variant of samples/Kakashi.WebApi under wrk.</summary>
public sealed class WebResult
{
    public string Variant { get; set; } = "";
    public int Run { get; set; }
    public double RequestsPerSecond { get; set; }
    public long Requests { get; set; }
    public double P50Ms { get; set; }
    public double P75Ms { get; set; }
    public double P90Ms { get; set; }
    public double P99Ms { get; set; }
    public long SocketErrors { get; set; }
    public long Non2xx { get; set; }
    /// <summary>Order requests the server counted (warm-up included), from its "served N order requests, logged M records" line at stop.</summary>
    public long Served { get; set; }
    /// <summary>The endpoint's records the server logged (two per request, more with legs=N).</summary>
    public long Logged { get; set; }
    /// <summary>Records of the endpoint (category Kakashi.WebApi.OrderService) found in the log files after the stop.</summary>
    public long Records { get; set; }
    public long LogBytes { get; set; }
    public int LogFiles { get; set; }
    /// <summary>Server CPU time (user + system) over the measured wrk run, per request.</summary>
    public double ServerCpuUsPerRequest { get; set; }
    /// <summary>wrk's own CPU time over the measured run, per request (it shares the two cores).</summary>
    public double WrkCpuUsPerRequest { get; set; }
    public double PeakRssMb { get; set; }
    public double StopMs { get; set; }
    public int ExitCode { get; set; }
    public double BusyBefore { get; set; }
}

/// <summary>
/// ASP.NET Core under load: for each logger variant of samples/Kakashi.WebApi (kakashi, console, serilog, zlogger), start
/// the built sample as a child process on a free loopback port, wait until it answers, warm it up with wrk, run
/// <c>wrk --latency</c> for a bounded time, stop it with SIGTERM (the host's graceful shutdown: the loggers flush), and
/// count the endpoint's records in its log files against the requests it says it served (two per request). Variants
/// alternate within each run and the starting variant rotates between runs; medians of the runs are reported with
/// ratios to the console logger. wrk and the server share the machine's cores (nothing is pinned).
/// </summary>
public static class WebHarness
{
    public static readonly string[] Options = ["variants", "duration", "connections", "threads", "runs", "warm-seconds", "quiet-wait", "charts", "chart-name", "wrk", "path", "raw", "from-raw"];

    public static readonly string[] Variants = ["console", "kakashi", "serilog", "zlogger"];

    public const string Baseline = "console";

    // NaN (no quiet check) must survive the trip
    private static readonly System.Text.Json.JsonSerializerOptions s_rawJson = new() { NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals };

    /// <summary>Every record of the endpoint names this category once on its line (JSON field or the console's header line).</summary>
    public const string RecordMarker = "Kakashi.WebApi.OrderService";

    public static int Run(Cli cli, StringBuilder report)
    {
        var variants = (cli.Get("variants")?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) ?? Variants)
            .Select(v => v.ToLowerInvariant()).ToArray();
        int duration = cli.GetInt("duration", 10);
        int connections = cli.GetInt("connections", 32);
        int threads = cli.GetInt("threads", 2);
        int runs = cli.GetInt("runs", 3);
        int warmSeconds = cli.GetInt("warm-seconds", 5);
        int quietWait = cli.GetInt("quiet-wait", 60);
        string path = cli.Get("path", "/orders/42?customer=acme");
        string wrk = cli.Get("wrk", "wrk");
        string? charts = Charts.Folder(cli.Get("charts"), defaultToRepo: true);
        string sample = SamplePath();
        if (!File.Exists(sample))
        {
            Console.Error.WriteLine($"The sample is not built: {sample} (build benchmarks/Kakashi.Benchmarks, which builds it).");
            return 1;
        }
        string? wrkVersion = WrkVersion(wrk);
        if (wrkVersion is null)
        {
            Console.Error.WriteLine($"'{wrk}' not found: install wrk (Debian: apt-get install -y wrk) or pass --wrk <path>.");
            return 1;
        }

        var results = new List<WebResult>();
        var problems = new List<string>();
        using var temp = new TempFolder("web");
        if (cli.Get("from-raw") is { } from)
        {
            // the report and chart again from an earlier run's --raw file (the same options must be given: they are not in it)
            results = System.Text.Json.JsonSerializer.Deserialize<List<WebResult>>(File.ReadAllText(from), s_rawJson) ?? [];
            runs = results.Count == 0 ? 0 : results.Max(r => r.Run);
            report.AppendLine($"(Report and chart regenerated from {Path.GetFileName(from)}, written by an earlier run of this mode.)");
            report.AppendLine();
        }
        for (int run = 0; run < runs && cli.Get("from-raw") is null; run++)
        {
            // A B C D, then B C D A, ...: no variant always goes first (a warm page cache, a quieter minute)
            for (int k = 0; k < variants.Length; k++)
            {
                string variant = variants[(k + run) % variants.Length];
                Console.Error.WriteLine($"web run {run + 1}/{runs}: {variant}, wrk -c {connections} -t {threads} -d {duration}s (warm-up {warmSeconds}s)");
                double busy = quietWait > 0 ? Quiet.WaitForQuiet(TimeSpan.FromSeconds(quietWait)) : double.NaN;
                var (result, error) = RunOne(sample, wrk, variant, run + 1, duration, warmSeconds, connections, threads, path, temp.Path);
                if (result is null)
                {
                    problems.Add($"{variant} run {run + 1}: {error}");
                    Console.Error.WriteLine("  FAILED: " + error);
                    continue;
                }
                result.BusyBefore = busy;
                if (error.Length > 0) problems.Add($"{variant} run {run + 1}: {error}");
                results.Add(result);
                Console.Error.WriteLine($"  {result.RequestsPerSecond:N0} req/s, p50 {result.P50Ms:0.00} ms, p99 {result.P99Ms:0.00} ms, server {result.ServerCpuUsPerRequest:0} µs CPU/request, " +
                                        $"{result.Records:N0}/{result.Logged:N0} records, stop {result.StopMs:0} ms");
            }
        }

        if (cli.Get("raw") is { } raw && cli.Get("from-raw") is null) File.WriteAllText(raw, System.Text.Json.JsonSerializer.Serialize(results, s_rawJson));
        Report(report, results, problems, variants, duration, warmSeconds, connections, threads, runs, path, wrkVersion, quietWait, ServerSettings(sample));
        if (charts is not null && results.Count > 0)
        {
            var rows = variants.Select(v => Summary.Of(v, results.Where(r => r.Variant == v).ToList())).Where(s => s.Runs > 0).ToList();
            string file = Path.Combine(charts, cli.Get("chart-name", "web-throughput-latency") + ".png");
            Charts.WebChart(file, rows.Select(r => (Label(r.Variant), r.RequestsPerSecond, r.P50Ms, r.P99Ms,
                    results.Where(x => x.Variant == r.Variant).Select(x => x.RequestsPerSecond).ToArray(), results.Where(x => x.Variant == r.Variant).Select(x => x.P99Ms).ToArray())).ToList(),
                $"GET {path}, wrk -c {connections} -t {threads} -d {duration}s, {Environment.ProcessorCount} cores shared by wrk and the server",
                $"bars: median of {runs} runs, dots: each run");
            Console.Error.WriteLine($"chart: {file}");
            report.AppendLine($"Chart: `{Path.GetFileName(file)}` in {charts}.");
            report.AppendLine();
        }
        return 0;
    }

    private static string Label(string variant) => variant switch
    {
        "kakashi" => "Kakashi",
        "console" => "MEL console",
        "serilog" => "Serilog",
        "zlogger" => "ZLogger",
        _ => variant,
    };

    private sealed record Summary(string Variant, int Runs, double RequestsPerSecond, double P50Ms, double P90Ms, double P99Ms, double ServerCpuUs, double WrkCpuUs,
        double BytesPerRecord, double PeakRssMb, double StopMs, string Records)
    {
        public static Summary Of(string variant, List<WebResult> rs)
        {
            double M(Func<WebResult, double> f) => Stats.Median(rs.Select(f));
            string records = rs.Count == 0 ? "" : rs.All(r => r.Records == r.Logged)
                ? $"all ({Stats.Median(rs.Select(r => (double)r.Records)) / 1e6:0.00} M a run)"
                : "**" + string.Join("/", rs.Select(r => $"{r.Records.ToString("N0", CultureInfo.InvariantCulture)} of {r.Logged.ToString("N0", CultureInfo.InvariantCulture)}")) + "**";
            return new Summary(variant, rs.Count, M(r => r.RequestsPerSecond), M(r => r.P50Ms), M(r => r.P90Ms), M(r => r.P99Ms), M(r => r.ServerCpuUsPerRequest),
                M(r => r.WrkCpuUsPerRequest), M(r => r.Records == 0 ? double.NaN : (double)r.LogBytes / r.Records), M(r => r.PeakRssMb), M(r => r.StopMs), records);
        }
    }

    private static void Report(StringBuilder report, List<WebResult> results, List<string> problems, string[] variants, int duration, int warmSeconds, int connections,
        int threads, int runs, string path, string wrkVersion, int quietWait, string server)
    {
        var rows = variants.Select(v => Summary.Of(v, results.Where(r => r.Variant == v).ToList())).ToList();
        // Paired ratios: the machine's speed moves by tens of percent between minutes, more than a logger changes it, so
        // each run's value is divided by the console logger's of the same run (measured within the same minute or so),
        // and the median of those ratios is reported.
        string Paired(string variant, Func<WebResult, double> metric)
        {
            var ratios = new List<double>();
            foreach (var r in results.Where(r => r.Variant == variant))
            {
                var b = results.FirstOrDefault(x => x.Variant == Baseline && x.Run == r.Run);
                if (b is not null && metric(b) > 0) ratios.Add(metric(r) / metric(b));
            }
            return ratios.Count == 0 ? "n/a" : Stats.Median(ratios).ToString("0.00", CultureInfo.InvariantCulture);
        }
        report.AppendLine("## ASP.NET Core service under load (samples/Kakashi.WebApi, wrk)");
        report.AppendLine();
        report.AppendLine($"`wrk --latency -d {duration}s -c {connections} -t {threads} --timeout 5s http://127.0.0.1:<port>{path}` after a {warmSeconds} s warm-up with the same load; " +
                          $"{wrkVersion}; the server: {server}; one server process per variant and run, variants alternating (the first one rotating), {runs} run(s), medians. " +
                          $"Each request logs a [LoggerMessage] call and a LogInformation(template, args) call (and one [LoggerMessage] call per leg with legs=N) inside the request's scopes. " +
                          $"wrk and the server share the {Environment.ProcessorCount} cores: nothing is pinned, so a logger's background work competes with both. " +
                          "`vs console`: the median over runs of variant / console **of the same run** (paired: the machine's speed drifts between runs more than a logger moves it); " +
                          "requests/s above 1.00 is faster, latency and CPU below 1.00 is better. " +
                          "`server CPU/req`: the server's user+system CPU time over the measured run divided by its requests (/proc; it includes the thread pool's spinning while wrk holds a core). " +
                          "`records`: the endpoint's records found in the log files after the graceful stop against those the server logged (warm-up included).");
        report.AppendLine();
        report.AppendLine("| logger | req/s | vs console | p50 ms | p90 ms | p99 ms | p50 vs console | p99 vs console | server CPU µs/req | CPU vs console | wrk CPU µs/req | bytes/record | peak RSS MB | stop ms | records |");
        report.AppendLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |");
        foreach (var r in rows)
        {
            if (r.Runs == 0) { report.AppendLine($"| {Label(r.Variant)} | failed | | | | | | | | | | | | | |"); continue; }
            report.AppendLine($"| {Label(r.Variant)} | {r.RequestsPerSecond:N0} | {Paired(r.Variant, x => x.RequestsPerSecond)} | {r.P50Ms:0.00} | {r.P90Ms:0.00} | {r.P99Ms:0.00} | " +
                              $"{Paired(r.Variant, x => x.P50Ms)} | {Paired(r.Variant, x => x.P99Ms)} | {r.ServerCpuUs:0} | {Paired(r.Variant, x => x.ServerCpuUsPerRequest)} | {r.WrkCpuUs:0} | " +
                              $"{r.BytesPerRecord:0} | {r.PeakRssMb:0} | {r.StopMs:0} | {r.Records} |");
        }
        report.AppendLine();
        report.AppendLine("Per run (req/s, in brackets / console of the run; p99 ms):");
        report.AppendLine();
        foreach (var v in variants)
        {
            var rs = results.Where(r => r.Variant == v).OrderBy(r => r.Run).ToList();
            report.AppendLine($"- {Label(v)}: " + string.Join(", ", rs.Select(r =>
            {
                var b = results.FirstOrDefault(x => x.Variant == Baseline && x.Run == r.Run);
                string ratio = b is null || b.RequestsPerSecond == 0 ? "" : $" ({(r.RequestsPerSecond / b.RequestsPerSecond).ToString("0.00", CultureInfo.InvariantCulture)})";
                return $"run {r.Run} {r.RequestsPerSecond:N0}{ratio}; {r.P99Ms:0.00}";
            })));
        }
        report.AppendLine();
        report.AppendLine(quietWait > 0
            ? $"Shared machine: before each server the harness waited (up to {quietWait} s) for the CPUs to be < {Quiet.BusyThreshold:P0} busy; busy share seen: {string.Join(", ", results.Select(r => r.BusyBefore.ToString("P0", CultureInfo.InvariantCulture)))}."
            : "Shared machine: no quiet check (--quiet-wait 0).");
        report.AppendLine();
        Latency.LatencyHarness.AppendProblems(report, problems);
    }

    /// <summary>The sample's build and GC settings, from its runtimeconfig.json (the harness's own are in the machine table).</summary>
    private static string ServerSettings(string sample)
    {
        string config = Path.ChangeExtension(sample, ".runtimeconfig.json");
        string build = sample.Contains("/Release/", StringComparison.Ordinal) ? "Release" : "**not a Release build**";
        try
        {
            using var json = System.Text.Json.JsonDocument.Parse(File.ReadAllText(config));
            var properties = json.RootElement.GetProperty("runtimeOptions").GetProperty("configProperties");
            bool Flag(string name) => properties.TryGetProperty(name, out var v) && v.ValueKind == System.Text.Json.JsonValueKind.True;
            return $"samples/Kakashi.WebApi {build}, {(Flag("System.GC.Server") ? "server" : "workstation")} GC{(Flag("System.GC.Concurrent") ? " (concurrent)" : "")}";
        }
        catch (Exception e) when (e is IOException or System.Text.Json.JsonException or KeyNotFoundException)
        {
            return $"samples/Kakashi.WebApi {build}";
        }
    }

    private static string Ratio(double value, double? baseline)
        => baseline is null || double.IsNaN(value) || double.IsNaN(baseline.Value) || baseline.Value == 0 ? "n/a" : (value / baseline.Value).ToString("0.00", CultureInfo.InvariantCulture);

    // ------------------------------------------------------------------ one server, one wrk run

    private static (WebResult? Result, string Error) RunOne(string sample, string wrk, string variant, int run, int duration, int warmSeconds, int connections, int threads,
        string path, string tempRoot)
    {
        string logDir = Path.Combine(tempRoot, $"{variant}-{run}");
        Directory.CreateDirectory(logDir);
        string stdoutFile = Path.Combine(logDir, "stdout.log");
        string stderrFile = Path.Combine(tempRoot, $"{variant}-{run}.stderr");
        int port = FreePort();
        // the shell execs the server with stdout and stderr going straight to files (the console variant writes its
        // records to stdout: a file, not a pipe this process would have to read); the pid stays the server's
        var psi = new ProcessStartInfo("/bin/sh") { UseShellExecute = false };
        foreach (var a in new[] { "-c", "out=$1; err=$2; shift 2; exec \"$@\" >\"$out\" 2>\"$err\"", "sh", stdoutFile, stderrFile, DotnetHost(), sample,
                     "--logger", variant, "--port", port.ToString(CultureInfo.InvariantCulture), "--log-dir", logDir })
            psi.ArgumentList.Add(a);
        using var server = Process.Start(psi) ?? throw new InvalidOperationException("could not start the sample");
        var result = new WebResult { Variant = variant, Run = run };
        try
        {
            string url = $"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}";
            if (!WaitUntilAnswering(url + "/ping", server, TimeSpan.FromSeconds(60), out string why))
                return (null, why + " " + Tail(stderrFile));
            var warm = RunWrk(wrk, url + path, warmSeconds, connections, threads, latency: false);
            if (warm.Error is not null) return (null, "warm-up: " + warm.Error);

            var cpu0 = ProcessCpu.Read(server.Id);
            var measured = RunWrk(wrk, url + path, duration, connections, threads, latency: true);
            var cpu1 = ProcessCpu.Read(server.Id);
            if (measured.Error is not null) return (null, measured.Error);
            var parsed = WrkOutput.Parse(measured.Output);
            if (parsed is null) return (null, "could not parse wrk's output: " + measured.Output);
            result.RequestsPerSecond = parsed.RequestsPerSecond;
            result.Requests = parsed.Requests;
            result.P50Ms = parsed.P50Ms;
            result.P75Ms = parsed.P75Ms;
            result.P90Ms = parsed.P90Ms;
            result.P99Ms = parsed.P99Ms;
            result.SocketErrors = parsed.SocketErrors;
            result.Non2xx = parsed.Non2xx;
            if (parsed.Requests > 0)
            {
                result.ServerCpuUsPerRequest = (cpu1 - cpu0).TotalMicroseconds / parsed.Requests;
                result.WrkCpuUsPerRequest = measured.Cpu.TotalMicroseconds / parsed.Requests;
            }
            result.PeakRssMb = ProcessCpu.PeakRssMb(server.Id);

            // graceful stop: SIGTERM, the host stops, the logger providers flush and close their files
            var stop = Stopwatch.StartNew();
            using (var kill = Process.Start("kill", ["-TERM", server.Id.ToString(CultureInfo.InvariantCulture)])) kill.WaitForExit();
            if (!server.WaitForExit(TimeSpan.FromSeconds(60)))
                return (null, "the server did not stop within 60 s of SIGTERM. " + Tail(stderrFile));
            result.StopMs = stop.Elapsed.TotalMilliseconds;
            result.ExitCode = server.ExitCode;
        }
        finally
        {
            if (!server.HasExited)
            {
                try { server.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
                server.WaitForExit();
            }
        }

        string stderr = File.Exists(stderrFile) ? File.ReadAllText(stderrFile) : "";
        var served = Regex.Match(stderr, @"served (\d+) order requests, logged (\d+) records");
        if (!served.Success) return (null, $"the server did not report what it served (exit code {result.ExitCode}). " + Tail(stderrFile));
        result.Served = long.Parse(served.Groups[1].Value, CultureInfo.InvariantCulture);
        result.Logged = long.Parse(served.Groups[2].Value, CultureInfo.InvariantCulture);
        foreach (var file in Directory.EnumerateFiles(logDir))
        {
            var info = new FileInfo(file);
            if (info.Length == 0) continue;
            result.LogFiles++;
            result.LogBytes += info.Length;
            foreach (var line in File.ReadLines(file))
                if (line.Contains(RecordMarker, StringComparison.Ordinal)) result.Records++;
        }
        Directory.Delete(logDir, recursive: true);
        var notes = new List<string>();
        if (result.ExitCode != 0) notes.Add($"exit code {result.ExitCode}");
        if (result.SocketErrors > 0 || result.Non2xx > 0) notes.Add($"wrk saw {result.SocketErrors} socket errors, {result.Non2xx} non-2xx answers");
        if (result.Records != result.Logged) notes.Add($"{result.Records:N0} records written of {result.Logged:N0} logged ({result.Served:N0} requests)");
        return (result, string.Join("; ", notes));
    }

    private sealed record WrkRun(string Output, TimeSpan Cpu, string? Error);

    private static WrkRun RunWrk(string wrk, string url, int seconds, int connections, int threads, bool latency)
    {
        var psi = new ProcessStartInfo(wrk) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (latency) psi.ArgumentList.Add("--latency");
        foreach (var a in new[] { "-d", $"{seconds}s", "-c", connections.ToString(CultureInfo.InvariantCulture), "-t", threads.ToString(CultureInfo.InvariantCulture), "--timeout", "5s", url })
            psi.ArgumentList.Add(a);
        using var process = Process.Start(psi) ?? throw new InvalidOperationException("could not start wrk");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        // wrk's CPU time: read from /proc while it runs (an exited process has none to read); the last read is at most
        // 250 ms before its end, when it only prints its report
        var cpu = TimeSpan.Zero;
        var limit = Stopwatch.StartNew();
        while (!process.WaitForExit(250) && limit.Elapsed.TotalSeconds < seconds + 60) cpu = ProcessCpu.Read(process.Id, cpu);
        if (!process.HasExited)
        {
            try { process.Kill(); } catch (InvalidOperationException) { }
            process.WaitForExit();
            return new WrkRun("", TimeSpan.Zero, $"wrk did not finish within {seconds + 60} s; killed");
        }
        process.WaitForExit();
        string output = stdout.GetAwaiter().GetResult() + stderr.GetAwaiter().GetResult();
        return process.ExitCode == 0 ? new WrkRun(output, cpu, null) : new WrkRun(output, cpu, $"wrk exit code {process.ExitCode}: {output}");
    }

    private static bool WaitUntilAnswering(string url, Process server, TimeSpan timeout, out string why)
    {
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < timeout)
        {
            if (server.HasExited) { why = $"the server exited with {server.ExitCode} before answering."; return false; }
            try
            {
                using var answer = client.GetAsync(new Uri(url)).GetAwaiter().GetResult();
                if (answer.StatusCode == HttpStatusCode.OK) { why = ""; return true; }
            }
            catch (HttpRequestException) { }
            catch (System.Threading.Tasks.TaskCanceledException) { }
            Thread.Sleep(100);
        }
        why = $"no answer from {url} within {timeout.TotalSeconds:0} s.";
        return false;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static string DotnetHost()
    {
        string? path = Environment.ProcessPath;
        if (path is not null && string.Equals(Path.GetFileNameWithoutExtension(path), "dotnet", StringComparison.OrdinalIgnoreCase)) return path;
        string root = Environment.GetEnvironmentVariable("DOTNET_ROOT") ?? "/usr/share/dotnet";
        string candidate = Path.Combine(root, "dotnet");
        return File.Exists(candidate) ? candidate : "dotnet";
    }

    /// <summary>The sample's dll, built next to this project by its project reference (see the csproj).</summary>
    public static string SamplePath()
        => typeof(WebHarness).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "WebApiSample").Value!;

    private static string? WrkVersion(string wrk)
    {
        try
        {
            var psi = new ProcessStartInfo(wrk, ["--version"]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            using var process = Process.Start(psi);
            if (process is null) return null;
            string text = process.StandardOutput.ReadToEnd() + process.StandardError.ReadToEnd();
            process.WaitForExit();
            var first = text.Split('\n')[0].Trim();
            return first.StartsWith("wrk", StringComparison.Ordinal) ? first.Split("Copyright", StringSplitOptions.TrimEntries)[0] : "wrk";
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }
    }

    private static string Tail(string file)
    {
        if (!File.Exists(file)) return "";
        string s = File.ReadAllText(file).Trim();
        return "stderr: " + (s.Length <= 1500 ? s : "..." + s[^1500..]);
    }
}

/// <summary>What <c>wrk --latency</c> prints, parsed.</summary>
public sealed record WrkOutput(double RequestsPerSecond, long Requests, double P50Ms, double P75Ms, double P90Ms, double P99Ms, long SocketErrors, long Non2xx)
{
    public static WrkOutput? Parse(string text)
    {
        var rps = Regex.Match(text, @"Requests/sec:\s+([\d.]+)");
        var requests = Regex.Match(text, @"(\d+) requests in ");
        if (!rps.Success || !requests.Success) return null;
        double P(string percent)
        {
            var m = Regex.Match(text, @"^\s+" + percent + @"%\s+([\d.]+)(us|ms|s)\s*$", RegexOptions.Multiline);
            return m.Success ? ToMs(m.Groups[1].Value, m.Groups[2].Value) : double.NaN;
        }
        long errors = 0;
        var socket = Regex.Match(text, @"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)");
        if (socket.Success)
            for (int g = 1; g <= 4; g++) errors += long.Parse(socket.Groups[g].Value, CultureInfo.InvariantCulture);
        var non2xx = Regex.Match(text, @"Non-2xx or 3xx responses: (\d+)");
        return new WrkOutput(double.Parse(rps.Groups[1].Value, CultureInfo.InvariantCulture), long.Parse(requests.Groups[1].Value, CultureInfo.InvariantCulture),
            P("50"), P("75"), P("90"), P("99"), errors, non2xx.Success ? long.Parse(non2xx.Groups[1].Value, CultureInfo.InvariantCulture) : 0);
    }

    private static double ToMs(string value, string unit)
    {
        double v = double.Parse(value, CultureInfo.InvariantCulture);
        return unit switch { "us" => v / 1000, "ms" => v, _ => v * 1000 };
    }
}

/// <summary>CPU time and peak resident memory of another process, from /proc.</summary>
internal static class ProcessCpu
{
    private static readonly Lazy<double> s_ticksPerSecond = new(ClockTicks);

    public static TimeSpan Read(int pid, TimeSpan ifGone = default)
    {
        try
        {
            string stat = File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            // after "(comm) ": state is field 3, utime 14, stime 15
            long ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
            return TimeSpan.FromSeconds(ticks / s_ticksPerSecond.Value);
        }
        catch (IOException) { return ifGone; }
        catch (FormatException) { return ifGone; }
    }

    public static double PeakRssMb(int pid)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/status"))
            {
                if (!line.StartsWith("VmHWM:", StringComparison.Ordinal)) continue;
                var kb = line["VmHWM:".Length..].Trim().Split(' ')[0];
                return long.Parse(kb, CultureInfo.InvariantCulture) / 1024.0;
            }
        }
        catch (IOException) { }
        return double.NaN;
    }

    private static double ClockTicks()
    {
        try
        {
            var psi = new ProcessStartInfo("getconf", ["CLK_TCK"]) { RedirectStandardOutput = true, UseShellExecute = false };
            using var p = Process.Start(psi);
            if (p is null) return 100;
            string s = p.StandardOutput.ReadToEnd().Trim();
            p.WaitForExit();
            return double.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out double v) && v > 0 ? v : 100;
        }
        catch (System.ComponentModel.Win32Exception) { return 100; }
    }
}
