using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Net.Http;
using System.Net.Security;
using System.Text;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using Kakashi.Writers.Network;

namespace Kakashi;

/// <summary>
/// Indexes records into Elasticsearch (or OpenSearch) through the <c>_bulk</c> API: per record, a <c>create</c> action line
/// naming the index and the record as an ECS document (<see cref="JsonFieldSet.Ecs"/>). <c>create</c> works for plain
/// indices and for data streams (<c>logs-myapp-default</c>, which require it). The index may carry the record's UTC date
/// (<c>"logs-{0:yyyy.MM.dd}"</c>: an index per day).
/// <para>
/// The answer is read item by item, in order: indexed documents are confirmed written; documents Elasticsearch rejected
/// (a mapping conflict, a field limit) are counted failed with the reason it gave, reported, and not retried; documents
/// it could not take now (item status 429, its queue is full) are sent again after a backoff, from the first of them. A
/// 429 or 5xx answer to the whole request is retried like any HTTP failure (<c>Retry-After</c> honoured).
/// </para>
/// <para>Delivery: at least once. A retry after an item-level 429 resends the documents after it too, so one that was
/// indexed the first time can be indexed twice.</para>
/// </summary>
public sealed class AsyncElasticsearchWriter : HttpBatchWriter
{
    private Uri? _uri;
    private byte[] _answer = new byte[64 * 1024];
    private long _rejected;
    private long _itemRetries;

    /// <summary>
    /// A writer indexing into <paramref name="index"/> (an index, an alias, a data stream, or a pattern with <c>{0:…}</c> for
    /// the record's UTC date) at <paramref name="endpoint"/> (<c>http://localhost:9200</c>; requests go to <c>{endpoint}/_bulk</c>).
    /// <see cref="HttpBatchWriter.BatchBytes"/> defaults to 5 MiB (Elastic recommends 5–15 MB bulk bodies);
    /// <see cref="HttpBatchWriter.MaxRetries"/> also bounds how often documents answered 429 are sent again.
    /// </summary>
    public AsyncElasticsearchWriter(string endpoint, string index)
        : base(endpoint, batchBytes: 5 << 20)
    {
        Index = index;
        Formatter = new ElasticsearchBulkFormatter(index);
    }

    /// <summary>The target: a name, or a composite format pattern over the record's UTC timestamp (<c>"logs-{0:yyyy.MM.dd}"</c>).</summary>
    public string Index { get; }

    /// <summary>Documents Elasticsearch rejected for good (counted failed in the writer's metrics too).</summary>
    public long RejectedDocuments => Interlocked.Read(ref _rejected);

    /// <summary>Times documents answered 429 were sent again.</summary>
    public long DocumentRetries => Interlocked.Read(ref _itemRetries);

    /// <inheritdoc/>
    protected internal override void Validate(string property)
    {
        base.Validate(property);
        ElasticsearchBulkFormatter.CheckIndex(Index, property + "." + nameof(Index));
        if (Formatter is not ElasticsearchBulkFormatter)
            throw new ArgumentException($"{property}.Formatter must be the writer's ElasticsearchBulkFormatter (a bulk body needs an action line per document); set the document's fields with new ElasticsearchBulkFormatter(index, documentFormatter).", property + "." + nameof(Formatter));
    }

    /// <inheritdoc/>
    protected internal override void Open(WriterContext context)
    {
        _uri = new Uri(Endpoint.TrimEnd('/') + "/_bulk");
        base.Open(context);
    }

