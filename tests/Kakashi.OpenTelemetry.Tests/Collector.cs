using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Google.Protobuf;
using Opentelemetry.Proto.Collector.Logs.V1;
using Opentelemetry.Proto.Logs.V1;

using OtlpLogRecord = Opentelemetry.Proto.Logs.V1.LogRecord;

namespace Kakashi.OpenTelemetry.Tests;

/// <summary>What the collector answers to one request.</summary>
internal sealed record Answer(int Status, byte[]? Body = null, string ContentType = "application/x-protobuf", string? RetryAfter = null, bool Hang = false)
{
    public static Answer Ok => new(200);

    /// <summary>200 with ExportLogsServiceResponse.partial_success, encoded with Google.Protobuf's own writer (the npm schema predates the field).</summary>
    public static Answer Partial(long rejected, string message)
    {
        var inner = new MemoryStream();
        var partial = new CodedOutputStream(inner);
        partial.WriteTag(1, WireFormat.WireType.Varint);
        partial.WriteInt64(rejected);
        partial.WriteTag(2, WireFormat.WireType.LengthDelimited);
        partial.WriteString(message);
        partial.Flush();
        var outer = new MemoryStream();
        var response = new CodedOutputStream(outer);
        response.WriteTag(1, WireFormat.WireType.LengthDelimited);
        response.WriteBytes(ByteString.CopyFrom(inner.ToArray()));
        response.Flush();
        return new Answer(200, outer.ToArray());
    }

    public static Answer PartialJson(long rejected, string message)
        => new(200, Encoding.UTF8.GetBytes($"{{\"partialSuccess\":{{\"rejectedLogRecords\":\"{rejected}\",\"errorMessage\":\"{message}\"}}}}"), "application/json");
}

/// <summary>One request the collector received, decoded with the classes protoc generated from the official schema.</summary>
internal sealed record Received(int Index, TimeSpan At, string Path, string ContentType, string? ContentEncoding, IReadOnlyDictionary<string, string> Headers,
    byte[] Body, ExportLogsServiceRequest Request, int Status)
{
    public IEnumerable<OtlpLogRecord> Records => Request.ResourceLogs.SelectMany(r => r.ScopeLogs).SelectMany(s => s.LogRecords);

    public int RecordCount => Records.Count();
}

/// <summary>
/// An OTLP/HTTP logs receiver on 127.0.0.1 and a free port: decodes each request with
/// <see cref="ExportLogsServiceRequest.Parser"/> (protobuf) or Google.Protobuf's <see cref="JsonParser"/> (JSON), and answers
/// as <see cref="Respond"/> says (200 by default; partial success, 429 with Retry-After, 5xx, 4xx, or never).
/// </summary>
internal sealed class Collector : IAsyncDisposable
{
    private static readonly JsonParser Json = new(JsonParser.Settings.Default.WithIgnoreUnknownFields(true));

    private readonly HttpListener _listener = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly ConcurrentQueue<Received> _received = new();
    private Task _loop = Task.CompletedTask;
    private int _count;

    public Collector(int? port = null)
    {
        Port = port ?? FreeTcpPort();
        Start();
    }

    public int Port { get; }

    /// <summary>The endpoint without a path: the writer appends /v1/logs.</summary>
    public string Endpoint => $"http://127.0.0.1:{Port}";

    /// <summary>The answer to request number n (0-based).</summary>
    public Func<int, Answer> Respond { get; set; } = _ => Answer.Ok;

    public IReadOnlyList<Received> Requests => [.. _received];

    /// <summary>Requests answered 2xx.</summary>
    public IEnumerable<Received> Accepted => Requests.Where(r => r.Status is >= 200 and < 300);

    public IEnumerable<OtlpLogRecord> AcceptedRecords => Accepted.SelectMany(r => r.Records);

    public static int FreeTcpPort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    private void Start()
    {
        _listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
        _listener.Start();
        _loop = Task.Run(LoopAsync);
    }

    private async Task LoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync().ConfigureAwait(false);
            }
            catch (Exception) when (_stop.IsCancellationRequested || !_listener.IsListening)
            {
                return;
            }
            _ = Task.Run(() => HandleAsync(context));
        }
    }

    private async Task HandleAsync(HttpListenerContext context)
    {
        int index = Interlocked.Increment(ref _count) - 1;
        var at = _clock.Elapsed;
        try
        {
            var request = context.Request;
            var raw = new MemoryStream();
            await request.InputStream.CopyToAsync(raw).ConfigureAwait(false);
            byte[] body = raw.ToArray();
            string? encoding = request.Headers["Content-Encoding"];
            if (string.Equals(encoding, "gzip", StringComparison.OrdinalIgnoreCase))
            {
                using var gzip = new GZipStream(new MemoryStream(body), CompressionMode.Decompress);
                var plain = new MemoryStream();
                await gzip.CopyToAsync(plain).ConfigureAwait(false);
                body = plain.ToArray();
            }
            string contentType = request.ContentType ?? "";
            var parsed = contentType.StartsWith("application/json", StringComparison.Ordinal)
                ? Json.Parse<ExportLogsServiceRequest>(Encoding.UTF8.GetString(body))
                : ExportLogsServiceRequest.Parser.ParseFrom(body);
            var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            foreach (string? name in request.Headers.AllKeys) if (name is not null) headers[name] = request.Headers[name] ?? "";
            var answer = Respond(index);
            _received.Enqueue(new Received(index, at, request.Url?.AbsolutePath ?? "", contentType, encoding, headers, body, parsed, answer.Hang ? 0 : answer.Status));
            if (answer.Hang)
            {
                try
                {
                    await Task.Delay(Timeout.Infinite, _stop.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                }
                context.Response.Abort();
                return;
            }
            var response = context.Response;
            response.StatusCode = answer.Status;
            response.ContentType = answer.ContentType;
            if (answer.RetryAfter is { } retryAfter) response.Headers["Retry-After"] = retryAfter;
            byte[] payload = answer.Body ?? [];
            response.ContentLength64 = payload.Length;
            await response.OutputStream.WriteAsync(payload).ConfigureAwait(false);
            response.Close();
        }
        catch (Exception e)
        {
            Failure ??= e;
            try
            {
                context.Response.StatusCode = 500;
                context.Response.Close();
            }
            catch (Exception)
            {
            }
        }
    }

    /// <summary>A request the collector could not decode (the test then fails with it).</summary>
    public Exception? Failure { get; private set; }

    /// <summary>Stops listening (connections are refused) without forgetting what was received.</summary>
    public void Stop()
    {
        _listener.Stop();
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        try
        {
            _listener.Stop();
            _listener.Close();
        }
        catch (ObjectDisposedException)
        {
        }
        await _loop.ConfigureAwait(false);
    }
}

internal static class Wait
{
    public static async Task Until(Func<bool> condition, int seconds = 30, string? what = null)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > TimeSpan.FromSeconds(seconds)) throw new TimeoutException("condition not reached: " + what);
            await Task.Delay(20);
        }
    }

    public static void AssertBooks(WriterMetrics w) => Assert.Equal(w.Received, w.Written + w.Dropped + w.Filtered + w.Failed + w.Queued);
}
