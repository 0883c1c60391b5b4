using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Kakashi.Benchmarks.Infrastructure;
using Kakashi.Benchmarks.Peers;
using Microsoft.Extensions.Logging;
using Serilog;

namespace Kakashi.Benchmarks.Network;

/// <summary>What one network child measured: one peer sending to its endpoint on loopback.</summary>
public sealed class NetworkResult
{
    public string Peer { get; set; } = "";
    public long Records { get; set; }
    public long Received { get; set; }
    public double Seconds { get; set; }
    public double RecordsPerSecond { get; set; }
    public double CallerNsPerCall { get; set; }
    public long Requests { get; set; }
    public long BodyBytes { get; set; }
}

/// <summary>
/// Records per second a network writer sustains to its destination on loopback, end to end: from the first timed call
/// to the moment the destination has received the last record (an HTTP endpoint in the child that counts records as
/// Seq, Elasticsearch or an NDJSON collector would receive them; a real clickhouse-server for ClickHouse). One producer
/// thread logs as fast as it can; each peer is lossless here (Kakashi's writer blocks when its stage is full, Serilog's
/// queue is made large enough), so records/s is what the writer and its destination sustain together. Each peer runs in
/// its own process, peers alternate, the median of the runs is reported.
/// </summary>
public static class NetworkHarness
{
    public static readonly string[] Options = ["peers", "runs", "records", "warm", "peer"];

    public static readonly string[] Peers = ["Kakashi-seq", "Serilog-seq", "Serilog-seq-1ms", "Kakashi-otlp", "Serilog-otlp", "Kakashi-ndjson", "Kakashi-es", "Kakashi-clickhouse", "Kakashi-syslog-tcp"];

    public static void Run(Cli cli, StringBuilder report)
    {
        var peers = (cli.Get("peers")?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) ?? Peers).ToArray();
        int runs = cli.GetInt("runs", 3);
        int records = cli.GetInt("records", 200_000);
        int warm = cli.GetInt("warm", 20_000);
        var results = peers.ToDictionary(p => p, _ => new List<NetworkResult>());
        var errors = new List<string>();
        for (int run = 0; run < runs; run++)
        {
            foreach (var peer in peers)
            {
                Console.Error.WriteLine($"network run {run + 1}/{runs}: {peer}, {records:N0} records");
                var (result, error) = ChildProcess.Run<NetworkResult>(
                    ["network-child", "--peer", peer, "--records", records.ToString(CultureInfo.InvariantCulture), "--warm", warm.ToString(CultureInfo.InvariantCulture)],
                    TimeSpan.FromMinutes(5));
                if (result is null) errors.Add($"{peer} run {run + 1}: {error}");
                else results[peer].Add(result);
            }
        }
        report.AppendLine("## Network writers: records/s to the destination on loopback");
        report.AppendLine();
        report.AppendLine($"{records:N0} records after a {warm:N0}-record warm-up, 1 producer thread, median of {runs} runs, each peer in its own process.");
        report.AppendLine();
        report.AppendLine("| peer | records/s (median) | vs Kakashi-seq | caller ns/call | requests | bytes/record | received |");
        report.AppendLine("|---|---:|---:|---:|---:|---:|---:|");
        double baseline = Median(results.GetValueOrDefault("Kakashi-seq"));
        foreach (var peer in peers)
        {
            var list = results[peer];
            if (list.Count == 0)
            {
                report.AppendLine($"| {peer} | failed | | | | | |");
                continue;
            }
            double median = Median(list);
            var last = list[^1];
            report.AppendLine($"| {peer} | {median:N0} | {(baseline > 0 ? (median / baseline).ToString("0.00", CultureInfo.InvariantCulture) + "×" : "")} | {Stats.Median(list.Select(r => r.CallerNsPerCall)):N0} | {last.Requests:N0} | {(last.Received > 0 ? last.BodyBytes / (double)last.Received : 0):N0} | {last.Received:N0}/{last.Records:N0} |");
        }
        report.AppendLine();
        foreach (var e in errors) report.AppendLine($"- {e}");
        report.AppendLine();
    }

    private static double Median(List<NetworkResult>? list) => list is null || list.Count == 0 ? 0 : Stats.Median(list.Select(r => r.RecordsPerSecond));

    public static int Child(Cli cli)
    {
        string peer = cli.Get("peer") ?? throw new ArgumentException("--peer is required");
        int records = cli.GetInt("records", 200_000);
        int warm = cli.GetInt("warm", 20_000);
        using var sink = peer switch
        {
            "Kakashi-clickhouse" => new ClickHouseSink(),
            "Kakashi-syslog-tcp" => new CountingLineSink(),
            _ => (IRecordSink)new CountingHttpSink(),
        };
        using var logger = NetworkPeer.Create(peer, sink.Url, records + warm);
        int orderId = 0;
        for (int i = 0; i < warm; i++) logger.Log(orderId++);
        Wait(sink, warm);
        GC.Collect();
        long start = Stopwatch.GetTimestamp();
        for (int i = 0; i < records; i++) logger.Log(orderId++);
        double callerSeconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
        Wait(sink, warm + records);
        double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
        logger.Dispose();
        ChildProcess.WriteResult(new NetworkResult
        {
            Peer = peer,
            Records = records,
            Received = sink.Records - warm,
            Seconds = seconds,
            RecordsPerSecond = records / seconds,
            CallerNsPerCall = callerSeconds * 1e9 / records,
            Requests = sink.Requests,
            BodyBytes = sink.BodyBytes,
        });
        return 0;
    }

    private static void Wait(IRecordSink sink, long count)
    {
        var clock = Stopwatch.StartNew();
        while (sink.Records < count)
        {
            if (clock.Elapsed > TimeSpan.FromMinutes(3)) throw new TimeoutException($"the destination received {sink.Records} of {count} records");
            Thread.Sleep(1);
        }
    }
}

