using System;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.IO;
using System.Threading;
using System.Threading.Tasks;
using Kakashi.Buffers;
using Kakashi.Clock;
using Kakashi.Formatting;
using Kakashi.Templates;
using Microsoft.Extensions.Logging;

namespace Kakashi.Pipeline;

/// <summary>
/// The single consumer of the rings: one dedicated thread that reads every thread's ring in batches, merges records by
/// timestamp, formats them once into shared batches (<see cref="LogBatch"/>) and queues each batch to every writer's
/// stage. It allocates nothing per record in steady state. It also applies the drain side of backpressure (skipping
/// records the callers asked to discard) and writes the pipeline's own records (drops, warnings, writer failures).
/// </summary>
/// <remarks>
/// Ordering: records of one thread keep their order (one SPSC ring per thread). Across threads the drain does a k-way
/// merge on the raw timestamps of the records visible when it looks; a record whose timestamp was taken before but
/// published after a later record of another thread was formatted (a window of the order of the publish delay, tens of
/// nanoseconds, longer only if the producer is preempted in between) comes out after it.
/// </remarks>
internal sealed unsafe class Drain
{
    private const int SealThreshold = 32 * 1024;

    private readonly AsyncPipeline _pipeline;
    private readonly LogFormatter _formatter;
    private readonly AsyncPipelineConfig _config;
    private readonly PipelineSettings _settings;
    private readonly ClockConverter _clock = new();
    private readonly WriterStage[] _stages;
    private readonly BatchPool _pool;
    private readonly BatchWriter _batches;
    private readonly Thread _thread;
    private readonly ConcurrentQueue<FlushRequest> _flushRequests = new();
    private readonly ConcurrentQueue<(WriterStage Stage, Exception Error)> _problems = new();
    private readonly ManualResetEventSlim _wake = new(false, spinCount: 1); // the drain spins and yields on its own before it parks
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Lock _registryLock = new();
    private readonly object?[] _objects = new object?[64];
    private readonly PayloadBuilder _payload = new();
    private readonly IRecordFilter[] _filters;
    private readonly IRecordObserver[] _observers;
    private readonly ILogEnricher[] _enrichers;
    private readonly System.Buffers.ArrayBufferWriter<byte> _properties = new(1024);
    private readonly Action<string, long> _emitSummary;
    private string _summaryFilter = "";
    private long _filtered;
    private long _filteredCounted;
    private int[] _offsets = new int[64];
    private LogTemplate? _lastTemplate;
    private KakashiLogger? _lastLogger;
    private KakashiLogger? _backpressureLogger;
    private KakashiLogger? _errorLogger;
    private KakashiLogger? _filterLogger;

    private ThreadBuffer[] _buffers = [];
    private long[] _limits = [];
    private long[] _heads = [];
    private volatile bool _stopping;

    // counters (written by the drain thread, read racily by GetMetrics)
    private long _processed;
    private long _truncated;
    private long _discarded;
    private readonly long[] _discardedByLevel = new long[7];
    private readonly RetiredCounters _retired = new();
    private long _reportedDrops;
    private long _upstreamCounted;
    private long _formatErrors;
    private long _unformattable;
    private long _unformattableCounted;
    private long _origin;
    private volatile bool _finished;
    private long _allocated;
    private long _lastDropReport;
    private long _lastBufferWarning;
    private long _lastSummary;
    private int _stderrReports;

    public Drain(AsyncPipeline pipeline, LogFormatter formatter, LogWriter[] writers, AsyncPipelineConfig config, PipelineSettings settings)
    {
        _pipeline = pipeline;
        _formatter = formatter;
        _config = config;
        _settings = settings;
        // enough batches to fill the largest writer stage, plus the one being formatted: made once, reused forever
        long largestStage = config.BackpressureLimit;
        foreach (var w in writers) largestStage = Math.Max(largestStage, w.QueueLimit ?? 0);
        int needed = (int)Math.Min(256, largestStage / LogBatch.DefaultSize + 2);
        _pool = new BatchPool(LogBatch.DefaultSize, max: needed, prefill: needed);
        _batches = new BatchWriter(_pool.Rent());
        _stages = new WriterStage[writers.Length];
        for (int i = 0; i < writers.Length; i++)
            _stages[i] = new WriterStage(writers[i], i, this, writers[i].QueueLimit ?? config.BackpressureLimit, config.TimeProvider);
        _filters = [.. config.Filters];
        var observers = new System.Collections.Generic.List<IRecordObserver>();
        foreach (var w in writers) if (w is IRecordObserver o) observers.Add(o);
        _observers = [.. observers];
        _enrichers = [.. config.Enrichers];
        _emitSummary = EmitSummary;
        _thread = new Thread(Run) { IsBackground = true, Name = "Kakashi drain" };
        _watchdog = new Timer(static state => ((Drain)state!).WatchStages(), this, Timeout.Infinite, Timeout.Infinite);
    }

