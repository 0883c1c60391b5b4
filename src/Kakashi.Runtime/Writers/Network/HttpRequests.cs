using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.IO.Compression;
using System.Net;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Net.Security;
using System.Threading;
using System.Threading.Tasks;

namespace Kakashi.Writers.Network;

/// <summary>What the HTTP writers share: endpoint checks, the client, the request, and the meaning of an answer.</summary>
internal static class HttpRequests
{
    public static void CheckEndpoint(string? endpoint, string property)
    {
        if (!Uri.TryCreate(endpoint, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
            throw new ArgumentException($"{property}.Endpoint must be an absolute http:// or https:// URL; got '{endpoint}'.", property + ".Endpoint");
    }

    public static void CheckHeaders(IReadOnlyDictionary<string, string>? headers, string property)
    {
        if (headers is null) throw new ArgumentNullException(property + ".Headers");
        using var probe = new HttpRequestMessage();
        foreach (var (name, value) in headers)
        {
            if (string.IsNullOrWhiteSpace(name) || !probe.Headers.TryAddWithoutValidation(name, value) || name.Equals("Content-Type", StringComparison.OrdinalIgnoreCase)
                || name.Equals("Content-Encoding", StringComparison.OrdinalIgnoreCase) || name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
                throw new ArgumentException($"{property}.Headers has an invalid or reserved header '{name}' (content headers are set by the writer).", property + ".Headers");
        }
    }

    /// <summary>Seq's raw ingestion endpoint: the base URL gets <c>/api/events/raw?clef</c>; a URL with a path is used as given.</summary>
    public static Uri SeqIngestionUri(string endpoint)
    {
        var uri = new Uri(endpoint);
        if (uri.AbsolutePath is "" or "/") return new Uri(uri, "api/events/raw?clef");
        return uri;
    }

    /// <summary>ClickHouse's HTTP interface with the insert query (and unknown JSON fields skipped: a document carries more than most tables want).</summary>
    public static Uri ClickHouseInsertUri(string endpoint, string table)
    {
        var builder = new UriBuilder(endpoint);
        string query = Uri.EscapeDataString($"INSERT INTO {table} FORMAT JSONEachRow");
        string existing = builder.Query.TrimStart('?');
        builder.Query = (existing.Length > 0 ? existing + "&" : "") + "query=" + query + "&input_format_skip_unknown_fields=1";
        return builder.Uri;
    }

    public static HttpClient CreateClient(HttpMessageHandler? handler, RemoteCertificateValidationCallback? validation)
    {
        if (handler is not null) return new HttpClient(handler, disposeHandler: false) { Timeout = System.Threading.Timeout.InfiniteTimeSpan };
        var own = new SocketsHttpHandler
        {
            // new DNS answers are picked up, a dead connection is not reused forever
            PooledConnectionLifetime = TimeSpan.FromMinutes(2),
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30),
            ConnectTimeout = TimeSpan.FromSeconds(10),
            AutomaticDecompression = DecompressionMethods.None,
            UseCookies = false,
        };
        if (validation is not null) own.SslOptions.RemoteCertificateValidationCallback = validation;
        // the stage's timeout cancels each attempt; the client's own would only add a second clock
        return new HttpClient(own, disposeHandler: true) { Timeout = System.Threading.Timeout.InfiniteTimeSpan };
    }

    /// <summary>A POST of <paramref name="body"/> (not copied; gzip'd into <paramref name="gzip"/>, reused per writer).</summary>
    public static HttpRequestMessage Post(Uri uri, ReadOnlyMemory<byte> body, string contentType, IReadOnlyDictionary<string, string> headers, bool compress, ref MemoryStream? gzip)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, uri);
        HttpContent content;
        if (compress)
        {
            gzip ??= new MemoryStream();
            gzip.SetLength(0);
            using (var zip = new GZipStream(gzip, CompressionLevel.Fastest, leaveOpen: true)) zip.Write(body.Span);
            content = new ReadOnlyMemoryContent(gzip.GetBuffer().AsMemory(0, (int)gzip.Length));
            content.Headers.ContentEncoding.Add("gzip");
        }
        else
        {
            content = new ReadOnlyMemoryContent(body);
        }
        content.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        request.Content = content;
        foreach (var (name, value) in headers) request.Headers.TryAddWithoutValidation(name, value);
        return request;
    }

    /// <summary>
    /// The exception an unsuccessful answer becomes: 408, 429 and 5xx are transient (with the server's <c>Retry-After</c>);
    /// any other status is permanent (retrying the same body cannot help). The message carries the start of the body.
    /// </summary>
    public static async Task<LogWriteException> FailureAsync(HttpResponseMessage response, string writer, int records, CancellationToken cancellationToken)
    {
        int status = (int)response.StatusCode;
        bool transient = status is 408 or 429 || status >= 500;
        string detail = "";
        try
        {
            detail = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            if (detail.Length > 512) detail = detail[..512] + "…";
        }
        catch (Exception e) when (e is IOException or HttpRequestException or OperationCanceledException)
        {
            // the status is what matters
        }
        var retryAfter = RetryAfter(response);
        string what = transient ? "will be retried" : "not retried: the destination refused them";
        return new LogWriteException(
            $"{writer}: the server answered {status} {response.ReasonPhrase} to a request of {records} records ({what}){(detail.Length > 0 ? ": " + detail : ".")}",
            transient, retryAfter);
    }

    /// <summary>The wait a <c>Retry-After</c> header asks for (seconds or an HTTP date), if any.</summary>
    public static TimeSpan? RetryAfter(HttpResponseMessage response)
    {
        var header = response.Headers.RetryAfter;
        if (header is null) return null;
        if (header.Delta is { } delta) return delta < TimeSpan.Zero ? TimeSpan.Zero : delta;
        if (header.Date is { } date)
        {
            var wait = date - DateTimeOffset.UtcNow;
            return wait < TimeSpan.Zero ? TimeSpan.Zero : wait;
        }
        return null;
    }
}

/// <summary>
/// How far a writer that confirms per request got through a batch: a retried write (the same batch id) resumes after the
/// records already settled; <see cref="Next"/> cuts the rest into requests within the writer's limits.
/// </summary>
internal struct RequestProgress
{
    private long _batchId;
    private int _settled;

    public void Start(LogBatch batch)
    {
        if (batch.Id == _batchId) return;
        _batchId = batch.Id;
        _settled = 0;
    }

    public readonly int SettledInBatch => _settled;

    /// <summary>The next request's body: whole records from the first unsettled one, at most <paramref name="maxRecords"/> and (but at least one record) <paramref name="maxBytes"/>.</summary>
    public readonly bool Next(LogBatch batch, int maxRecords, int maxBytes, out ReadOnlyMemory<byte> body, out int records)
    {
        int first = _settled;
        records = 0;
        body = default;
        if (first >= batch.Count) return false;
        int start = first == 0 ? 0 : batch.RecordEnd(first - 1);
        int last = first;
        int limit = Math.Min(batch.Count, first + maxRecords);
        while (last + 1 < limit && batch.RecordEnd(last + 1) - start <= maxBytes) last++;
        records = last - first + 1;
        body = batch.Bytes[start..batch.RecordEnd(last)];
        return true;
    }

    public void Settled(int records) => _settled += records;
}
