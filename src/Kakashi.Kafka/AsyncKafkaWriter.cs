using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using Confluent.Kafka;
using Kakashi.Pipeline;
using Microsoft.Extensions.Logging;

namespace Kakashi;

/// <summary>
/// Sends each record as one Kafka message to <see cref="Topic"/>, through Confluent.Kafka (librdkafka): the value is the
/// record formatted by <see cref="ValueFormatter"/> (one JSON document by default, no final line feed), the key per
/// <see cref="Key"/> (none by default), the message timestamp is the record's, and <see cref="Headers"/> carry the level,
/// the event id and name and the category.
/// </summary>
/// <remarks>
/// <para><b>Delivery.</b> The producer is idempotent with <c>acks=all</c>: a record counts as written only once every
/// in-sync replica has it (<see cref="WriterMetrics.Written"/>), and librdkafka's own retries never duplicate or reorder a
/// message. Each write produces the batch's records and waits for their delivery reports (bounded by
/// <see cref="LogWriter.WriteTimeout"/>); the records are settled in order. When some records fail (a broker down longer than
/// <see cref="MessageTimeout"/>, a timeout), the delivered prefix counts as written and the stage retries the batch: the
/// writer sends again only the records not yet delivered. The guarantee is at least once: a record whose outcome was
/// unknown (it timed out while in flight, or the attempt was cancelled before its report came) is sent again and may be
/// stored twice. A record the broker rejects for good (too large) counts as failed and is reported; the others go on. An
/// error no retry fixes (authorization, an invalid topic) fails the rest of the batch without retries.</para>
/// <para><b>Cost.</b> Formatting allocates nothing per record. Producing does: Confluent.Kafka's API takes a
/// <c>Message&lt;byte[], byte[]&gt;</c>, so each record costs a value array, a message and a header list (librdkafka then
/// copies the bytes into its own queue). Header values and the category, event id and event name keys are cached.</para>
/// </remarks>
public sealed class AsyncKafkaWriter : LogWriter
{
    private const int MaxCached = 4096;

    private readonly Lock _lock = new();
    private readonly AsyncSignal _reports = new();
    private readonly Stack<PendingMessage> _free = new();
    private readonly Header[] _levelHeaders = new Header[7];
    private readonly Dictionary<int, (byte[] Bytes, Header Header)> _eventIds = new();
    private readonly Utf8Cache _eventNames = new("event.name");
    private readonly Utf8Cache _categories = new("category");
    private IProducer<byte[], byte[]>? _producer;
    private volatile Error? _fatal;

    // the batch being written: its id, each record's state, how many of its records were settled
    private long _batchId = -1;
    private int _generation;
    private RecordState[] _states = new RecordState[256];
    private Error?[] _errors = new Error?[256];
    private int _count;
    private int _settled;
    private int _pending;

    private enum RecordState : byte
    {
        NotSent,
        InFlight,
        Delivered,
        Failed,
    }

    /// <summary>A writer to <paramref name="topic"/> on the cluster at <paramref name="bootstrapServers"/>.</summary>
    /// <param name="bootstrapServers">Comma-separated <c>host:port</c> list of brokers to start from (<c>bootstrap.servers</c>).</param>
    /// <param name="topic">The topic records go to; it must exist unless the cluster creates topics on first use.</param>
    public AsyncKafkaWriter(string bootstrapServers, string topic)
    {
        BootstrapServers = bootstrapServers;
        Topic = topic;
        WriteTimeout = TimeSpan.FromSeconds(30);
        Formatter = new KafkaRecordFormatter(this);
        for (int i = 0; i < _levelHeaders.Length; i++) _levelHeaders[i] = new Header("level", System.Text.Encoding.UTF8.GetBytes(((LogLevel)i).ToString()));
    }

    /// <inheritdoc/>
    public override string Name => "kafka";

    /// <summary>The brokers to start from (<c>bootstrap.servers</c>).</summary>
    public string BootstrapServers { get; }

    /// <summary>The topic records go to.</summary>
    public string Topic { get; }