    // hung-writer detection runs on a timer, not on the drain: a stage that blocks the drain must still be found out
    private readonly Timer _watchdog;

    private void WatchStages()
    {
        foreach (var stage in _stages)
        {
            try
            {
                stage.Watch();
            }
            catch (Exception e)
            {
                ToStderr("watchdog", e);
            }
        }
    }

    public Task Completion => _completion.Task;

    internal long AllocatedBytes => Volatile.Read(ref _allocated);

    internal WriterStage[] Stages => _stages;

    public void Start()
    {
        _backpressureLogger = _pipeline.CreateLogger(InternalRecords.BackpressureCategory);
        _errorLogger = _pipeline.CreateLogger(InternalRecords.ErrorCategory);
        if (_filters.Length > 0) _filterLogger = _pipeline.CreateLogger(InternalRecords.FilterCategory);
        foreach (var stage in _stages) stage.Start();
        _watchdog.Change(100, 100);
        _thread.Start();
    }

    public void Register(ThreadBuffer buffer)
    {
        lock (_registryLock)
        {
            var next = new ThreadBuffer[_buffers.Length + 1];
            _buffers.CopyTo(next, 0);
            next[^1] = buffer;
            Volatile.Write(ref _buffers, next);
        }
    }

    public void Wake() => _wake.Set();

    public void Stop()
    {
        Volatile.Write(ref _stoppedAt, Stopwatch.GetTimestamp());
        _stopping = true;
        _wake.Set();
    }

    private long _stoppedAt;

    /// <summary>
    /// Shutdown began more than <see cref="AsyncPipelineConfig.ShutdownTimeout"/> ago: a full stage then drops instead of
    /// holding the drain, so a writer stuck within a long WriteTimeout cannot keep the final drain from finishing.
    /// </summary>
    internal bool ShutdownOverdue
    {
        get
        {
            long at = Volatile.Read(ref _stoppedAt);
            return at != 0 && Stopwatch.GetElapsedTime(at) > _config.ShutdownTimeout;
        }
    }

    public Task RequestFlush(CancellationToken cancellationToken)
    {
        var request = new FlushRequest(_stages.Length);
        _flushRequests.Enqueue(request);
        _wake.Set();
        if (_completion.Task.IsCompleted) request.SignalAll(); // raced with shutdown, which flushed everything
        return cancellationToken.CanBeCanceled ? request.Completion.Task.WaitAsync(cancellationToken) : request.Completion.Task;
    }

    /// <summary>A writer failed (called from its stage's loop): an Error record to the other writers, and a line on stderr.</summary>
    public void ReportWriterProblem(WriterStage stage, Exception error)
    {
        _problems.Enqueue((stage, error));
        ToStderr(stage.Writer.Name, error);
        _wake.Set();
    }

    // ------------------------------------------------------------------ metrics

