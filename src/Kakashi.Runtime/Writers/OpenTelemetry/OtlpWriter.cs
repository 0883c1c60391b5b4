using System;
using System.Buffers;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.IO.Compression;
using System.Net;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Net.Security;
using System.Text;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using Kakashi.Formatting;
using Kakashi.OpenTelemetry;

namespace Kakashi;

/// <summary>How an <see cref="OtlpWriter"/> encodes its requests.</summary>
public enum OtlpProtocol
{
    /// <summary>OTLP/HTTP with binary protobuf bodies (<c>application/x-protobuf</c>): the default, and the smallest.</summary>
    HttpProtobuf,
    /// <summary>OTLP/HTTP with JSON bodies (<c>application/json</c>, the OTLP JSON mapping).</summary>
    HttpJson,
}

/// <summary>Request body compression of an <see cref="OtlpWriter"/>.</summary>
public enum OtlpCompression
{
    /// <summary>No compression.</summary>
    None,
    /// <summary>gzip (<c>Content-Encoding: gzip</c>), which every OTLP/HTTP receiver accepts.</summary>
    Gzip,
}

/// <summary>
/// Sends records to an OpenTelemetry collector (or any OTLP/HTTP logs receiver): each request is an
/// <c>ExportLogsServiceRequest</c> POSTed to the logs endpoint, with one <c>ResourceLogs</c> (this process: service, host,
/// process id, SDK) and one <c>ScopeLogs</c> per category among its records (the category is
/// <c>InstrumentationScope.name</c>, as the OpenTelemetry .NET SDK maps an ILogger category). Records are encoded on the
/// drain by <see cref="OtlpFormatter"/> (or <see cref="OtlpJsonFormatter"/>), with no per-record allocation; the writer only
/// frames them. The protobuf encoder is hand-written: no protobuf package is needed.
/// </summary>
/// <remarks>
/// <para><b>Endpoint</b>: an endpoint with a path is used as it is; one without (<c>http://collector:4318</c>) gets
/// <c>/v1/logs</c>. With no endpoint, <c>OTEL_EXPORTER_OTLP_LOGS_ENDPOINT</c> is used as it is, else
/// <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> with <c>/v1/logs</c> appended, else <c>http://localhost:4318/v1/logs</c> — the
/// OpenTelemetry SDKs' rules. <c>OTEL_EXPORTER_OTLP_HEADERS</c>/<c>_LOGS_HEADERS</c>, <c>_PROTOCOL</c>, <c>_COMPRESSION</c>,
/// <c>OTEL_SERVICE_NAME</c> and <c>OTEL_RESOURCE_ATTRIBUTES</c> give the defaults of the matching options.</para>
/// <para><b>Delivery</b>: at least once. A request counts its records written on a 2xx answer. 429, 502, 503 and 504 (with
/// <c>Retry-After</c> honoured, bounded by <see cref="RetryOptions.MaxRetryAfter"/>), 408, other 5xx, connection errors and
/// timeouts are retried per <see cref="LogWriter.Retry"/> (a request the collector took but did not answer in time is
/// sent again: a duplicate is possible, a loss is not); 400, 401, 403, 404, 413 and other 4xx fail the request at once,
/// counted and reported. A 2xx answer with <c>partial_success.rejected_log_records = N</c> counts N records of that request
/// failed (OTLP does not say which: the last N are counted), reported with the collector's <c>error_message</c>, and adds N to
/// <see cref="RejectedRecords"/>; they are not retried (the collector refused them for good).</para>
/// <para><b>Requests</b>: the stage gathers queued records into requests of at most <see cref="BatchSize"/> records and
/// <see cref="BatchBytes"/> bytes, waiting at most <see cref="FlushInterval"/> for more; a larger batch is split into
/// several requests, settled in order.</para>
/// </remarks>
public sealed class OtlpWriter : LogWriter
{
    /// <summary>The endpoint used when none is given and no <c>OTEL_EXPORTER_OTLP_*</c> variable sets one.</summary>
    public const string DefaultEndpoint = "http://localhost:4318/v1/logs";

    /// <summary>The path appended to an endpoint that has none.</summary>
    public const string LogsPath = "/v1/logs";

    private const int MaxResponseBytes = 64 * 1024;