    /// <inheritdoc/>
    protected internal override async ValueTask WriteAsync(LogBatch batch, CancellationToken cancellationToken)
    {
        Progress.Start(batch);
        while (Progress.Next(batch, BatchSize, BatchBytes, out var body, out int count))
        {
            using var response = await PostAsync(_uri!, body, "application/x-ndjson", cancellationToken).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                var failure = await HttpRequests.FailureAsync(response, Name, count, cancellationToken).ConfigureAwait(false);
                if (failure.IsTransient) throw failure;
                Context!.Failed(count, failure);
                Progress.Settled(count);
                continue;
            }
            int length = await ReadAnswerAsync(response, cancellationToken).ConfigureAwait(false);
            Settle(_answer.AsSpan(0, length), count);
        }
    }

    private async Task<int> ReadAnswerAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        using var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        int length = 0;
        while (true)
        {
            if (length == _answer.Length) Array.Resize(ref _answer, _answer.Length * 2);
            int read = await stream.ReadAsync(_answer.AsMemory(length), cancellationToken).ConfigureAwait(false);
            if (read == 0) return length;
            length += read;
        }
    }

    /// <summary>
    /// Settles the request's documents from the bulk answer, in order: runs of indexed ones written, rejected ones failed
    /// (with their reason); at the first one answered 429 it stops and throws, so the stage sends the rest again.
    /// </summary>
    private void Settle(ReadOnlySpan<byte> answer, int sent)
    {
        var context = Context!;
        var reader = new Utf8JsonReader(answer);
        bool errors = true;
        int item = 0, delivered = 0, reports = 0;
        try
        {
            while (reader.Read())
            {
                if (reader.TokenType != JsonTokenType.PropertyName || reader.CurrentDepth != 1) continue;
                if (reader.ValueTextEquals("errors"u8))
                {
                    reader.Read();
                    errors = reader.TokenType == JsonTokenType.True;
                    if (!errors) break;
                }
                else if (reader.ValueTextEquals("items"u8))
                {
                    reader.Read();
                    while (reader.Read() && reader.TokenType == JsonTokenType.StartObject && item < sent)
                    {
                        var (status, type, reason) = ReadItem(ref reader);
                        if (status is >= 200 and < 300)
                        {
                            delivered++;
                        }
                        else if (status == 429)
                        {
                            Flush(ref delivered);
                            Interlocked.Increment(ref _itemRetries);
                            throw new LogWriteException($"{Name}: Elasticsearch could not take {sent - item} of {sent} documents now (429 {type}: {reason}): they are sent again.");
                        }
                        else
                        {
                            Flush(ref delivered);
                            Interlocked.Increment(ref _rejected);
                            var error = reports++ < 10
                                ? new LogWriteException($"{Name}: Elasticsearch rejected a document ({status} {type}): {reason}", isTransient: false)
                                : null;
                            context.Failed(1, error);
                            Progress.Settled(1);
                        }
                        item++;
                    }
                    break;
                }
                else
                {
                    reader.Skip();
                }
            }
        }
        catch (JsonException e)
        {
            Flush(ref delivered);
            throw new LogWriteException($"{Name}: the bulk answer could not be read ({e.Message}); the documents not yet confirmed are sent again.", innerException: e);
        }
        if (!errors)
        {
            delivered = sent;
            item = sent;
        }
        Flush(ref delivered);
        if (item < sent)
            throw new LogWriteException($"{Name}: the bulk answer confirmed {item} of {sent} documents; the rest are sent again.");

        void Flush(ref int run)
        {
            if (run == 0) return;
            context.Delivered(run);
            Progress.Settled(run);
            run = 0;
        }
    }

    /// <summary>One item of the bulk answer: <c>{"create":{"status":201,…,"error":{"type":…,"reason":…}}}</c>.</summary>
    private static (int Status, string? Type, string? Reason) ReadItem(ref Utf8JsonReader reader)
    {
        int status = 0;
        string? type = null, reason = null;
        int depth = reader.CurrentDepth;
        while (reader.Read() && !(reader.TokenType == JsonTokenType.EndObject && reader.CurrentDepth == depth))
        {
            if (reader.TokenType != JsonTokenType.PropertyName) continue;
            if (reader.CurrentDepth == depth + 2 && reader.ValueTextEquals("status"u8))
            {
                reader.Read();
                if (reader.TokenType == JsonTokenType.Number) status = reader.GetInt32();
            }
            else if (reader.CurrentDepth == depth + 2 && reader.ValueTextEquals("error"u8))
            {
                reader.Read();
                if (reader.TokenType == JsonTokenType.String)
                {
                    reason = reader.GetString();
                    continue;
                }
                int errorDepth = reader.CurrentDepth;
                while (reader.Read() && !(reader.TokenType == JsonTokenType.EndObject && reader.CurrentDepth == errorDepth))
                {
                    if (reader.TokenType != JsonTokenType.PropertyName || reader.CurrentDepth != errorDepth + 1) continue;
                    if (reader.ValueTextEquals("type"u8))
                    {
                        reader.Read();
                        type = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
                    }
                    else if (reader.ValueTextEquals("reason"u8))
                    {
                        reader.Read();
                        reason = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
                    }
                    else
                    {
                        reader.Read();
                        reader.Skip();
                    }
                }
            }
            else if (reader.CurrentDepth == depth + 2)
            {
                reader.Read();
                reader.Skip(); // _index, _id, result, _shards…
            }
            // depth + 1: the action's name (create); its object is read on
        }
        return (status, type, reason);
    }

}