    public AsyncMetrics GetMetrics(long rejected, long loggingErrors)
    {
        var buffers = Volatile.Read(ref _buffers);
        var totals = _retired.Snapshot();
        long fill = 0, capacity = 0, pending = 0;
        foreach (var b in buffers)
        {
            totals.Add(b);
            fill += b.Fill;
            capacity += b.Capacity;
            pending += b.Pending;
        }
        bool finished = _finished;
        var byLevel = new long[7];
        for (int i = 0; i < 7; i++) byLevel[i] = totals.DroppedByLevel[i] + Volatile.Read(ref _discardedByLevel[i]);
        long discarded = Volatile.Read(ref _discarded);
        var writers = new WriterMetrics[_stages.Length];
        long flushes = 0, flushTicks = 0;
        for (int i = 0; i < _stages.Length; i++)
        {
            writers[i] = _stages[i].GetMetrics();
            if (_stages[i].Writer is AsyncFileWriter file)
            {
                flushes += file.FlushCount;
                flushTicks += file.FlushTicks;
            }
        }
        return new AsyncMetrics
        {
            LogsAccepted = totals.Accepted + totals.Dropped,
            LogsProcessed = Volatile.Read(ref _processed) - Volatile.Read(ref _filtered), // filtered records were read, not formatted
            LogsDropped = totals.Dropped + discarded,
            DroppedAtCaller = totals.Dropped,
            DroppedInRing = discarded,
            DroppedByLevel = byLevel,
            LogsRejected = rejected,
            LoggingErrors = loggingErrors,
            LogsTruncated = Volatile.Read(ref _truncated),
            ProducerWaits = totals.Waits,
            BlockedTime = Stopwatch.GetElapsedTime(0, totals.BlockedTicks),
            BufferSize = fill,
            BufferCapacity = capacity,
            ThreadBuffers = buffers.Length,
            FlushCount = flushes,
            AverageFlushTime = flushes == 0 ? TimeSpan.Zero : Stopwatch.GetElapsedTime(0, flushTicks / flushes),
            LastFlushTime = _stages.Length > 0 && _stages[0].Writer is AsyncFileWriter f0 ? f0.LastFlush : null,
            FormatErrors = Volatile.Read(ref _formatErrors),
            LogsQueued = finished ? 0 : pending,
            LogsLost = finished ? pending : 0,
            LogsFiltered = Volatile.Read(ref _filtered),
            Writers = writers,
        };
    }

    // ------------------------------------------------------------------ the loop

    private void Run()
    {
        int idle = 0;
        long lastHousekeeping = Stopwatch.GetTimestamp();
        try
        {
            while (true)
            {
                bool stopping = _stopping;
                int processed = DrainAvailable();
                if (processed > 0) idle = 0;
                if (!_problems.IsEmpty) WriteProblems();
                if (!_flushRequests.IsEmpty) ServeFlushRequests();
                if (stopping)
                {
                    FinalDrain();
                    break;
                }
                if (Stopwatch.GetElapsedTime(lastHousekeeping).TotalMilliseconds >= 100)
                {
                    lastHousekeeping = Stopwatch.GetTimestamp();
                    Housekeeping();
                }
                Volatile.Write(ref _allocated, GC.GetAllocatedBytesForCurrentThread());
                if (processed == 0)
                {
                    Seal();
                    Wait(idle++);
                }
            }
        }
        catch (Exception e)
        {
            ToStderr("drain", e);
        }
        finally
        {
            CloseStages();
            _pipeline.OnDrainStopped();
            while (_flushRequests.TryDequeue(out var request)) request.SignalAll();
            _finished = true;
            _completion.TrySetResult();
        }
    }

    private void Housekeeping()
    {
        _clock.Recalibrate();
        RetireDeadBuffers();
        ReportBackpressure(force: false);
        if (Stopwatch.GetElapsedTime(_lastSummary) >= TimeSpan.FromSeconds(1))
        {
            _lastSummary = Stopwatch.GetTimestamp();
            ReportSuppressed();
        }
        foreach (var stage in _stages) stage.Tick();
    }

    private void Wait(int idle)
    {
        switch (_config.WaitStrategy)
        {
            case DrainWaitStrategy.Spin:
                Thread.SpinWait(20);
                return;
            case DrainWaitStrategy.Yield:
                Thread.Yield();
                return;
            case DrainWaitStrategy.Sleep:
                Thread.Sleep(1);
                return;
            default:
                if (idle < 16) Thread.SpinWait(30);
                else if (idle < 32) Thread.Yield();
                else if (idle < 100) Thread.Sleep(1);
                else
                {
                    // parked: a 5 ms timeout bounds how many records a burst after a quiet spell can pile up before the
                    // drain looks again; after a quarter second of nothing, 20 ms (a timed wake-up costs ~35 us of CPU in a VM: 200 a
                    // second were ~0.7-1 % of a core, 50 are ~0.2 %). A producer whose ring fills wakes the drain at once.
                    _wake.Wait(idle < 150 ? 5 : 20);
                    _wake.Reset();
                }
                return;
        }
    }