/// <summary>Where a network peer sends, and how many records arrived.</summary>
internal interface IRecordSink : IDisposable
{
    string Url { get; }
    long Records { get; }
    long Requests { get; }
    long BodyBytes { get; }
}

/// <summary>
/// An HTTP endpoint that reads every body and counts its records (lines; for a _bulk body, pairs of lines) and answers as
/// the destination would: 201 with <c>{}</c> (Seq), a bulk answer without errors (Elasticsearch), 200 (NDJSON).
/// </summary>
internal sealed class CountingHttpSink : IRecordSink
{
    private readonly HttpListener _listener = new();
    private long _records, _requests, _bytes;

    public CountingHttpSink()
    {
        int port = HungEndpoint.ClosedPort();
        Url = $"http://127.0.0.1:{port}/";
        _listener.Prefixes.Add(Url);
        _listener.Start();
        for (int i = 0; i < 4; i++) _ = Task.Run(ServeAsync);
    }

    public string Url { get; }
    public long Records => Interlocked.Read(ref _records);
    public long Requests => Interlocked.Read(ref _requests);
    public long BodyBytes => Interlocked.Read(ref _bytes);

    private async Task ServeAsync()
    {
        var buffer = new byte[1 << 20];
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception)
            {
                return;
            }
            long lines = 0, bytes = 0;
            var body = context.Request.InputStream;
            bool otlp = context.Request.Url!.AbsolutePath.EndsWith("/v1/logs", StringComparison.Ordinal);
            int read;
            using var whole = otlp ? new MemoryStream() : null;
            while ((read = await body.ReadAsync(buffer)) > 0)
            {
                bytes += read;
                if (otlp) whole!.Write(buffer, 0, read);
                else lines += buffer.AsSpan(0, read).Count((byte)'\n');
            }
            if (otlp) lines = OtlpCount.LogRecords(whole!.GetBuffer().AsSpan(0, (int)whole.Length));
            bool bulk = context.Request.Url!.AbsolutePath.EndsWith("/_bulk", StringComparison.Ordinal);
            Interlocked.Add(ref _bytes, bytes);
            Interlocked.Increment(ref _requests);
            Interlocked.Add(ref _records, bulk ? lines / 2 : lines);
            var answer = otlp ? [] : bulk ? "{\"took\":1,\"errors\":false,\"items\":[]}"u8.ToArray() : "{}"u8.ToArray();
            context.Response.StatusCode = bulk || otlp ? 200 : 201;
            context.Response.ContentType = otlp ? "application/x-protobuf" : "application/json";
            // the length first: the answer goes out in one segment (a chunked answer in two small writes waits out
            // Nagle and the client's delayed ACK, 40 ms per request, for a writer that reads the answer)
            context.Response.ContentLength64 = answer.Length;
            await context.Response.OutputStream.WriteAsync(answer);
            context.Response.Close();
        }
    }

    public void Dispose() => _listener.Abort();
}