/// <summary>
/// A <c>_bulk</c> body per record: <c>{"create":{"_index":"…"}}</c>, a newline, then the document from the inner formatter
/// (ECS by default), which ends with a newline. The index name is built once per UTC day when it carries the date.
/// </summary>
public sealed class ElasticsearchBulkFormatter : LogFormatter
{
    private readonly string _index;
    private readonly LogFormatter _document;
    private readonly bool _dated;
    private readonly byte[]? _constant;
    private DayAction? _day;
    private static readonly System.Buffers.SearchValues<char> s_forbidden = System.Buffers.SearchValues.Create("\\/*?\"<>| ,#:");

    /// <summary>Bulk lines for <paramref name="index"/>, documents by <paramref name="document"/> (default <c>new JsonFormatter { Fields = JsonFieldSet.Ecs }</c>).</summary>
    public ElasticsearchBulkFormatter(string index, LogFormatter? document = null)
    {
        _index = index ?? throw new ArgumentNullException(nameof(index));
        _document = document ?? new JsonFormatter { Fields = JsonFieldSet.Ecs };
        _dated = index.Contains('{');
        if (!_dated) _constant = Action(index);
    }

    private sealed record DayAction(long Day, byte[] Bytes);

    /// <inheritdoc/>
    public override void Format(in LogRecord record, ref Utf8Writer output)
    {
        if (_constant is not null)
        {
            output.Write(_constant);
        }
        else
        {
            long day = record.Timestamp.Ticks / TimeSpan.TicksPerDay;
            var cached = _day;
            if (cached is null || cached.Day != day)
            {
                // once a day: the name for the record's date
                var date = new DateTime(day * TimeSpan.TicksPerDay, DateTimeKind.Utc);
                _day = cached = new DayAction(day, Action(string.Format(CultureInfo.InvariantCulture, _index, date)));
            }
            output.Write(cached.Bytes);
        }
        _document.Format(in record, ref output);
    }

    private static byte[] Action(string index) => Encoding.UTF8.GetBytes("{\"create\":{\"_index\":\"" + index + "\"}}\n");

    /// <summary>Elasticsearch's index name rules, checked on the name the pattern gives for today.</summary>
    internal static void CheckIndex(string index, string property)
    {
        if (string.IsNullOrWhiteSpace(index)) throw new ArgumentException($"{property} must name an index, an alias or a data stream.", property);
        string name;
        try
        {
            name = string.Format(CultureInfo.InvariantCulture, index, DateTime.UtcNow);
        }
        catch (FormatException e)
        {
            throw new ArgumentException($"{property} '{index}' is not a valid pattern ({e.Message}); use {{0:yyyy.MM.dd}} for the record's date.", property, e);
        }
        if (name.Length > 255 || name is "." or ".." || name[0] is '-' or '_' or '+' || name.AsSpan().IndexOfAnyInRange('A', 'Z') >= 0
            || name.AsSpan().IndexOfAny(s_forbidden) >= 0)
            throw new ArgumentException($"{property} gives '{name}', which Elasticsearch refuses as an index name: lowercase, at most 255 bytes, none of \\ / * ? \" < > | space , # :, not starting with - _ +.", property);
    }
}