    private readonly string _endpointText;
    private OtlpProtocol _protocol;
    private HttpClient? _client;
    private byte[] _resourceProto = [];
    private byte[] _resourceJson = [];
    private KeyValuePair<string, string>[] _headers = [];
    private readonly ProtoBuffer _body = new(64 * 1024);
    private MemoryStream? _compressed;
    private long _batchId = -1;
    private int _settled;
    private long _rejected;
    private long _requests;
    private string? _lastRejection;

    // grouping scratch (reused: no allocation per request once grown)
    private int[] _groupOf = new int[512];
    private int[] _next = new int[512];
    private int[] _groupFirst = new int[16];
    private int[] _groupLast = new int[16];
    private int[] _groupKeyLength = new int[16];
    private long[] _groupSize = new long[16];
    private int _groups;

    /// <summary>
    /// A writer sending to <paramref name="endpoint"/> (<c>http://collector:4318</c> becomes <c>http://collector:4318/v1/logs</c>;
    /// an endpoint with a path is used as it is); null takes the <c>OTEL_EXPORTER_OTLP_*</c> variables, else
    /// <see cref="DefaultEndpoint"/>. Checked when the pipeline is built; no connection is made before the first request.
    /// </summary>
    public OtlpWriter(string? endpoint = null)
    {
        _endpointText = ResolveEndpoint(endpoint);
        var protocol = Env("OTEL_EXPORTER_OTLP_LOGS_PROTOCOL") ?? Env("OTEL_EXPORTER_OTLP_PROTOCOL");
        _protocol = string.Equals(protocol, "http/json", StringComparison.OrdinalIgnoreCase) ? OtlpProtocol.HttpJson : OtlpProtocol.HttpProtobuf;
        var compression = Env("OTEL_EXPORTER_OTLP_LOGS_COMPRESSION") ?? Env("OTEL_EXPORTER_OTLP_COMPRESSION");
        Compression = string.Equals(compression, "gzip", StringComparison.OrdinalIgnoreCase) ? OtlpCompression.Gzip : OtlpCompression.None;
        Formatter = _protocol == OtlpProtocol.HttpJson ? new OtlpJsonFormatter() : new OtlpFormatter();
    }

    /// <summary>The URL requests are POSTed to (after the endpoint rules above).</summary>
    public string Endpoint => _endpointText;

    /// <summary>
    /// Protobuf (default, or <c>OTEL_EXPORTER_OTLP_PROTOCOL=http/json</c> for JSON). Setting it also sets the matching
    /// <see cref="LogWriter.Formatter"/> (<see cref="OtlpFormatter"/> or <see cref="OtlpJsonFormatter"/>); a formatter given
    /// explicitly must be the one of the protocol.
    /// </summary>
    public OtlpProtocol Protocol
    {
        get => _protocol;
        init
        {
            _protocol = value;
            Formatter = value == OtlpProtocol.HttpJson ? new OtlpJsonFormatter() : new OtlpFormatter();
        }
    }

    /// <summary>Headers sent with every request (API keys: <c>{ ["api-key"] = "..." }</c>); added to those of <c>OTEL_EXPORTER_OTLP_HEADERS</c>, replacing any of the same name.</summary>
    public IReadOnlyDictionary<string, string>? Headers { get; init; }

    /// <summary>Request compression. Default none (or <c>OTEL_EXPORTER_OTLP_COMPRESSION=gzip</c>).</summary>
    public OtlpCompression Compression { get; init; }

    /// <summary>Most records in one request. Default 512 (the OpenTelemetry batch processor's export size); from 1 to 100,000.</summary>
    public int BatchSize { get; init; } = 512;

    /// <summary>Most bytes of encoded records in one request (a single larger record is sent alone). Default 4 MiB; from 1 KiB to 256 MiB.</summary>
    public int BatchBytes { get; init; } = 4 * 1024 * 1024;

    /// <summary>Longest a record waits for others to fill its request. Default 1 s (the OpenTelemetry schedule delay); from 0 to 1 hour.</summary>
    public TimeSpan FlushInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary><c>service.name</c>. Default: <c>OTEL_SERVICE_NAME</c>, else <c>service.name</c> of <see cref="ResourceAttributes"/> or <c>OTEL_RESOURCE_ATTRIBUTES</c>, else the entry assembly's name.</summary>
    public string? ServiceName { get; init; }

    /// <summary><c>service.version</c>. Default: from the resource attributes, else the entry assembly's version.</summary>
    public string? ServiceVersion { get; init; }