    /// <summary>
    /// Stop: the pipeline no longer accepts records. Every producer that saw it still accepting has marked itself inside
    /// a record (<see cref="ThreadBuffer.EnterRecord"/>); after a process-wide barrier those marks are visible here, so the
    /// drain keeps reading until no ring is being written and all are empty — whether the producer was preempted for a
    /// microsecond or a second. A producer stuck past the shutdown timeout is given up on: what it publishes later is
    /// counted in <see cref="AsyncMetrics.LogsLost"/>.
    /// </summary>
    private void FinalDrain()
    {
        Interlocked.MemoryBarrierProcessWide();
        long deadline = Stopwatch.GetTimestamp() + (long)(_config.ShutdownTimeout.TotalSeconds * Stopwatch.Frequency);
        int idle = 0;
        while (true)
        {
            if (DrainAvailable() > 0)
            {
                idle = 0;
                continue;
            }
            if (!AnyProducerInRecord())
            {
                if (DrainAvailable() == 0) break; // a record published just before its producer left is read here
                continue;
            }
            if (Stopwatch.GetTimestamp() > deadline) break;
            if (++idle < 50) Thread.Yield();
            else Thread.Sleep(1);
        }
        if (!_problems.IsEmpty) WriteProblems();
        ReportBackpressure(force: true);
        ServeFlushRequests(final: true);
    }

    private bool AnyProducerInRecord()
    {
        foreach (var buffer in Volatile.Read(ref _buffers)) if (buffer.InRecord) return true;
        return false;
    }

    private void ServeFlushRequests(bool final = false)
    {
        // Everything published before the requests were made is below the current published positions.
        var buffers = Volatile.Read(ref _buffers);
        Span<long> targets = buffers.Length <= 128 ? stackalloc long[buffers.Length] : new long[buffers.Length];
        for (int i = 0; i < buffers.Length; i++) targets[i] = buffers[i].ReadPublished();
        int pending = _flushRequests.Count;
        while (true)
        {
            bool reached = true;
            for (int i = 0; i < buffers.Length; i++) if (buffers[i].ReadPos < targets[i]) { reached = false; break; }
            if (reached) break;
            DrainAvailable();
        }
        if (!final) ReportBackpressure(force: true);
        ReportSuppressed();
        Seal();
        SyncUpstreamCounts();
        if (final && pending == 0)
        {
            var closing = new FlushRequest(_stages.Length);
            SendFlush(closing);
            return;
        }
        for (int i = 0; i < pending && _flushRequests.TryDequeue(out var request); i++) SendFlush(request);
    }

    private void SendFlush(FlushRequest request)
    {
        // a hung or broken writer cannot flush now: its stage signals at once instead of making the caller wait for it
        foreach (var stage in _stages) stage.EnqueueMarker(request);
    }

    // ------------------------------------------------------------------ reading

    /// <summary>Formats up to <see cref="AsyncPipelineConfig.MaxBatchRecords"/> published records, merged by timestamp.</summary>
    private int DrainAvailable()
    {
        var buffers = Volatile.Read(ref _buffers);
        int k = buffers.Length;
        if (k == 0) return 0;
        if (_limits.Length < k)
        {
            _limits = new long[k * 2];
            _heads = new long[k * 2];
        }
        var limits = _limits;
        var heads = _heads;
        int live = 0;
        for (int i = 0; i < k; i++)
        {
            limits[i] = buffers[i].ReadPublished();
            heads[i] = Peek(buffers[i], limits[i]);
            if (heads[i] != long.MaxValue) live++;
        }
        if (live == 0)
        {
            Release(buffers, k);
            return 0;
        }
        // the fill as the batch starts; the warning goes out after the batch, behind the records it talks about
        int filling = Stopwatch.GetElapsedTime(_lastBufferWarning) >= TimeSpan.FromSeconds(1) ? FillingRing(buffers, k, limits) : -1;
        long fillingBytes = filling >= 0 ? limits[filling] - buffers[filling].ReadPos : 0;

        var output = new Utf8Writer(_batches);
        _origin = _batches.Current.Length;
        int max = _config.MaxBatchRecords;
        int count = 0;
        while (count < max)
        {
            int pick = -1;
            long best = long.MaxValue;
            for (int i = 0; i < k; i++)
            {
                if (heads[i] < best)
                {
                    best = heads[i];
                    pick = i;
                }
            }
            if (pick < 0) break;
            var buffer = buffers[pick];
            int stride = Process(buffer, ref output);
            buffer.ReadPos += stride;
            buffer.RecordsRead++;
            heads[pick] = Peek(buffer, limits[pick]);
            count++;
            if (output.Available < SealThreshold)
            {
                output.Commit();
                Release(buffers, k); // give the space back before a stage may hold the drain
                Seal();
                output = new Utf8Writer(_batches);
                _origin = _batches.Current.Length;
                // while a stage held the drain, it may have skipped records for drop-oldest/priority callers
                for (int i = 0; i < k; i++) heads[i] = Peek(buffers[i], limits[i]);
            }
            if ((count & 1023) == 0) Release(buffers, k);
        }
        output.Commit();
        Release(buffers, k);
        _processed += count;
        _formatErrors += FormatFailures.Take();
        if (filling >= 0) WarnFilling(fillingBytes, buffers[filling].Capacity);
        // Hand a batch to the writers when it is worth a wake-up: big enough, or its first record has waited 1 ms.
        // (When the rings run dry the loop seals whatever there is before it waits.)
        var current = _batches.Current;
        if (current.Length >= MinBatchBytes || Stopwatch.GetElapsedTime(_batchStarted) >= MaxBatchDelay) Seal();
        return count;
    }

