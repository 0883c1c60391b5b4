using System;
using System.Collections.Generic;
using System.IO;
using System.IO.Compression;
using System.Net;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Net.Security;
using System.Threading;
using System.Threading.Tasks;

using Kakashi.Writers.Network;

namespace Kakashi;

/// <summary>What an <see cref="AsyncNetworkWriter"/> sends in a request body.</summary>
public enum NetworkFormat
{
    /// <summary>Newline-delimited JSON (<c>application/x-ndjson</c>): one <see cref="JsonFormatter"/> document per line (Vector, Fluent Bit, Loki's push gateways, Logstash's http input, any NDJSON endpoint).</summary>
    Ndjson,
    /// <summary>Seq's raw ingestion: CLEF documents (<see cref="JsonFieldSet.Clef"/>) to <c>/api/events/raw?clef</c>, <c>application/vnd.serilog.clef</c>.</summary>
    SeqClef,
    /// <summary>ClickHouse's HTTP interface: <c>INSERT INTO {Table} FORMAT JSONEachRow</c> with one JSON document per row.</summary>
    ClickHouse,
}

/// <summary>
/// Sends records over HTTP (or HTTPS) in batches: the stage gathers records into requests of at most
/// <see cref="HttpBatchWriter.BatchSize"/> records and <see cref="HttpBatchWriter.BatchBytes"/> bytes, or whatever arrived within <see cref="HttpBatchWriter.FlushInterval"/>,
/// and each request is POSTed once the previous one is answered. A 2xx answer confirms the request's records. 408, 429 and
/// 5xx answers, timeouts and connection errors are retried with exponential backoff and jitter (<see cref="HttpBatchWriter.MaxRetries"/>,
/// <see cref="LogWriter.Retry"/>; a <c>Retry-After</c> header replaces the delay); any other 4xx answer fails the request's
/// records at once (counted, reported with the status and the start of the answer's body), since sending them again
/// cannot help. Behind its stage, a down or hung endpoint never slows the callers or the other writers; with a
/// <see cref="LogWriter.Spool"/>, requests that could not be delivered wait on disk and are sent in order later.
/// <para>Delivery: at least once with retries or a spool (a request whose answer was lost is sent again); at most once
/// without them.</para>
/// </summary>
public sealed class AsyncNetworkWriter : HttpBatchWriter
{
    private Uri? _uri;
    private string _contentType = "application/x-ndjson";
    private readonly NetworkFormat _format;
    private LogFormatter _defaultFormatter;
    private long _requests;
    private long _failedRequests;

    /// <summary>An HTTP writer posting to <paramref name="endpoint"/> (an absolute http or https URL). For <see cref="NetworkFormat.SeqClef"/>, the Seq server's base URL (<c>http://seq:5341</c>) or the full ingestion URL; for ClickHouse, the HTTP interface (<c>http://clickhouse:8123/</c>).</summary>
    public AsyncNetworkWriter(string endpoint)
        : base(endpoint, batchBytes: 4 << 20)
    {
        Formatter = _defaultFormatter = FormatterFor(NetworkFormat.Ndjson);
    }

    /// <summary>The body format. Default <see cref="NetworkFormat.Ndjson"/>. Sets the default <see cref="LogWriter.Formatter"/> (JSON, CLEF for Seq) when none is given.</summary>
    public NetworkFormat Format
    {
        get => _format;
        init
        {
            _format = value;
            // the format's formatter, unless one was given already (initializers run in the order written)
            if (ReferenceEquals(Formatter, _defaultFormatter)) Formatter = _defaultFormatter = FormatterFor(value);
        }
    }

    /// <summary>The table rows go into with <see cref="NetworkFormat.ClickHouse"/> (required there; <c>db.table</c> allowed).</summary>
    public string? Table { get; init; }

    /// <summary>Requests answered with a 2xx status.</summary>
    public long Requests => Interlocked.Read(ref _requests);

    /// <summary>Requests that failed (every attempt counts: a retried request that then succeeds counts once here and once in <see cref="Requests"/>).</summary>
    public long FailedRequests => Interlocked.Read(ref _failedRequests);

    /// <inheritdoc/>
    protected internal override void Validate(string property)
    {
        base.Validate(property);
        if (!Enum.IsDefined(Format)) throw new ArgumentOutOfRangeException(property + "." + nameof(Format), Format, $"{property}.Format is not a NetworkFormat.");
        if (Format == NetworkFormat.ClickHouse && string.IsNullOrWhiteSpace(Table))
            throw new ArgumentException($"{property}.Table must name the ClickHouse table rows go into (Format = ClickHouse).", property + "." + nameof(Table));
    }

    /// <inheritdoc/>
    protected internal override void Open(WriterContext context)
    {
        _uri = Format switch
        {
            NetworkFormat.SeqClef => HttpRequests.SeqIngestionUri(Endpoint),
            NetworkFormat.ClickHouse => HttpRequests.ClickHouseInsertUri(Endpoint, Table!),
            _ => new Uri(Endpoint),
        };
        _contentType = Format switch
        {
            NetworkFormat.SeqClef => "application/vnd.serilog.clef",
            NetworkFormat.ClickHouse => "application/json",
            _ => "application/x-ndjson",
        };
        base.Open(context);
    }

    /// <summary>
    /// Posts the batch in requests of at most <see cref="HttpBatchWriter.BatchSize"/> records and
    /// <see cref="HttpBatchWriter.BatchBytes"/> bytes, confirming each as it is answered: a retry after a failure resumes at
    /// the first request not yet answered, so none is sent twice.
    /// </summary>
    protected internal override async ValueTask WriteAsync(LogBatch batch, CancellationToken cancellationToken)
    {
        Progress.Start(batch);
        while (Progress.Next(batch, BatchSize, BatchBytes, out var body, out int records))
        {
            HttpResponseMessage response;
            try
            {
                response = await PostAsync(_uri!, body, _contentType, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception)
            {
                Interlocked.Increment(ref _failedRequests);
                throw;
            }
            using (response)
            {
                if (!response.IsSuccessStatusCode)
                {
                    Interlocked.Increment(ref _failedRequests);
                    var failure = await HttpRequests.FailureAsync(response, Name, records, cancellationToken).ConfigureAwait(false);
                    if (failure.IsTransient) throw failure;
                    // refused for good: these records are lost, the batch's other requests still go
                    Context!.Failed(records, failure);
                    Progress.Settled(records);
                    continue;
                }
                Interlocked.Increment(ref _requests);
            }
            Context!.Delivered(records);
            Progress.Settled(records);
        }
    }

    /// <summary>The formatter a format implies: JSON lines, CLEF for Seq.</summary>
    internal static LogFormatter FormatterFor(NetworkFormat format) => format switch
    {
        NetworkFormat.SeqClef => new JsonFormatter { Fields = JsonFieldSet.Clef },
        _ => new JsonFormatter(),
    };
}