    /// <summary><c>service.instance.id</c>, written when set (or given in the resource attributes).</summary>
    public string? ServiceInstanceId { get; init; }

    /// <summary>More resource attributes (<c>deployment.environment.name</c>, ...), string-valued; added to those of <c>OTEL_RESOURCE_ATTRIBUTES</c>, replacing any of the same key.</summary>
    public IReadOnlyDictionary<string, string>? ResourceAttributes { get; init; }

    /// <summary>Checks the collector's TLS certificate instead of the system's validation (a private CA, a pinned certificate). Default null: the system's.</summary>
    public RemoteCertificateValidationCallback? ServerCertificateValidation { get; init; }

    /// <summary>Records collectors rejected through partial success (counted failed, not retried).</summary>
    public long RejectedRecords => Interlocked.Read(ref _rejected);

    /// <summary>Requests answered with a 2xx status.</summary>
    public long Requests => Interlocked.Read(ref _requests);

    /// <summary>The <c>error_message</c> of the last partial success, or null.</summary>
    public string? LastRejection => Volatile.Read(ref _lastRejection);

    /// <inheritdoc/>
    public override string Name => "otlp";

    /// <inheritdoc/>
    protected internal override bool ConfirmsDelivery => true;

    /// <inheritdoc/>
    protected internal override BatchingOptions? Batching => new(BatchSize, BatchBytes, FlushInterval);

