using System;
using System.Collections.Generic;
using System.IO;
using System.Net.Http;
using System.Net.Security;
using System.Threading;
using System.Threading.Tasks;
using Kakashi.Writers.Network;

namespace Kakashi;

/// <summary>
/// What the HTTP writers (<see cref="AsyncNetworkWriter"/>, <see cref="AsyncElasticsearchWriter"/>) share: the endpoint,
/// the request limits the stage gathers batches to, the per-request timeout and retries, compression, headers, TLS, and
/// one <see cref="HttpClient"/>. Each request's records are confirmed when it is answered 2xx, so a retry after a failure
/// resumes at the first request not yet answered.
/// </summary>
public abstract class HttpBatchWriter : LogWriter
{
    private HttpClient? _client;
    private MemoryStream? _gzip;

    /// <summary>How far the writer got through the batch being written (a retry resumes after the answered requests).</summary>
    private protected RequestProgress Progress;

    private protected HttpBatchWriter(string endpoint, int batchBytes)
    {
        Endpoint = endpoint;
        BatchBytes = batchBytes;
    }

    /// <summary>The server's URL (an absolute http or https URL).</summary>
    public string Endpoint { get; }

    /// <summary>Most records in one request. Default 1,000 (Serilog's Seq sink's default).</summary>
    public int BatchSize { get; init; } = 1000;

    /// <summary>Most body bytes in one request before compression (a single larger record is sent alone). Default 4 MiB (5 MiB for Elasticsearch).</summary>
    public int BatchBytes { get; init; }

    /// <summary>Longest a record waits for others to fill its request. Default 1 s; zero sends what is queued at once.</summary>
    public TimeSpan FlushInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Longest one request may take (connect, send, answer) before it counts as failed and is retried. Default 5 s (<see cref="LogWriter.WriteTimeout"/>).</summary>
    public TimeSpan Timeout
    {
        get => WriteTimeout;
        init => WriteTimeout = value;
    }

    /// <summary>Retries of a failed request (<see cref="RetryOptions.MaxRetries"/> of <see cref="LogWriter.Retry"/>, whose backoff applies). Default 3.</summary>
    public int MaxRetries
    {
        get => Retry.MaxRetries;
        init => Retry = new RetryOptions { MaxRetries = value, InitialDelay = Retry.InitialDelay, MaxDelay = Retry.MaxDelay, Jitter = Retry.Jitter, MaxRetryAfter = Retry.MaxRetryAfter };
    }

    /// <summary>Compresses request bodies with gzip (<c>Content-Encoding: gzip</c>). Default false.</summary>
    public bool Gzip { get; init; }

    /// <summary>Headers added to every request: API keys (<c>X-Seq-ApiKey</c>, <c>Authorization</c>, <c>X-ClickHouse-Key</c>), tenant ids. Content headers are the writer's.</summary>
    public IReadOnlyDictionary<string, string> Headers { get; init; } = new Dictionary<string, string>();

    /// <summary>Checks the server's certificate on https endpoints; null (default) uses the operating system's trust store.</summary>
    public RemoteCertificateValidationCallback? ServerCertificateValidation { get; init; }

    /// <summary>Sends requests through this handler instead of the writer's own (a proxy, client certificates, tests). The writer does not dispose it.</summary>
    public HttpMessageHandler? Handler { get; init; }

    /// <inheritdoc/>
    protected internal sealed override bool ConfirmsDelivery => true;

    /// <inheritdoc/>
    protected internal sealed override BatchingOptions? Batching => new(BatchSize, BatchBytes, FlushInterval);

    /// <inheritdoc/>
    protected internal override void Validate(string property)
    {
        HttpRequests.CheckEndpoint(Endpoint, property);
        if (BatchSize < 1) throw new ArgumentOutOfRangeException(property + "." + nameof(BatchSize), BatchSize, $"{property}.BatchSize must be at least 1.");
        if (BatchBytes < 1024) throw new ArgumentOutOfRangeException(property + "." + nameof(BatchBytes), BatchBytes, $"{property}.BatchBytes must be at least 1 KiB.");
        HttpRequests.CheckHeaders(Headers, property);
    }

    /// <inheritdoc/>
    protected internal override void Open(WriterContext context) => _client = HttpRequests.CreateClient(Handler, ServerCertificateValidation);

    /// <summary>POSTs one request's body (gzip'd when asked) and returns the answer's headers; the caller reads and disposes it.</summary>
    private protected async Task<HttpResponseMessage> PostAsync(Uri uri, ReadOnlyMemory<byte> body, string contentType, CancellationToken cancellationToken)
    {
        using var request = HttpRequests.Post(uri, body, contentType, Headers, Gzip, ref _gzip);
        return await _client!.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Every request is answered before <see cref="LogWriter.WriteAsync"/> returns: nothing waits for a flush.</summary>
    protected internal override ValueTask FlushAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;

    /// <inheritdoc/>
    public override ValueTask DisposeAsync()
    {
        _client?.Dispose();
        _client = null;
        GC.SuppressFinalize(this);
        return ValueTask.CompletedTask;
    }
}