    private const int MinBatchBytes = 32 * 1024;
    private static readonly TimeSpan MaxBatchDelay = TimeSpan.FromMilliseconds(1);
    private long _batchStarted;

    /// <summary>Hands the current batch to every writer stage and starts a new one.</summary>
    private void Seal(int excludedStage = -1, bool isInternal = false)
    {
        var batch = _batches.Current;
        if (batch.Length == 0) return;
        batch.ExcludedStage = excludedStage;
        batch.IsInternal = isInternal;
        int receivers = excludedStage >= 0 ? _stages.Length - 1 : _stages.Length;
        _batches.Current = _pool.Rent();
        if (receivers == 0)
        {
            _pool.Return(batch);
            return;
        }
        _batchStarted = Stopwatch.GetTimestamp();
        batch.SetReferences(receivers);
        foreach (var stage in _stages)
        {
            if (stage.Index != excludedStage) stage.Enqueue(batch);
        }
    }

    private static void Release(ThreadBuffer[] buffers, int k)
    {
        for (int i = 0; i < k; i++) buffers[i].ReleaseConsumed();
    }

    /// <summary>
    /// The timestamp of the next record of <paramref name="buffer"/>, skipping the unused tail and the records its producer
    /// asked the drain to discard (drop-oldest, priority); MaxValue when none.
    /// </summary>
    private long Peek(ThreadBuffer buffer, long limit)
    {
        while (buffer.ReadPos < limit)
        {
            byte* p = buffer.Base + (buffer.ReadPos & buffer.Mask);
            int length = *(int*)p;
            if (length == RecordLayout.SkipMarker)
            {
                buffer.ReadPos += buffer.Capacity - (buffer.ReadPos & buffer.Mask);
                continue;
            }
            int discardBelow = buffer.DiscardBelow;
            if (discardBelow != 0)
            {
                int level = p[RecordLayout.LevelOffset];
                if (level < discardBelow && buffer.ReadPublished() - buffer.ReadPos > buffer.DiscardTarget)
                {
                    int objects = *(ushort*)(p + RecordLayout.ObjectsOffset);
                    for (int i = 0; i < objects; i++) buffer.TakeObject();
                    buffer.ReadPos += RecordLayout.Align(length);
                    buffer.RecordsRead++;
                    _discarded++;
                    _discardedByLevel[Math.Min(level, 6)]++;
                    continue;
                }
                if (buffer.ReadPublished() - buffer.ReadPos <= buffer.DiscardTarget || level >= discardBelow)
                {
                    buffer.DiscardBelow = 0; // done, or the head is a record this strategy keeps: format it normally
                    buffer.ReleaseConsumed();
                }
            }
            return *(long*)(p + RecordLayout.TimestampOffset);
        }
        return long.MaxValue;
    }

    /// <summary>
    /// Called while a full writer stage holds the drain: the drop-oldest and priority callers still get the records they
    /// asked to discard skipped (and the space freed), so they wait for the skipping only, not for the slow writer.
    /// </summary>
    internal void ServiceDiscards()
    {
        foreach (var buffer in Volatile.Read(ref _buffers))
        {
            if (buffer.DiscardBelow == 0) continue;
            Peek(buffer, buffer.ReadPublished());
            buffer.ReleaseConsumed();
        }
    }