    /// <inheritdoc/>
    protected internal override void Validate(string property)
    {
        if (!Uri.TryCreate(_endpointText, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
            throw new ArgumentException($"{property}.{nameof(Endpoint)} must be an absolute http:// or https:// URL; \"{_endpointText}\" is not.", property + "." + nameof(Endpoint));
        if (Protocol is not (OtlpProtocol.HttpProtobuf or OtlpProtocol.HttpJson))
            throw new ArgumentOutOfRangeException(property + "." + nameof(Protocol), Protocol, "Protocol must be HttpProtobuf or HttpJson.");
        if (Compression is not (OtlpCompression.None or OtlpCompression.Gzip))
            throw new ArgumentOutOfRangeException(property + "." + nameof(Compression), Compression, "Compression must be None or Gzip.");
        if (BatchSize < 1 || BatchSize > 100_000)
            throw new ArgumentOutOfRangeException(property + "." + nameof(BatchSize), BatchSize, "BatchSize must be from 1 to 100,000 records.");
        if (BatchBytes < 1024 || BatchBytes > 256 * 1024 * 1024)
            throw new ArgumentOutOfRangeException(property + "." + nameof(BatchBytes), BatchBytes, "BatchBytes must be from 1 KiB to 256 MiB.");
        Limits.CheckDuration(property + "." + nameof(FlushInterval), FlushInterval, TimeSpan.Zero, Limits.MaxInterval);
        bool json = Protocol == OtlpProtocol.HttpJson;
        if (json ? Formatter is not OtlpJsonFormatter : Formatter is not OtlpFormatter)
            throw new ArgumentException($"{property}.{nameof(Formatter)} must be an {(json ? nameof(OtlpJsonFormatter) : nameof(OtlpFormatter))} for {Protocol} (set Protocol, or leave Formatter unset).", property + "." + nameof(Formatter));
        if (Headers is not null)
        {
            foreach (var (name, value) in Headers)
            {
                if (string.IsNullOrWhiteSpace(name) || value is null || name.AsSpan().IndexOfAny(" :\r\n") >= 0 || value.AsSpan().IndexOfAny("\r\n") >= 0)
                    throw new ArgumentException($"{property}.{nameof(Headers)} has an invalid header \"{name}\".", property + "." + nameof(Headers));
            }
        }
    }

    /// <inheritdoc/>
    protected internal override void Open(WriterContext context)
    {
        var handler = new SocketsHttpHandler
        {
            PooledConnectionLifetime = TimeSpan.FromMinutes(2), // follow DNS changes of the collector's name
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(60),
            ConnectTimeout = TimeSpan.FromSeconds(10),
            AutomaticDecompression = DecompressionMethods.None,
            UseCookies = false,
        };
        if (ServerCertificateValidation is { } validation) handler.SslOptions.RemoteCertificateValidationCallback = validation;
        _client = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan }; // the stage's per-attempt token is the timeout
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        ParseList(Env("OTEL_EXPORTER_OTLP_HEADERS"), headers);
        ParseList(Env("OTEL_EXPORTER_OTLP_LOGS_HEADERS"), headers);
        if (Headers is not null) foreach (var (name, value) in Headers) headers[name] = value;
        _headers = [.. headers];
        var resource = ResourceList();
        _resourceProto = EncodeResourceProto(resource);
        _resourceJson = EncodeResourceJson(resource);
    }

    /// <inheritdoc/>
    protected internal override async ValueTask WriteAsync(LogBatch batch, CancellationToken cancellationToken)
    {
        if (batch.Id != _batchId)
        {
            // a new batch; a retry of the same one resumes after the records already settled
            _batchId = batch.Id;
            _settled = 0;
        }
        while (_settled < batch.Count)
        {
            int start = _settled;
            int end = ChunkEnd(batch, start);
            var (rejected, message) = await SendAsync(batch, start, end, cancellationToken).ConfigureAwait(false);
            int count = end - start;
            rejected = (int)Math.Clamp(rejected, 0, count);
            _settled = end;
            if (count - rejected > 0) Context?.Delivered(count - (int)rejected);
            if (rejected > 0)
            {
                Interlocked.Add(ref _rejected, rejected);
                Volatile.Write(ref _lastRejection, message);
                Context?.Failed((int)rejected, new LogWriteException(
                    $"The OTLP collector at {_endpointText} rejected {rejected} of the {count} records of a request (partial success): {message ?? "no message"}. They are counted failed.",
                    isTransient: false));
            }
        }
    }

    /// <inheritdoc/>
    protected internal override ValueTask FlushAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask; // every request is answered inside WriteAsync

    /// <inheritdoc/>
    public override ValueTask DisposeAsync()
    {
        _client?.Dispose();
        _client = null;
        return ValueTask.CompletedTask;
    }

    // ------------------------------------------------------------------ requests

    private int ChunkEnd(LogBatch batch, int start)
    {
        int end = start;
        long bytes = 0;
        int limit = Math.Min(batch.Count, start + BatchSize);
        while (end < limit)
        {
            int length = batch.RecordBytes(end).Length;
            if (end > start && bytes + length > BatchBytes) break;
            bytes += length;
            end++;
        }
        return end;
    }

    private async ValueTask<(long Rejected, string? Message)> SendAsync(LogBatch batch, int start, int end, CancellationToken cancellationToken)
    {
        var client = _client ?? throw new ObjectDisposedException(nameof(OtlpWriter));
        bool json = Protocol == OtlpProtocol.HttpJson;
        Group(batch, start, end, json);
        if (json) BuildJson(batch, start, end);
        else BuildProto(batch, start, end);

        HttpContent content;
        if (Compression == OtlpCompression.Gzip)
        {
            var compressed = _compressed ??= new MemoryStream(16 * 1024);
            compressed.SetLength(0);
            using (var gzip = new GZipStream(compressed, CompressionLevel.Fastest, leaveOpen: true)) gzip.Write(_body.Data, 0, _body.Pos);
            content = new ByteArrayContent(compressed.GetBuffer(), 0, (int)compressed.Length);
            content.Headers.ContentEncoding.Add("gzip");
        }
        else
        {
            content = new ByteArrayContent(_body.Data, 0, _body.Pos);
        }
        content.Headers.ContentType = new MediaTypeHeaderValue(json ? "application/json" : "application/x-protobuf");
        using var request = new HttpRequestMessage(HttpMethod.Post, _endpointText) { Content = content, Version = HttpVersion.Version11 };
        foreach (var (name, value) in _headers) request.Headers.TryAddWithoutValidation(name, value);
        long started = Stopwatch.GetTimestamp();
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        byte[] rented = ArrayPool<byte>.Shared.Rent(4096);
        try
        {
            int length = await ReadBodyAsync(response, rented, cancellationToken).ConfigureAwait(false);
            var body = rented.AsSpan(0, length);
            int status = (int)response.StatusCode;
            if (status is >= 200 and < 300)
            {
                Interlocked.Increment(ref _requests);
                Context?.Flushed(Stopwatch.GetElapsedTime(started));
                return IsJson(response) ? ParsePartialJson(body) : ParsePartialProto(body);
            }
            string detail = ErrorDetail(body, IsJson(response));
            string text = $"The OTLP collector at {_endpointText} answered {status} {response.ReasonPhrase} to a request of {end - start} records{(detail.Length > 0 ? ": " + detail : "")}.";
            if (status is 429 or 502 or 503 or 504) throw new LogWriteException(text, isTransient: true, retryAfter: RetryAfter(response));
            if (status is 408 || status >= 500) throw new LogWriteException(text, isTransient: true);
            throw new LogWriteException(text, isTransient: false); // 400, 401, 403, 404, 413 and the other 4xx: sending it again cannot help
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    private static bool IsJson(HttpResponseMessage response)
        => response.Content.Headers.ContentType?.MediaType?.Contains("json", StringComparison.OrdinalIgnoreCase) == true;

    private static async ValueTask<int> ReadBodyAsync(HttpResponseMessage response, byte[] buffer, CancellationToken cancellationToken)
    {
        var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            int total = 0;
            while (total < buffer.Length)
            {
                int read = await stream.ReadAsync(buffer.AsMemory(total), cancellationToken).ConfigureAwait(false);
                if (read == 0) break;
                total += read;
            }
            return total;
        }
    }

    private TimeSpan? RetryAfter(HttpResponseMessage response)
    {
        var header = response.Headers.RetryAfter;
        if (header is null) return null;
        if (header.Delta is { } delta) return delta < TimeSpan.Zero ? TimeSpan.Zero : delta;
        if (header.Date is { } date)
        {
            var wait = date - (Context?.TimeProvider ?? TimeProvider.System).GetUtcNow();
            return wait < TimeSpan.Zero ? TimeSpan.Zero : wait;
        }
        return null;
    }

    /// <summary>ExportLogsServiceResponse { partial_success (1) { rejected_log_records (1), error_message (2) } }.</summary>
    internal static (long Rejected, string? Message) ParsePartialProto(ReadOnlySpan<byte> body)
    {
        long rejected = 0;
        string? message = null;
        int pos = 0;
        while (pos < body.Length)
        {
            if (!ProtoBuffer.TryReadVarint(body, ref pos, out ulong tag)) break;
            if (tag == ((1 << 3) | ProtoBuffer.Len))
            {
                if (!ProtoBuffer.TryReadVarint(body, ref pos, out ulong length) || length > (ulong)(body.Length - pos)) break;
                var partial = body.Slice(pos, (int)length);
                pos += (int)length;
                int inner = 0;
                while (inner < partial.Length)
                {
                    if (!ProtoBuffer.TryReadVarint(partial, ref inner, out ulong field)) break;
                    if (field == ((1 << 3) | ProtoBuffer.Varint))
                    {
                        if (!ProtoBuffer.TryReadVarint(partial, ref inner, out ulong value)) break;
                        rejected = (long)value;
                    }
                    else if (field == ((2 << 3) | ProtoBuffer.Len))
                    {
                        if (!ProtoBuffer.TryReadVarint(partial, ref inner, out ulong textLength) || textLength > (ulong)(partial.Length - inner)) break;
                        message = Encoding.UTF8.GetString(partial.Slice(inner, (int)textLength));
                        inner += (int)textLength;
                    }
                    else if (!Skip(partial, ref inner, field)) break;
                }
            }
            else if (!Skip(body, ref pos, tag)) break;
        }
        return (rejected, message);
    }

    private static bool Skip(ReadOnlySpan<byte> data, ref int pos, ulong tag)
    {
        switch ((int)(tag & 7))
        {
            case ProtoBuffer.Varint: return ProtoBuffer.TryReadVarint(data, ref pos, out _);
            case ProtoBuffer.Fixed64: pos += 8; return pos <= data.Length;
            case ProtoBuffer.Fixed32: pos += 4; return pos <= data.Length;
            case ProtoBuffer.Len:
                if (!ProtoBuffer.TryReadVarint(data, ref pos, out ulong length) || length > (ulong)(data.Length - pos)) return false;
                pos += (int)length;
                return true;
            default: return false;
        }
    }

    internal static (long Rejected, string? Message) ParsePartialJson(ReadOnlySpan<byte> body)
    {
        if (body.IsEmpty) return (0, null);
        try
        {
            var reader = new Utf8JsonReader(body);
            using var document = JsonDocument.ParseValue(ref reader);
            if (document.RootElement.ValueKind != JsonValueKind.Object || !document.RootElement.TryGetProperty("partialSuccess", out var partial) || partial.ValueKind != JsonValueKind.Object) return (0, null);
            long rejected = 0;
            if (partial.TryGetProperty("rejectedLogRecords", out var count))
            {
                if (count.ValueKind == JsonValueKind.Number) count.TryGetInt64(out rejected);
                else if (count.ValueKind == JsonValueKind.String) long.TryParse(count.GetString(), System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out rejected);
            }
            string? message = partial.TryGetProperty("errorMessage", out var text) && text.ValueKind == JsonValueKind.String ? text.GetString() : null;
            return (rejected, message);
        }
        catch (JsonException)
        {
            return (0, null);
        }
    }

    /// <summary>What an error answer says: google.rpc.Status.message (field 2) in protobuf or JSON, else the start of the body.</summary>
    private static string ErrorDetail(ReadOnlySpan<byte> body, bool json)
    {
        if (body.IsEmpty) return "";
        if (json)
        {
            try
            {
                var reader = new Utf8JsonReader(body);
                using var document = JsonDocument.ParseValue(ref reader);
                if (document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty("message", out var message) && message.ValueKind == JsonValueKind.String)
                    return message.GetString() ?? "";
            }
            catch (JsonException)
            {
            }
        }
        else
        {
            int pos = 0;
            while (pos < body.Length)
            {
                if (!ProtoBuffer.TryReadVarint(body, ref pos, out ulong tag)) break;
                if (tag == ((2 << 3) | ProtoBuffer.Len))
                {
                    if (!ProtoBuffer.TryReadVarint(body, ref pos, out ulong length) || length > (ulong)(body.Length - pos)) break;
                    return Encoding.UTF8.GetString(body.Slice(pos, (int)length));
                }
                if (!Skip(body, ref pos, tag)) break;
            }
        }
        var start = body[..Math.Min(body.Length, 200)];
        foreach (byte b in start) if (b < 0x09) return ""; // binary we could not read
        return Encoding.UTF8.GetString(start);
    }

    // ------------------------------------------------------------------ framing

    /// <summary>The length of record <paramref name="bytes"/>' scope prefix: the ScopeLogs.scope field for protobuf, <c>{"scope":{...}</c> for JSON.</summary>
    private static int ScopeLength(ReadOnlySpan<byte> bytes, bool json)
    {
        if (json)
        {
            int at = bytes.IndexOf(OtlpJsonFormatter.RecordsStart);
            if (at < 0 || !bytes.EndsWith("]}"u8)) throw new LogWriteException("A record is not in the OtlpJsonFormatter's format.", isTransient: false);
            return at + 1;
        }
        int pos = 1;
        if (bytes.Length < 2 || bytes[0] != 0x0A || !ProtoBuffer.TryReadVarint(bytes, ref pos, out ulong length) || length > (ulong)(bytes.Length - pos) || pos + (int)length >= bytes.Length || bytes[pos + (int)length] != 0x12)
            throw new LogWriteException("A record is not in the OtlpFormatter's format.", isTransient: false);
        return pos + (int)length;
    }

    /// <summary>Groups records [start, end) by scope, keeping their order within each group (linked through <see cref="_next"/>).</summary>
    private void Group(LogBatch batch, int start, int end, bool json)
    {
        int count = end - start;
        if (_groupOf.Length < count)
        {
            _groupOf = new int[Math.Max(count, _groupOf.Length * 2)];
            _next = new int[_groupOf.Length];
        }
        _groups = 0;
        int last = -1;
        for (int i = start; i < end; i++)
        {
            var bytes = batch.RecordBytes(i).Span;
            int keyLength = ScopeLength(bytes, json);
            var key = bytes[..keyLength];
            int group = -1;
            // consecutive records of one category are the common case: try the last group first
            if (last >= 0 && SameKey(batch, last, key)) group = last;
            else
            {
                for (int g = 0; g < _groups; g++)
                {
                    if (SameKey(batch, g, key))
                    {
                        group = g;
                        break;
                    }
                }
            }
            if (group < 0)
            {
                group = _groups++;
                if (group == _groupFirst.Length)
                {
                    Array.Resize(ref _groupFirst, group * 2);
                    Array.Resize(ref _groupLast, group * 2);
                    Array.Resize(ref _groupKeyLength, group * 2);
                    Array.Resize(ref _groupSize, group * 2);
                }
                _groupFirst[group] = i;
                _groupKeyLength[group] = keyLength;
                _groupSize[group] = keyLength;
            }
            else
            {
                _next[_groupLast[group] - start] = i;
            }
            _groupLast[group] = i;
            _next[i - start] = -1;
            _groupOf[i - start] = group;
            if (!json) _groupSize[group] += bytes.Length - keyLength; // protobuf: the log_records field as the formatter wrote it
            last = group;
        }
    }

    private bool SameKey(LogBatch batch, int group, ReadOnlySpan<byte> key)
        => _groupKeyLength[group] == key.Length && batch.RecordBytes(_groupFirst[group]).Span[..key.Length].SequenceEqual(key);

    private void BuildProto(LogBatch batch, int start, int end)
    {
        // ExportLogsServiceRequest { resource_logs (1): ResourceLogs { resource (1), scope_logs (2)... } }
        long resourceLogs = _resourceProto.Length;
        for (int g = 0; g < _groups; g++) resourceLogs += 1 + ProtoBuffer.VarintSize((ulong)_groupSize[g]) + _groupSize[g];
        if (resourceLogs > Array.MaxLength - 16) throw new LogWriteException("An OTLP request would exceed 2 GiB.", isTransient: false);
        var body = _body;
        body.Reset();
        body.Ensure((int)resourceLogs + 16);
        body.Tag(1, ProtoBuffer.Len);
        body.WriteVarint((ulong)resourceLogs);
        body.WriteBytes(_resourceProto);
        for (int g = 0; g < _groups; g++)
        {
            body.Tag(2, ProtoBuffer.Len);
            body.WriteVarint((ulong)_groupSize[g]);
            int keyLength = _groupKeyLength[g];
            body.WriteBytes(batch.RecordBytes(_groupFirst[g]).Span[..keyLength]);
            for (int i = _groupFirst[g]; i >= 0; i = _next[i - start])
            {
                body.WriteBytes(batch.RecordBytes(i).Span[keyLength..]); // ScopeLogs.log_records (2), as the formatter wrote it
            }
        }
    }

    private void BuildJson(LogBatch batch, int start, int end)
    {
        var body = _body;
        body.Reset();
        body.Ensure(batch.Bytes.Length / Math.Max(1, batch.Count) * (end - start) + _resourceJson.Length + 64);
        body.WriteBytes("{\"resourceLogs\":[{\"resource\":"u8);
        body.WriteBytes(_resourceJson);
        body.WriteBytes(",\"scopeLogs\":["u8);
        int marker = OtlpJsonFormatter.RecordsStart.Length;
        for (int g = 0; g < _groups; g++)
        {
            if (g > 0) body.WriteBytes(","u8);
            int keyLength = _groupKeyLength[g];
            body.WriteBytes(batch.RecordBytes(_groupFirst[g]).Span[..keyLength]);
            body.WriteBytes(",\"logRecords\":["u8);
            bool first = true;
            for (int i = _groupFirst[g]; i >= 0; i = _next[i - start])
            {
                if (!first) body.WriteBytes(","u8);
                first = false;
                var bytes = batch.RecordBytes(i).Span;
                body.WriteBytes(bytes[(keyLength - 1 + marker)..^2]); // the log record object, without the formatter's "]}"
            }
            body.WriteBytes("]}"u8);
        }
        body.WriteBytes("]}]}"u8);
    }

    // ------------------------------------------------------------------ resource

    private List<(string Key, object Value)> ResourceList()
    {
        var attributes = new Dictionary<string, object>(StringComparer.Ordinal);
        var order = new List<string>();
        void Set(string key, object value)
        {
            if (!attributes.ContainsKey(key)) order.Add(key);
            attributes[key] = value;
        }
        var entry = System.Reflection.Assembly.GetEntryAssembly();
        var fromEnv = new Dictionary<string, string>(StringComparer.Ordinal);
        ParseList(Env("OTEL_RESOURCE_ATTRIBUTES"), fromEnv);
        if (ResourceAttributes is not null) foreach (var (key, value) in ResourceAttributes) fromEnv[key] = value;
        string serviceName = ServiceName ?? Env("OTEL_SERVICE_NAME") ?? (fromEnv.TryGetValue("service.name", out var named) ? named : null)
            ?? entry?.GetName().Name ?? "unknown_service";
        string serviceVersion = ServiceVersion ?? (fromEnv.TryGetValue("service.version", out var version) ? version : null)
            ?? InformationalVersion(entry) ?? "0.0.0";
        Set("service.name", serviceName);
        Set("service.version", serviceVersion);
        if (ServiceInstanceId is { } instance) Set("service.instance.id", instance);
        Set("host.name", Environment.MachineName);
        Set("process.pid", (long)Environment.ProcessId);
        Set("telemetry.sdk.name", "kakashi");
        Set("telemetry.sdk.language", "dotnet");
        Set("telemetry.sdk.version", InformationalVersion(typeof(OtlpWriter).Assembly) ?? "0.0.0");
        foreach (var (key, value) in fromEnv)
        {
            if (key is "service.name" or "service.version") continue;
            if (key == "service.instance.id" && ServiceInstanceId is not null) continue;
            Set(key, value);
        }
        var list = new List<(string, object)>(order.Count);
        foreach (var key in order) list.Add((key, attributes[key]));
        return list;
    }

    private static string? InformationalVersion(System.Reflection.Assembly? assembly)
    {
        if (assembly is null) return null;
        foreach (var attribute in assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyInformationalVersionAttribute), false))
        {
            var version = ((System.Reflection.AssemblyInformationalVersionAttribute)attribute).InformationalVersion;
            int plus = version.IndexOf('+', StringComparison.Ordinal);
            return plus > 0 ? version[..plus] : version;
        }
        return assembly.GetName().Version?.ToString();
    }