    /// <summary>Formats each record's value. Default <see cref="JsonFormatter"/> (Kakashi's field set), one JSON document per message.</summary>
    public LogFormatter ValueFormatter { get; init; } = new JsonFormatter();

    /// <summary>The message key. Default <see cref="KafkaKey.None"/>.</summary>
    public KafkaKey Key { get; init; } = KafkaKey.None;

    /// <summary>The headers on each message. Default <see cref="KafkaHeaders.All"/>: <c>level</c>, <c>event.id</c>, <c>event.name</c>, <c>category</c>.</summary>
    public KafkaHeaders Headers { get; init; } = KafkaHeaders.All;

    /// <summary>Compression of message batches (<c>compression.type</c>). Default <see cref="CompressionType.Lz4"/>: JSON logs shrink several times for little CPU.</summary>
    public CompressionType Compression { get; init; } = CompressionType.Lz4;

    /// <summary>
    /// How long librdkafka waits for more messages before sending a request (<c>linger.ms</c>). Default 1 ms; from 0 to 10 s.
    /// Each write hands librdkafka a whole batch at once and waits for its acknowledgements, so a long linger mostly adds
    /// latency to every batch (against the mock cluster: 100k records took about 1.5 s at 1 ms, 2.4 s at 5 ms).
    /// </summary>
    public TimeSpan Linger { get; init; } = TimeSpan.FromMilliseconds(1);

    /// <summary>Most bytes in one request's batch per partition (<c>batch.size</c>). Default 1,000,000; from 1,000 to 100,000,000.</summary>
    public int BatchSize { get; init; } = 1_000_000;

    /// <summary>
    /// How long librdkafka keeps trying to deliver a message, its own retries included (<c>message.timeout.ms</c>). Null
    /// (default): 80 % of <see cref="LogWriter.WriteTimeout"/> (24 s with the default 30 s), so librdkafka gives its verdict
    /// inside one write attempt. Must be shorter than <see cref="LogWriter.WriteTimeout"/>.
    /// </summary>
    public TimeSpan? MessageTimeout { get; init; }

    /// <summary>How long disposing waits for messages still queued in librdkafka. Default 10 s; from 0 to 5 minutes.</summary>
    public TimeSpan DisposeTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Changes the producer's configuration after the writer set its own (security: <c>SecurityProtocol</c>,
    /// <c>SaslMechanism</c>, <c>SaslUsername</c>, <c>SslCaLocation</c>…; any librdkafka property with <c>Set</c>). Called once,
    /// when the pipeline is built. Overriding <c>EnableIdempotence</c>, <c>Acks</c> or <c>DeliveryReportFields</c> weakens or
    /// breaks the delivery guarantee.
    /// </summary>
    public Action<ProducerConfig>? Configure { get; init; }

    /// <summary>The configuration the producer is built with (the writer's settings, then <see cref="Configure"/>).</summary>
    public ProducerConfig BuildProducerConfig()
    {
        int messageTimeout = (int)EffectiveMessageTimeout.TotalMilliseconds;
        var config = new ProducerConfig
        {
            BootstrapServers = BootstrapServers,
            ClientId = "kakashi",
            EnableIdempotence = true,
            Acks = Acks.All,
            LingerMs = Linger.TotalMilliseconds,
            BatchSize = BatchSize,
            CompressionType = Compression,
            MessageTimeoutMs = messageTimeout,
            RequestTimeoutMs = Math.Min(30_000, messageTimeout),
            // the writer needs only each report's status: no key, value or headers marshalled back
            DeliveryReportFields = "status",
        };
        Configure?.Invoke(config);
        return config;
    }

    internal TimeSpan EffectiveMessageTimeout => MessageTimeout ?? TimeSpan.FromTicks(WriteTimeout.Ticks / 5 * 4);

    /// <inheritdoc/>
    protected internal override bool ConfirmsDelivery => true;

    /// <summary>
    /// Each write waits for its batch's acknowledgements, one batch at a time: under load the stage gathers what queued
    /// meanwhile into one larger write (up to 10,000 records or 4 MiB), so throughput follows the backlog instead of being
    /// one drain batch per round trip.
    /// </summary>
    protected internal override BatchingOptions? Batching => s_gathering;