    /// <summary>Decodes and formats one record; returns its aligned size.</summary>
    private int Process(ThreadBuffer buffer, ref Utf8Writer output)
    {
        byte* p = buffer.Base + (buffer.ReadPos & buffer.Mask);
        int length = *(int*)p;
        int objectCount = *(ushort*)(p + RecordLayout.ObjectsOffset);
        var objects = _objects.AsSpan(0, Math.Min(objectCount, _objects.Length));
        for (int i = 0; i < objectCount; i++)
        {
            object? o = buffer.TakeObject();
            if (i < objects.Length) objects[i] = o;
        }
        try
        {
            int templateId = *(int*)(p + RecordLayout.TemplateIdOffset);
            var template = _lastTemplate;
            if (template is null || template.Id != templateId) _lastTemplate = template = LogTemplate.FromId(templateId);
            int loggerId = *(int*)(p + RecordLayout.LoggerIdOffset);
            var logger = _lastLogger;
            if (logger is null || logger._id != loggerId) _lastLogger = logger = _pipeline.LoggerFromId(loggerId);
            if (template is null || logger is null)
            {
                _formatErrors++;
                _unformattable++;
                return RecordLayout.Align(length);
            }
            var flags = (RecordFlags)p[RecordLayout.FlagsOffset];
            if ((flags & RecordFlags.Truncated) != 0) _truncated++;
            var payload = new ReadOnlySpan<byte>(p + RecordLayout.HeaderSize, length - RecordLayout.HeaderSize);
            int[] offsets;
            if (template.AllFixed)
            {
                offsets = template.FixedOffsets;
            }
            else
            {
                var args = template.Args;
                if (args.Length > _offsets.Length) _offsets = new int[args.Length];
                offsets = _offsets;
                int offset = 0;
                for (int i = 0; i < args.Length; i++)
                {
                    offsets[i] = offset;
                    var codec = args[i].Codec;
                    int fixedLength = codec.FixedLength;
                    offset += fixedLength >= 0 ? fixedLength : codec.GetLength(payload[offset..]);
                }
            }
            long raw = *(long*)(p + RecordLayout.TimestampOffset);
            var record = new LogRecord(template, logger, (LogLevel)p[RecordLayout.LevelOffset], _clock.ToUtc(raw), raw,
                *(int*)(p + RecordLayout.ThreadIdOffset), flags, payload, offsets, objects, buffer.Owner.Name);
            foreach (var filter in _filters)
            {
                if (!filter.ShouldWrite(in record))
                {
                    _filtered++;
                    return RecordLayout.Align(length);
                }
            }
            if (_enrichers.Length > 0)
            {
                Enrich(in record);
                record = new LogRecord(template, logger, record.Level, record.Timestamp, raw, record.ThreadId, flags, payload, offsets, objects,
                    record.ThreadName, _properties.WrittenSpan);
            }
            foreach (var observer in _observers) observer.Observe(in record);
            long mark = output.Mark;
            try
            {
                _formatter.Format(in record, ref output);
            }
            catch (Exception e)
            {
                // the formatter failed outside a value (values mark themselves): take its partial bytes back, so the
                // next record is not glued onto them, and count the record failed in every writer's books
                output.Rewind(mark);
                _formatErrors++;
                _unformattable++;
                ToStderr("formatter", e);
                return RecordLayout.Align(length);
            }
            _batches.Current.AddRecord((int)(_origin + output.Mark), record.Level);
        }
        catch (Exception e)
        {
            _formatErrors++;
            _unformattable++;
            ToStderr("decoder", e);
        }
        finally
        {
            objects.Clear();
        }
        return RecordLayout.Align(length);
    }

    private void Enrich(in LogRecord record)
    {
        _properties.ResetWrittenCount();
        var properties = new PropertyWriter(_properties);
        foreach (var enricher in _enrichers) enricher.Enrich(in record, ref properties);
    }

    // ------------------------------------------------------------------ the pipeline's own records