    /// <summary>ResourceLogs.resource (field 1): Resource { attributes (1)... }, the whole field.</summary>
    private static byte[] EncodeResourceProto(List<(string Key, object Value)> attributes)
    {
        var buffer = new ProtoBuffer(512);
        buffer.Tag(1, ProtoBuffer.Len);
        int at = buffer.BeginLength();
        foreach (var (key, value) in attributes)
        {
            buffer.Tag(1, ProtoBuffer.Len);
            int kv = buffer.BeginLength();
            buffer.StringField(1, key.AsSpan());
            if (value is long number) OtlpFormatter.WriteValue(buffer, new OtlpValue(OtlpKind.Int, number));
            else OtlpFormatter.WriteValue(buffer, new OtlpValue(OtlpKind.Chars, chars: ((string)value).AsSpan()));
            buffer.EndLength(kv);
        }
        buffer.EndLength(at);
        return buffer.Written.ToArray();
    }

    private static byte[] EncodeResourceJson(List<(string Key, object Value)> attributes)
    {
        var text = new StringBuilder("{\"attributes\":[");
        bool first = true;
        foreach (var (key, value) in attributes)
        {
            if (!first) text.Append(',');
            first = false;
            text.Append("{\"key\":").Append(Encoding.UTF8.GetString(JsonEscaping.EncodeString(key))).Append(",\"value\":");
            if (value is long number) text.Append("{\"intValue\":\"").Append(number.ToString(System.Globalization.CultureInfo.InvariantCulture)).Append("\"}}");
            else text.Append("{\"stringValue\":").Append(Encoding.UTF8.GetString(JsonEscaping.EncodeString((string)value))).Append("}}");
        }
        text.Append("]}");
        return Encoding.UTF8.GetBytes(text.ToString());
    }