/// <summary>A TCP syslog relay that counts LF-framed messages (what a relay reading RFC 6587 non-transparent framing receives).</summary>
internal sealed class CountingLineSink : IRecordSink
{
    private readonly System.Net.Sockets.TcpListener _listener = new(IPAddress.Loopback, 0);
    private long _records, _bytes;

    public CountingLineSink()
    {
        _listener.Start();
        Url = $"tcp://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/";
        _ = Task.Run(async () =>
        {
            try
            {
                while (true)
                {
                    var socket = await _listener.AcceptSocketAsync();
                    _ = Task.Run(async () =>
                    {
                        var buffer = new byte[1 << 20];
                        int read;
                        while ((read = await socket.ReceiveAsync(buffer)) > 0)
                        {
                            Interlocked.Add(ref _bytes, read);
                            Interlocked.Add(ref _records, buffer.AsSpan(0, read).Count((byte)'\n'));
                        }
                    });
                }
            }
            catch (Exception)
            {
                // stopped
            }
        });
    }

    public string Url { get; }
    public long Records => Interlocked.Read(ref _records);
    public long Requests => 0;
    public long BodyBytes => Interlocked.Read(ref _bytes);

    public void Dispose() => _listener.Stop();
}

/// <summary>A real clickhouse-server in a temp folder (the tests' setup), counted with SELECT count().</summary>
internal sealed class ClickHouseSink : IRecordSink
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "kakashi-bench-clickhouse-" + Guid.NewGuid().ToString("N"));
    private readonly Process _server;
    private readonly HttpClient _http = new();
    private long _last;
    private long _lastAt;

    public ClickHouseSink()
    {
        int http = HungEndpoint.ClosedPort(), tcp = HungEndpoint.ClosedPort();
        Directory.CreateDirectory(_folder);
        File.WriteAllText(Path.Combine(_folder, "config.xml"), $"<yandex><logger><level>warning</level><console>1</console></logger><http_port>{http}</http_port><tcp_port>{tcp}</tcp_port><listen_host>127.0.0.1</listen_host><path>{_folder}/data/</path><tmp_path>{_folder}/tmp/</tmp_path><user_files_path>{_folder}/u/</user_files_path><format_schema_path>{_folder}/f/</format_schema_path><users_config>{_folder}/users.xml</users_config><default_profile>default</default_profile><default_database>default</default_database><mark_cache_size>268435456</mark_cache_size></yandex>");
        File.WriteAllText(Path.Combine(_folder, "users.xml"), "<yandex><profiles><default></default></profiles><users><default><password></password><networks><ip>127.0.0.1</ip></networks><profile>default</profile><quota>default</quota></default></users><quotas><default></default></quotas></yandex>");
        _server = Process.Start(new ProcessStartInfo("clickhouse-server", $"--config-file={_folder}/config.xml") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false })!;
        Url = $"http://127.0.0.1:{http}/";
        var clock = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                if (_http.GetStringAsync(Url + "ping").GetAwaiter().GetResult().StartsWith("Ok", StringComparison.Ordinal)) break;
            }
            catch (HttpRequestException)
            {
                if (clock.Elapsed > TimeSpan.FromSeconds(60)) throw;
                Thread.Sleep(100);
            }
        }
        Query("CREATE TABLE logs (Timestamp String, Level String, Category String, EventId Int32, EventName String, MessageTemplate String, Message String, Time DateTime MATERIALIZED parseDateTimeBestEffort(Timestamp)) ENGINE = MergeTree() ORDER BY Time");
    }

    public string Url { get; }

    public long Records
    {
        get
        {
            // at most one count query per 20 ms
            long now = Stopwatch.GetTimestamp();
            if (Stopwatch.GetElapsedTime(_lastAt, now) > TimeSpan.FromMilliseconds(20))
            {
                _last = long.Parse(Query("SELECT count() FROM logs").Trim(), CultureInfo.InvariantCulture);
                _lastAt = now;
            }
            return _last;
        }
    }

    public long Requests => 0;
    public long BodyBytes => 0;

    private string Query(string sql)
    {
        using var response = _http.PostAsync(Url, new StringContent(sql)).GetAwaiter().GetResult();
        return response.Content.ReadAsStringAsync().GetAwaiter().GetResult();
    }

    public void Dispose()
    {
        _server.Kill();
        _server.WaitForExit();
        _http.Dispose();
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

/// <summary>
/// The network peers: Kakashi's writers and Serilog's Seq sink, configured alike (1,000 records per request, 100 ms
/// interval); Serilog-seq-1ms gives Serilog's batching a 1 ms period (it waits a period between batches even when its queue
/// holds a full one, so its default pacing caps what it sends).
/// </summary>
internal abstract class NetworkPeer : IDisposable
{
    public abstract void Log(int orderId);

    public abstract void Dispose();

    public static NetworkPeer Create(string name, string url, int capacity) => name switch
    {
        "Serilog-seq" => new SerilogSeq(url, capacity, TimeSpan.FromMilliseconds(100)),
        "Serilog-seq-1ms" => new SerilogSeq(url, capacity, TimeSpan.FromMilliseconds(1)),
        "Kakashi-seq" => new KakashiNetwork(new AsyncNetworkWriter(url) { Format = NetworkFormat.SeqClef, BatchSize = 1000, FlushInterval = TimeSpan.FromMilliseconds(100), Backpressure = DropStrategy.Block }),
        "Kakashi-otlp" => new KakashiNetwork(new OtlpWriter(url.TrimEnd('/') + "/v1/logs") { BatchSize = 1000, FlushInterval = TimeSpan.FromMilliseconds(100), Backpressure = DropStrategy.Block }),
        "Serilog-otlp" => new SerilogOtlp(url.TrimEnd('/') + "/v1/logs", capacity),
        "Kakashi-ndjson" => new KakashiNetwork(new AsyncNetworkWriter(url) { BatchSize = 1000, FlushInterval = TimeSpan.FromMilliseconds(100), Backpressure = DropStrategy.Block }),
        "Kakashi-es" => new KakashiNetwork(new AsyncElasticsearchWriter(url.TrimEnd('/'), "logs-bench") { BatchSize = 1000, FlushInterval = TimeSpan.FromMilliseconds(100), Backpressure = DropStrategy.Block }),
        "Kakashi-syslog-tcp" => new KakashiNetwork(new SyslogWriter("127.0.0.1", new Uri(url).Port) { Framing = SyslogFraming.LineFeed, Backpressure = DropStrategy.Block }),
        "Kakashi-clickhouse" => new KakashiNetwork(new AsyncNetworkWriter(url) { Format = NetworkFormat.ClickHouse, Table = "logs", BatchSize = 10_000, FlushInterval = TimeSpan.FromMilliseconds(200), Backpressure = DropStrategy.Block }),
        _ => throw new ArgumentException($"Unknown network peer '{name}'. Known: {string.Join(", ", NetworkHarness.Peers)}."),
    };

    private sealed class KakashiNetwork : NetworkPeer
    {
        private readonly AsyncPipeline _pipeline;
        private readonly KakashiLogger _logger;

        public KakashiNetwork(LogWriter writer)
        {
            _pipeline = new AsyncPipeline(new AsyncPipelineConfig { MinLevel = LogLevel.Information, Writers = [writer], FlushOnProcessExit = false });
            _logger = _pipeline.CreateLogger(PeerSetup.Category);
        }

        public override void Log(int orderId) => _logger.OrderFilled(orderId, PeerSetup.Quantity, PeerSetup.Price, PeerSetup.Symbol);

        public override void Dispose() => _pipeline.Dispose();
    }

    private sealed class SerilogOtlp : NetworkPeer
    {
        private readonly Serilog.Core.Logger _logger;
        private readonly Serilog.ILogger _category;

        public SerilogOtlp(string url, int capacity)
        {
            _logger = new LoggerConfiguration().MinimumLevel.Information()
                .WriteTo.OpenTelemetry(options =>
                {
                    options.Endpoint = url;
                    options.Protocol = Serilog.Sinks.OpenTelemetry.OtlpProtocol.HttpProtobuf;
                    options.BatchingOptions.BatchSizeLimit = 1000;
                    options.BatchingOptions.BufferingTimeLimit = TimeSpan.FromMilliseconds(100);
                    options.BatchingOptions.QueueLimit = capacity;
                })
                .CreateLogger();
            _category = _logger.ForContext("SourceContext", PeerSetup.Category);
        }

        public override void Log(int orderId) => _category.Information(PeerSetup.Template, orderId, PeerSetup.Quantity, PeerSetup.Price, PeerSetup.Symbol);

        public override void Dispose() => _logger.Dispose();
    }

    private sealed class SerilogSeq : NetworkPeer
    {
        private readonly Serilog.Core.Logger _logger;
        private readonly Serilog.ILogger _category;

        public SerilogSeq(string url, int capacity, TimeSpan period)
        {
            _logger = new LoggerConfiguration().MinimumLevel.Information()
                .WriteTo.Seq(url, batchPostingLimit: 1000, period: period, queueSizeLimit: capacity)
                .CreateLogger();
            _category = _logger.ForContext("SourceContext", PeerSetup.Category);
        }

        public override void Log(int orderId) => _category.Information(PeerSetup.Template, orderId, PeerSetup.Quantity, PeerSetup.Price, PeerSetup.Symbol);

        public override void Dispose() => _logger.Dispose();
    }
}

/// <summary>Counts the LogRecords of an OTLP ExportLogsServiceRequest (resource_logs 1 → scope_logs 2 → log_records 2) without decoding them.</summary>
internal static class OtlpCount
{
    public static long LogRecords(ReadOnlySpan<byte> request) => Count(request, depth: 0);

    private static long Count(ReadOnlySpan<byte> message, int depth)
    {
        long count = 0;
        int at = 0;
        while (at < message.Length)
        {
            ulong tag = Varint(message, ref at);
            int field = (int)(tag >> 3);
            switch ((int)(tag & 7))
            {
                case 0: Varint(message, ref at); break;
                case 1: at += 8; break;
                case 5: at += 4; break;
                case 2:
                    int length = (int)Varint(message, ref at);
                    var inner = message.Slice(at, length);
                    at += length;
                    if (depth == 0 && field == 1) count += Count(inner, 1);       // ResourceLogs
                    else if (depth == 1 && field == 2) count += Count(inner, 2);  // ScopeLogs
                    else if (depth == 2 && field == 2) count++;                    // a LogRecord
                    break;
                default: throw new InvalidDataException($"wire type {tag & 7}");
            }
        }
        return count;
    }

    private static ulong Varint(ReadOnlySpan<byte> data, ref int at)
    {
        ulong value = 0;
        for (int shift = 0; ; shift += 7)
        {
            byte b = data[at++];
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80) return value;
        }
    }
}