    private static readonly BatchingOptions s_gathering = new(MaxRecords: 10_000, MaxBytes: 4 * 1024 * 1024, MaxDelay: TimeSpan.FromMilliseconds(1));

    /// <inheritdoc/>
    protected internal override void Validate(string property)
    {
        if (string.IsNullOrWhiteSpace(BootstrapServers))
            throw new ArgumentException($"{property}.{nameof(BootstrapServers)} must name at least one broker (host:port).", property + "." + nameof(BootstrapServers));
        if (string.IsNullOrEmpty(Topic) || Topic.Length > 249 || Topic is "." or ".." || !IsTopicName(Topic))
            throw new ArgumentException($"{property}.{nameof(Topic)} must be a Kafka topic name: 1 to 249 of a-z, A-Z, 0-9, '.', '_', '-' (not '.' or '..').", property + "." + nameof(Topic));
        if (ValueFormatter is null) throw new ArgumentNullException(property + "." + nameof(ValueFormatter));
        if (ValueFormatter is KafkaRecordFormatter) throw new ArgumentException($"{property}.{nameof(ValueFormatter)} cannot be a KafkaRecordFormatter.", property + "." + nameof(ValueFormatter));
        if (Key is null) throw new ArgumentNullException(property + "." + nameof(Key));
        if (Formatter is not KafkaRecordFormatter)
            throw new ArgumentException($"{property}.{nameof(Formatter)} must be a KafkaRecordFormatter: set {nameof(ValueFormatter)} to choose how values are written.", property + "." + nameof(Formatter));
        if (Linger < TimeSpan.Zero || Linger > TimeSpan.FromSeconds(10))
            throw new ArgumentOutOfRangeException(property + "." + nameof(Linger), Linger, $"{property}.{nameof(Linger)} must be from 0 to 10 s.");
        if (BatchSize < 1_000 || BatchSize > 100_000_000)
            throw new ArgumentOutOfRangeException(property + "." + nameof(BatchSize), BatchSize, $"{property}.{nameof(BatchSize)} must be from 1,000 to 100,000,000 bytes.");
        var messageTimeout = EffectiveMessageTimeout;
        if (messageTimeout < TimeSpan.FromMilliseconds(100) || messageTimeout >= WriteTimeout)
            throw new ArgumentOutOfRangeException(property + "." + nameof(MessageTimeout), messageTimeout, $"{property}.{nameof(MessageTimeout)} must be at least 100 ms and shorter than WriteTimeout ({WriteTimeout}).");
        if (Linger >= messageTimeout)
            throw new ArgumentOutOfRangeException(property + "." + nameof(Linger), Linger, $"{property}.{nameof(Linger)} must be shorter than MessageTimeout ({messageTimeout}).");
        if (DisposeTimeout < TimeSpan.Zero || DisposeTimeout > TimeSpan.FromMinutes(5))
            throw new ArgumentOutOfRangeException(property + "." + nameof(DisposeTimeout), DisposeTimeout, $"{property}.{nameof(DisposeTimeout)} must be from 0 to 5 minutes.");
    }

