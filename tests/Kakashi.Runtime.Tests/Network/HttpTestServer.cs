using System;
using System.Collections.Generic;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Net;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Kakashi.Runtime.Tests.Peers;

namespace Kakashi.Runtime.Tests.Network;

/// <summary>What the test endpoint received: one HTTP request, its body gunzipped when it came compressed.</summary>
internal sealed record ReceivedRequest(string Method, string PathAndQuery, IReadOnlyDictionary<string, string> Headers, byte[] Body, DateTime At)
{
    public string Text => Encoding.UTF8.GetString(Body);

    public string[] Lines => Text.Length == 0 ? [] : Text.TrimEnd('\n').Split('\n');
}

/// <summary>How the endpoint answers a request: a status and body, a Retry-After, or never (a peer that hangs).</summary>
internal sealed record ServerAnswer(int Status, string Body = "", int? RetryAfterSeconds = null, bool Hang = false)
{
    public static readonly ServerAnswer Ok = new(200);
}

/// <summary>
/// An HTTP endpoint on 127.0.0.1 standing in for Seq, Elasticsearch or an NDJSON collector (they are not installable here):
/// it records every request and answers as the test scripts it (by request number). <see cref="Stop"/> closes the port (a
/// peer that is down: connections are refused) and <see cref="Start"/> opens it again on the same port.
/// </summary>
internal sealed class HttpTestServer : IAsyncDisposable
{
    private readonly Func<ReceivedRequest, int, ServerAnswer> _answer;
    private readonly List<ReceivedRequest> _requests = new();
    private readonly CancellationTokenSource _hung = new();
    private HttpListener? _listener;
    private Task _loop = Task.CompletedTask;
    private int _count;

    public HttpTestServer(Func<ReceivedRequest, int, ServerAnswer>? answer = null)
    {
        _answer = answer ?? ((_, _) => ServerAnswer.Ok);
        Port = PeerProcess.FreeTcpPort();
        Start();
    }

    public int Port { get; }

    public string Url => $"http://127.0.0.1:{Port}/";

    public IReadOnlyList<ReceivedRequest> Requests
    {
        get { lock (_requests) return _requests.ToArray(); }
    }

    /// <summary>Every body line of every request answered 2xx, in arrival order.</summary>
    public string[] AcceptedLines
    {
        get { lock (_requests) return _requests.Where(r => Accepted.Contains(r)).SelectMany(r => r.Lines).ToArray(); }
    }

    private readonly HashSet<ReceivedRequest> Accepted = new(ReferenceEqualityComparer.Instance);

    public void Start()
    {
        var listener = new HttpListener();
        listener.Prefixes.Add(Url);
        listener.Start();
        _listener = listener;
        _loop = Task.Run(() => ServeAsync(listener));
    }

    /// <summary>Closes the port: the writer's connections are refused until <see cref="Start"/>.</summary>
    public void Stop()
    {
        var listener = _listener;
        _listener = null;
        listener?.Abort();
    }

    private async Task ServeAsync(HttpListener listener)
    {
        while (listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await listener.GetContextAsync();
            }
            catch (Exception) when (!listener.IsListening)
            {
                return;
            }
            catch (HttpListenerException)
            {
                return;
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            _ = Task.Run(() => HandleAsync(context));
        }
    }

    private async Task HandleAsync(HttpListenerContext context)
    {
        try
        {
            var request = context.Request;
            using var body = new MemoryStream();
            Stream source = request.InputStream;
            if (string.Equals(request.Headers["Content-Encoding"], "gzip", StringComparison.OrdinalIgnoreCase)) source = new GZipStream(source, CompressionMode.Decompress);
            await source.CopyToAsync(body);
            var headers = request.Headers.AllKeys.Where(k => k is not null).ToDictionary(k => k!, k => request.Headers[k]!, StringComparer.OrdinalIgnoreCase);
            var received = new ReceivedRequest(request.HttpMethod, request.Url!.PathAndQuery, headers, body.ToArray(), DateTime.UtcNow);
            int index;
            lock (_requests)
            {
                index = _count++;
                _requests.Add(received);
            }
            var answer = _answer(received, index);
            if (answer.Hang)
            {
                try
                {
                    await Task.Delay(Timeout.Infinite, _hung.Token);
                }
                catch (OperationCanceledException)
                {
                }
                context.Response.Abort();
                return;
            }
            if (answer.Status is >= 200 and < 300) lock (_requests) Accepted.Add(received);
            context.Response.StatusCode = answer.Status;
            // one connection per request: the managed HttpListener now and then closes a kept-alive connection after
            // answering on it, before the answer reaches the client, which then sends the request again on a new
            // connection (at least once, as documented; tests that count duplicates need a server that does not do that)
            context.Response.KeepAlive = false;
            if (answer.RetryAfterSeconds is { } after) context.Response.Headers["Retry-After"] = after.ToString(System.Globalization.CultureInfo.InvariantCulture);
            var bytes = Encoding.UTF8.GetBytes(answer.Body);
            context.Response.ContentType = "application/json";
            context.Response.ContentLength64 = bytes.Length;
            await context.Response.OutputStream.WriteAsync(bytes);
            context.Response.Close();
        }
        catch (Exception) when (_listener is null || _hung.IsCancellationRequested)
        {
            // stopped mid-request: the writer sees the connection fail
        }
        catch (HttpListenerException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        _hung.Cancel();
        Stop();
        try
        {
            await _loop;
        }
        catch (Exception)
        {
        }
    }
}