    // ------------------------------------------------------------------ configuration from the environment

    private static string? Env(string name) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } value ? value.Trim() : null;

    /// <summary>The OpenTelemetry SDKs' endpoint rules (see the class remarks).</summary>
    internal static string ResolveEndpoint(string? endpoint)
    {
        if (endpoint is null)
        {
            if (Env("OTEL_EXPORTER_OTLP_LOGS_ENDPOINT") is { } logs) return logs;
            if (Env("OTEL_EXPORTER_OTLP_ENDPOINT") is { } all) return all.TrimEnd('/') + LogsPath;
            return DefaultEndpoint;
        }
        endpoint = endpoint.Trim();
        if (Uri.TryCreate(endpoint, UriKind.Absolute, out var uri) && uri.AbsolutePath is "" or "/" && uri.Query.Length == 0)
            return endpoint.TrimEnd('/') + LogsPath;
        return endpoint;
    }

    /// <summary>W3C-baggage-like <c>key=value,key2=value2</c> lists (percent-decoded), as the OTEL_* variables write them.</summary>
    private static void ParseList(string? list, Dictionary<string, string> into)
    {
        if (string.IsNullOrWhiteSpace(list)) return;
        foreach (var item in list.Split(','))
        {
            int equals = item.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0) continue;
            string key = Uri.UnescapeDataString(item[..equals].Trim());
            string value = Uri.UnescapeDataString(item[(equals + 1)..].Trim());
            if (key.Length > 0) into[key] = value;
        }
    }
}