    private static bool IsTopicName(string topic)
    {
        foreach (char c in topic)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-')) return false;
        }
        return true;
    }

    /// <inheritdoc/>
    protected internal override void Open(WriterContext context)
    {
        Context = context;
        // builds the producer now: a bad property (Configure) throws here, at setup; librdkafka connects in the background,
        // so a cluster that is down does not stop the logger from starting
        _producer = Build();
    }

    private IProducer<byte[], byte[]> Build()
    {
        try
        {
            return new ProducerBuilder<byte[], byte[]>(BuildProducerConfig())
                .SetErrorHandler((_, error) =>
                {
                    // transport errors (a broker down) show in the delivery reports; a fatal error (the idempotent
                    // producer lost its sequence) makes the producer unusable: the next write builds a new one
                    if (error.IsFatal) _fatal = error;
                })
                .SetLogHandler((_, _) => { }) // librdkafka's own log lines would go to stderr: failures surface through the stage instead
                .Build();
        }
        catch (Exception e) when (e is KafkaException or ArgumentException or InvalidOperationException)
        {
            throw new ArgumentException($"{Context?.Property ?? "Writers[?]"}: the Kafka producer cannot be built: {e.Message}", e);
        }
    }

    /// <inheritdoc/>
    protected internal override async ValueTask WriteAsync(LogBatch batch, CancellationToken cancellationToken)
    {
        var producer = Producer();
        int count = batch.Count;
        int generation;
        lock (_lock)
        {
            if (batch.Id != _batchId)
            {
                // a new batch: reports still due for an older one (abandoned after its retries) are ignored
                _batchId = batch.Id;
                generation = ++_generation;
                if (_states.Length < count)
                {
                    _states = new RecordState[Math.Max(count, _states.Length * 2)];
                    _errors = new Error?[_states.Length];
                }
                Array.Clear(_states, 0, count);
                Array.Clear(_errors, 0, count);
                _count = count;
                _settled = 0;
                _pending = 0;
            }
            else
            {
                generation = _generation;
            }
        }

        using var registration = cancellationToken.UnsafeRegister(static s => ((AsyncSignal)s!).Set(), _reports);
        try
        {
            await ProduceAsync(producer, batch, generation, cancellationToken).ConfigureAwait(false);
            while (Volatile.Read(ref _pending) > 0 && !cancellationToken.IsCancellationRequested) await _reports.WaitAsync().ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // settle what was delivered, then fail the rest below
        }
        Settle(batch, cancellationToken);
    }

    private IProducer<byte[], byte[]> Producer()
    {
        if (_fatal is { } fatal)
        {
            var old = _producer;
            _producer = null;
            _fatal = null;
            old?.Dispose();
            Context?.ReportError(new LogWriteException($"The Kafka producer failed for good ({fatal.Code}: {fatal.Reason}); a new one is built.", isTransient: true));
        }
        return _producer ??= Build();
    }

    private async ValueTask ProduceAsync(IProducer<byte[], byte[]> producer, LogBatch batch, int generation, CancellationToken cancellationToken)
    {
        for (int i = _settled; i < _count; i++)
        {
            lock (_lock)
            {
                if (_states[i] is RecordState.InFlight or RecordState.Delivered) continue; // sent by an earlier attempt
                _states[i] = RecordState.InFlight;
                _errors[i] = null;
                _pending++;
            }
            var message = Build(batch, i);
            var pending = Rent(generation, i);
            while (true)
            {
                try
                {
                    producer.Produce(Topic, message, pending.Handler);
                    break;
                }
                catch (ProduceException<byte[], byte[]> e) when (e.Error.Code == ErrorCode.Local_QueueFull)
                {
                    // librdkafka's queue is full: wait for deliveries to make room, within this attempt
                    try
                    {
                        await Task.Delay(5, cancellationToken).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException)
                    {
                        Unsent(i, pending, null);
                        throw;
                    }
                }
                catch (ProduceException<byte[], byte[]> e)
                {
                    // refused before it was queued (too large for message.max.bytes, an invalid argument)
                    Unsent(i, pending, e.Error);
                    break;
                }
                catch (KafkaException e)
                {
                    Unsent(i, pending, e.Error);
                    break;
                }
            }
        }
    }

    /// <summary>A record whose produce call failed: no report will come for it.</summary>
    private void Unsent(int index, PendingMessage pending, Error? error)
    {
        lock (_lock)
        {
            _states[index] = error is null ? RecordState.NotSent : RecordState.Failed;
            _errors[index] = error;
            _pending--;
            _free.Push(pending);
        }
    }

    private Message<byte[], byte[]> Build(LogBatch batch, int index)
    {
        var bytes = batch.RecordBytes(index).Span;
        if (!KafkaRecordParts.TryParse(bytes, out var parts))
        {
            // not formatted by a KafkaRecordFormatter (cannot happen once validated): sent whole, without key or headers
            return new Message<byte[], byte[]> { Key = null!, Value = bytes.ToArray() };
        }
        var headers = Headers;
        Headers? list = null;
        if (headers != KafkaHeaders.None)
        {
            list = new Headers();
            if ((headers & KafkaHeaders.Level) != 0) list.Add(_levelHeaders[Math.Clamp((int)batch.Level(index), 0, 6)]);
            if ((headers & KafkaHeaders.EventId) != 0) list.Add(EventId(parts.EventId).Header);
            if ((headers & KafkaHeaders.EventName) != 0) list.Add(_eventNames.Get(parts.EventName).Header);
            if ((headers & KafkaHeaders.Category) != 0) list.Add(_categories.Get(parts.Category).Header);
        }
        byte[]? key = null;
        if (parts.HasKey)
        {
            // the finite keys come from the caches; a property's value is copied (they are as many as the values)
            var formatter = (KafkaRecordFormatter)Formatter!;
            key = formatter.Key.Kind switch
            {
                KafkaKey.KeyKind.Category => _categories.Get(parts.Key).Bytes,
                KafkaKey.KeyKind.EventName => _eventNames.Get(parts.Key).Bytes,
                KafkaKey.KeyKind.EventId => EventId(parts.EventId).Bytes,
                _ => parts.Key.ToArray(),
            };
        }
        return new Message<byte[], byte[]>
        {
            Key = key!,
            Value = parts.Value.ToArray(),
            Timestamp = new Timestamp(parts.Timestamp, TimestampType.CreateTime),
            Headers = list!,
        };
    }

    private (byte[] Bytes, Header Header) EventId(int id)
    {
        if (_eventIds.TryGetValue(id, out var cached)) return cached;
        var bytes = System.Text.Encoding.UTF8.GetBytes(id.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var entry = (bytes, new Header("event.id", bytes));
        if (_eventIds.Count < MaxCached) _eventIds[id] = entry;
        return entry;
    }

    /// <summary>Settles, in order, the records the reports decided; throws when some are not delivered.</summary>
    private void Settle(LogBatch batch, CancellationToken cancellationToken)
    {
        var context = Context!;
        while (true)
        {
            int delivered = 0;
            RecordState stop = RecordState.Delivered;
            Error? error = null;
            lock (_lock)
            {
                int i = _settled;
                while (i < _count && _states[i] == RecordState.Delivered) i++;
                delivered = i - _settled;
                _settled = i;
                if (i < _count)
                {
                    stop = _states[i];
                    error = _errors[i];
                }
            }
            if (delivered > 0) context.Delivered(delivered);
            if (stop == RecordState.Delivered) return; // the whole batch
            if (stop == RecordState.Failed && error is not null && IsRecordRejection(error.Code))
            {
                // this record can never be delivered (too large): it alone is lost, reported; the rest goes on
                lock (_lock) _settled++;
                context.Failed(1, new LogWriteException($"Kafka rejected a record for {Topic} ({error.Code}: {error.Reason}); it is lost.", isTransient: false));
                continue;
            }
            int left = _count - _settled;
            if (stop == RecordState.Failed && error is not null)
            {
                if (IsPermanent(error.Code))
                    throw new LogWriteException($"Kafka refused {left} record(s) for {Topic} ({error.Code}: {error.Reason}); retrying cannot fix it.", isTransient: false);
                throw new LogWriteException($"Kafka did not acknowledge {left} record(s) for {Topic} ({error.Code}: {error.Reason}).", isTransient: true);
            }
            cancellationToken.ThrowIfCancellationRequested();
            throw new LogWriteException($"Kafka did not acknowledge {left} record(s) for {Topic} in time.", isTransient: true);
        }
    }

    /// <summary>An error about one message only: the others of the batch can still be delivered.</summary>
    private static bool IsRecordRejection(ErrorCode code) => code is ErrorCode.MsgSizeTooLarge or ErrorCode.InvalidRecord;

    /// <summary>An error no retry fixes: the configuration or the cluster's permissions must change.</summary>
    internal static bool IsPermanent(ErrorCode code) => code is ErrorCode.TopicAuthorizationFailed or ErrorCode.ClusterAuthorizationFailed
        or ErrorCode.TopicException or ErrorCode.InvalidRequiredAcks or ErrorCode.UnsupportedForMessageFormat or ErrorCode.PolicyViolation
        or ErrorCode.RecordListTooLarge or ErrorCode.SaslAuthenticationFailed or ErrorCode.Local_Authentication or ErrorCode.Local_InvalidArg
        or ErrorCode.TransactionalIdAuthorizationFailed;

    private PendingMessage Rent(int generation, int index)
    {
        PendingMessage? pending;
        lock (_lock) _free.TryPop(out pending);
        pending ??= new PendingMessage(this);
        pending.Generation = generation;
        pending.Index = index;
        return pending;
    }

    /// <summary>A delivery report (librdkafka's poll thread).</summary>
    private void OnReport(PendingMessage pending, Error error)
    {
        bool done = false;
        lock (_lock)
        {
            if (pending.Generation == _generation && pending.Index < _count && _states[pending.Index] == RecordState.InFlight)
            {
                if (error.IsError)
                {
                    _states[pending.Index] = RecordState.Failed;
                    _errors[pending.Index] = error;
                }
                else
                {
                    _states[pending.Index] = RecordState.Delivered;
                }
                done = --_pending == 0;
            }
            _free.Push(pending);
        }
        if (done) _reports.Set();
    }

    /// <inheritdoc/>
    protected internal override ValueTask FlushAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask; // each write waits for its reports

    /// <inheritdoc/>
    public override async ValueTask DisposeAsync()
    {
        var producer = _producer;
        _producer = null;
        if (producer is null) return;
        var timeout = DisposeTimeout;
        // Flush and Dispose block (librdkafka waits for its threads): off the caller's thread, bounded
        await Task.Run(() =>
        {
            try
            {
                producer.Flush(timeout);
            }
            catch (KafkaException)
            {
                // closing anyway
            }
            producer.Dispose();
        }).ConfigureAwait(false);
    }

    /// <summary>One produced message awaiting its report; reused, with its delegate, so producing allocates no closure.</summary>
    private sealed class PendingMessage
    {
        public PendingMessage(AsyncKafkaWriter owner) => Handler = report => owner.OnReport(this, report.Error);

        public int Generation;
        public int Index;
        public readonly Action<DeliveryReport<byte[], byte[]>> Handler;
    }

    /// <summary>UTF-8 values (event names, categories) and their header, cached by bytes; the writer loop's only.</summary>
    private sealed class Utf8Cache(string header)
    {
        private readonly Dictionary<byte[], (byte[] Bytes, Header Header)> _entries = new(ByteComparer.Instance);

        public (byte[] Bytes, Header Header) Get(ReadOnlySpan<byte> value)
        {
            var lookup = _entries.GetAlternateLookup<ReadOnlySpan<byte>>();
            if (lookup.TryGetValue(value, out var cached)) return cached;
            var bytes = value.ToArray();
            var entry = (bytes, new Header(header, bytes));
            if (_entries.Count < MaxCached) _entries[bytes] = entry;
            return entry;
        }
    }

    private sealed class ByteComparer : IEqualityComparer<byte[]>, IAlternateEqualityComparer<ReadOnlySpan<byte>, byte[]>
    {
        public static readonly ByteComparer Instance = new();

        public bool Equals(byte[]? x, byte[]? y) => x.AsSpan().SequenceEqual(y);
        public int GetHashCode(byte[] obj) => GetHashCode((ReadOnlySpan<byte>)obj);
        public bool Equals(ReadOnlySpan<byte> alternate, byte[] other) => alternate.SequenceEqual(other);
        public int GetHashCode(ReadOnlySpan<byte> alternate)
        {
            var hash = new HashCode();
            hash.AddBytes(alternate);
            return hash.ToHashCode();
        }
        public byte[] Create(ReadOnlySpan<byte> alternate) => alternate.ToArray();
    }
}