    /// <summary>"Suppressed N records of X (filter)" for every summarizing filter that suppressed something since the last report.</summary>
    private void ReportSuppressed()
    {
        foreach (var filter in _filters)
        {
            if (filter is not ISummarizingFilter summarizing) continue;
            _summaryFilter = summarizing.Name;
            try
            {
                summarizing.CollectSuppressed(_emitSummary);
            }
            catch (Exception e)
            {
                ToStderr(summarizing.Name, e);
            }
        }
    }

    private void EmitSummary(string source, long count)
    {
        _payload.Reset();
        _payload.Int64(count).String(source).String(_summaryFilter);
        WriteInternal(InternalRecords.Summary, _filterLogger!, LogLevel.Information, default, -1);
    }

    /// <summary>"Dropped N records due to backpressure" with the exact count since the last report, at most once a second (always when forced).</summary>
    private void ReportBackpressure(bool force)
    {
        long dropped = TotalDrops();
        long delta = dropped - _reportedDrops;
        if (delta > 0 && (force || Stopwatch.GetElapsedTime(_lastDropReport) >= TimeSpan.FromSeconds(1)))
        {
            _reportedDrops = dropped;
            _lastDropReport = Stopwatch.GetTimestamp();
            _payload.Reset();
            _payload.Int64(delta).String(_settings.Strategy.ToString());
            WriteInternal(InternalRecords.Dropped, _backpressureLogger!, LogLevel.Warning, default, -1);
        }
        SyncUpstreamCounts();
    }

    /// <summary>The first ring whose fill passed the warning threshold, or -1.</summary>
    private int FillingRing(ThreadBuffer[] buffers, int k, long[] limits)
    {
        for (int i = 0; i < k; i++)
        {
            if (limits[i] - buffers[i].ReadPos >= _settings.WarningThreshold) return i;
        }
        return -1;
    }

    /// <summary>"Buffer X/Y (approaching limit)" when a ring's fill passed the warning threshold (at most once a second).</summary>
    private void WarnFilling(long fill, long capacity)
    {
        _lastBufferWarning = Stopwatch.GetTimestamp();
        _payload.Reset();
        _payload.Int64(fill).Int64(capacity);
        WriteInternal(InternalRecords.BufferWarning, _backpressureLogger!, LogLevel.Warning, default, -1);
    }

    /// <summary>Records that never reached the stages (dropped at the caller or skipped in the ring): counted in every writer's books.</summary>
    private void SyncUpstreamCounts()
    {
        long dropped = TotalDrops() - _upstreamCounted;
        long filtered = _filtered - _filteredCounted;
        long failed = _unformattable - _unformattableCounted;
        if (dropped <= 0 && filtered <= 0 && failed <= 0) return;
        _upstreamCounted += dropped;
        _filteredCounted += filtered;
        _unformattableCounted += failed;
        foreach (var stage in _stages) stage.CountUpstream(dropped, filtered, failed);
    }

    private long TotalDrops()
    {
        long total = _retired.Dropped + _discarded;
        foreach (var b in Volatile.Read(ref _buffers)) total += b.DroppedTotal;
        return total;
    }

    private void WriteProblems()
    {
        while (_problems.TryDequeue(out var problem))
        {
            _payload.Reset();
            _payload.String(problem.Stage.Writer.Name).String(problem.Error.Message).Object();
            _objects[0] = problem.Error;
            WriteInternal(InternalRecords.WriterFailed, _errorLogger!, LogLevel.Error, _objects.AsSpan(0, 1), problem.Stage.Index);
            _objects[0] = null;
        }
    }

    private void WriteInternal(LogTemplate template, KakashiLogger logger, LogLevel level, ReadOnlySpan<object?> objects, int excludedStage)
    {
        Seal(); // the pipeline's record goes in a batch of its own (it may skip one writer)
        var output = new Utf8Writer(_batches);
        try
        {
            long raw = KakashiClock.GetTimestamp();
            var record = new LogRecord(template, logger, level, _clock.ToUtc(raw), raw, Environment.CurrentManagedThreadId,
                RecordFlags.None, _payload.Payload, _payload.Offsets, objects);
            try
            {
                _formatter.Format(in record, ref output);
            }
            catch (Exception)
            {
                output.Rewind(0);
                throw;
            }
            output.Commit();
            _batches.Current.AddRecord(_batches.Current.Length, level);
        }
        catch (Exception e)
        {
            _formatErrors++;
            ToStderr("formatter", e);
        }
        _formatErrors += FormatFailures.Take();
        Seal(excludedStage, isInternal: true);
    }

    // ------------------------------------------------------------------ writers

    /// <summary>
    /// Hands the last batch to the stages, lets them finish within the shutdown timeout, disposes the writers, and counts what
    /// a writer took but never confirmed as failed. Never throws: it runs on the drain thread, where an exception would end the process.
    /// </summary>
    private void CloseStages()
    {
        try
        {
            Seal();
        }
        catch (Exception e)
        {
            ToStderr("drain", e);
        }
        _watchdog.Dispose();
        foreach (var stage in _stages) stage.Close();
        var deadline = Stopwatch.GetTimestamp() + (long)(_config.ShutdownTimeout.TotalSeconds * Stopwatch.Frequency);
        foreach (var stage in _stages)
        {
            try
            {
                var left = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), deadline);
                if (!stage.Completion.IsCompleted && left > TimeSpan.Zero) stage.Completion.Wait(left);
            }
            catch (Exception)
            {
                // a loop that faulted is finished too
            }
        }
        foreach (var stage in _stages)
        {
            try
            {
                if (!stage.Completion.IsCompleted)
                {
                    var m = stage.GetMetrics();
                    ToStderr(stage.Writer.Name, new TimeoutException($"The writer did not finish within the shutdown timeout ({_config.ShutdownTimeout}): {m.Queued} queued records were not written."));
                    stage.Abort();
                    continue;
                }
                var dispose = stage.Writer.DisposeAsync();
                if (!dispose.IsCompletedSuccessfully) dispose.AsTask().Wait(_config.ShutdownTimeout);
            }
            catch (Exception e)
            {
                ToStderr(stage.Writer.Name, e);
            }
            stage.SettleUnconfirmed();
        }
    }

    /// <summary>A writer closed with records it took and never confirmed: they are counted failed, and said on stderr.</summary>
    internal void ReportShutdownLoss(WriterStage stage, long records)
        => ToStderr(stage.Writer.Name, new IOException($"{records} records the writer took were never confirmed written when it closed: counted as failed."));

    private void RetireDeadBuffers()
    {
        var buffers = Volatile.Read(ref _buffers);
        foreach (var b in buffers)
        {
            if (b.Owner.IsAlive || !b.IsDrained) continue;
            lock (_registryLock)
            {
                var current = _buffers;
                int index = Array.IndexOf(current, b);
                if (index < 0) continue;
                var next = new ThreadBuffer[current.Length - 1];
                Array.Copy(current, 0, next, 0, index);
                Array.Copy(current, index + 1, next, index, current.Length - index - 1);
                _retired.Retire(b);
                Volatile.Write(ref _buffers, next);
            }
        }
    }

    private void ToStderr(string source, Exception e)
    {
        if (Interlocked.Increment(ref _stderrReports) > 1000) return; // a writer failing in a loop must not flood stderr
        try
        {
            Console.Error.WriteLine($"[kakashi] {source} failed: {e}");
        }
        catch (Exception)
        {
            // stderr is gone: the error record and the metrics remain
        }
    }
}

/// <summary>The counters of rings whose threads ended (their rings are gone, their counts stay).</summary>
internal sealed class RetiredCounters
{
    private readonly Lock _lock = new();
    private Totals _totals = new();

    public long Dropped
    {
        get
        {
            lock (_lock) return _totals.Dropped;
        }
    }

    public void Retire(ThreadBuffer buffer)
    {
        lock (_lock) _totals.Add(buffer);
    }

    public Totals Snapshot()
    {
        lock (_lock) return _totals.Clone();
    }

    internal sealed class Totals
    {
        public long Accepted;
        public long Dropped;
        public long Waits;
        public long BlockedTicks;
        public long[] DroppedByLevel = new long[7];

        public void Add(ThreadBuffer b)
        {
            Accepted += b.Accepted;
            Dropped += b.DroppedTotal;
            Waits += b.Waits;
            BlockedTicks += b.BlockedTicks;
            for (int i = 0; i < 7; i++) DroppedByLevel[i] += b.DroppedAt(i);
        }

        public Totals Clone()
        {
            var copy = (Totals)MemberwiseClone();
            copy.DroppedByLevel = (long[])DroppedByLevel.Clone();
            return copy;
        }
    }
}
