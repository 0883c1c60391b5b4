using System;
using System.Diagnostics;
using System.Threading;
using System.Threading.Tasks;
using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;
using Polly.Timeout;

namespace Kakashi.Pipeline;

/// <summary>
/// One writer's bounded stage and its loop: the drain queues shared batches (<see cref="LogBatch"/>) here; the loop writes
/// them through a Polly pipeline (timeout, retry with backoff and jitter, circuit breaker) at the writer's own pace.
/// Counts are per record and change under one lock, so every snapshot balances:
/// received = written + dropped + filtered + failed + queued (waiting, being written, or awaiting the writer's confirmation).
/// </summary>
internal sealed class WriterStage
{
    /// <summary>How far past its timeout an attempt may run before the writer counts as hung (it ignored cancellation).</summary>
    private static readonly TimeSpan HungMargin = TimeSpan.FromMilliseconds(100);

    private readonly LogWriter _writer;
    private readonly Drain _drain;
    private readonly long _limit;
    private readonly TimeProvider _time;
    private readonly Lock _lock = new();
    private readonly AsyncSignal _items = new();
    private readonly ManualResetEventSlim _space = new(true);
    private readonly CancellationTokenSource _stop = new();
    private readonly ResiliencePipeline _resilience;
    private readonly CircuitBreakerStateProvider _breaker = new();
    private readonly bool _confirms;
    private LogBatch?[] _queue = new LogBatch?[64];
    private int _head;
    private int _count;
    private long _queuedBytes;
    private long _queuedRecords;
    private Task _loop = Task.CompletedTask;
    private volatile bool _closing;
    private volatile bool _tick;
    private volatile bool _failing;
    private long _attemptSince;
    private long _openUntilTicks;
    private int _hungReported;
    private FlushRequest? _flushInFlight;
    private CancellationTokenSource _operation;

    // the books (records), changed under _lock only
    private long _received;
    private long _internal;
    private long _internalWritten;
    private long _written;
    private long _dropped;
    private long _filtered;
    private long _failed;
    private long _retries;
    private long _inFlight;
    private bool _inFlightInternal;
    private readonly Unconfirmed _unconfirmed = new();

    private readonly bool _inline;

    public WriterStage(LogWriter writer, int index, Drain drain, long limit, TimeProvider time, bool inline = false)
    {
        _inline = inline;
        _writer = writer;
        Index = index;
        _drain = drain;
        _limit = limit;
        _time = time;
        _confirms = writer.ConfirmsDelivery;
        _operation = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
        var retry = writer.Retry;
        var breaker = writer.CircuitBreaker;
        var builder = new ResiliencePipelineBuilder { TimeProvider = time };
        if (retry.MaxRetries > 0)
        {
            builder.AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = new PredicateBuilder().Handle<Exception>(e => e is not BrokenCircuitException
                    && e is not LogWriteException { IsTransient: false }
                    && !(e is OperationCanceledException && _stop.IsCancellationRequested)),
                // the destination's own wait (HTTP Retry-After) replaces the backoff delay, bounded
                DelayGenerator = args => new ValueTask<TimeSpan?>(args.Outcome.Exception is LogWriteException { RetryAfter: { } after }
                    ? TimeSpan.FromTicks(Math.Clamp(after.Ticks, 0, retry.MaxRetryAfter.Ticks))
                    : null),
                MaxRetryAttempts = retry.MaxRetries,
                Delay = retry.InitialDelay,
                MaxDelay = retry.MaxDelay,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = retry.Jitter,
                OnRetry = _ =>
                {
                    lock (_lock) _retries++;
                    return ValueTask.CompletedTask;
                },
            });
        }
        builder.AddCircuitBreaker(new CircuitBreakerStrategyOptions
        {
            ShouldHandle = new PredicateBuilder().Handle<Exception>(e => !(e is OperationCanceledException && _stop.IsCancellationRequested)),
            FailureRatio = 1.0,
            MinimumThroughput = breaker.FailureThreshold,
            SamplingDuration = breaker.SamplingWindow,
            BreakDuration = breaker.BreakDuration,
            StateProvider = _breaker,
            OnOpened = args =>
            {
                Volatile.Write(ref _openUntilTicks, (_time.GetUtcNow() + args.BreakDuration).UtcTicks);
                return ValueTask.CompletedTask;
            },
        });
        builder.AddTimeout(new TimeoutStrategyOptions { Timeout = writer.WriteTimeout });
        _resilience = builder.Build();
    }

    public int Index { get; }

    public LogWriter Writer => _writer;

    public Task Completion => _loop;

    /// <summary>Starts the writer's loop; an inline stage (synchronous pipeline) has none: whoever queues a batch writes it.</summary>
    public void Start() => _loop = _inline ? Task.CompletedTask : Task.Run(RunAsync);

    /// <summary>
    /// Inline mode (synchronous pipelines; the caller holds the pipeline's lock): writes what is queued now, on this thread,
    /// with the same retries, circuit breaker and timeout as the loop, then flushes the writer so the records are at the
    /// destination when the logging call returns.
    /// </summary>
    private void PumpInline()
    {
        bool wrote = false;
        while (Pop() is { } batch)
        {
            _space.Set();
            if (batch.Flush is { } flush)
            {
                Volatile.Write(ref _flushInFlight, flush);
                Wait(Guard(static (w, ct) => w.FlushAsync(ct)));
                Volatile.Write(ref _flushInFlight, null);
                CompleteFlush(flush);
                wrote = false;
                continue;
            }
            if (_breaker.CircuitState is CircuitState.Open or CircuitState.Isolated && _time.GetUtcNow().UtcTicks < Volatile.Read(ref _openUntilTicks))
            {
                Finish(batch, new BrokenCircuitException()); // dropped by policy while the circuit is open, as the loop would
                batch.Release();
                continue;
            }
            Wait(WriteAsync(batch));
            wrote = true;
        }
        if (wrote) Wait(Guard(static (w, ct) => w.FlushAsync(ct)));

        static void Wait(ValueTask task)
        {
            if (!task.IsCompletedSuccessfully) task.AsTask().GetAwaiter().GetResult();
        }
    }

    public BreakerState State
    {
        get
        {
            if (IsHung) return BreakerState.Hung;
            return _breaker.CircuitState switch
            {
                CircuitState.Open or CircuitState.Isolated => BreakerState.Open,
                CircuitState.HalfOpen => BreakerState.HalfOpen,
                _ => BreakerState.Closed,
            };
        }
    }

    /// <summary>An attempt (write, flush or idle call) has been running past the writer's timeout: it ignored cancellation.</summary>
    public bool IsHung
    {
        get
        {
            long since = Volatile.Read(ref _attemptSince);
            return since != 0 && Stopwatch.GetElapsedTime(since) > _writer.WriteTimeout + HungMargin;
        }
    }

    /// <summary>Hung, failing (an attempt failed and nothing was written since) or with its circuit open: a full stage then drops instead of blocking.</summary>
    public bool Impaired => _failing || IsHung || _breaker.CircuitState is CircuitState.Open or CircuitState.Isolated;

    // ------------------------------------------------------------------ drain side

    /// <summary>Queues a batch the reference was counted for; applies the writer's policy when the stage is full.</summary>
    public void Enqueue(LogBatch batch)
    {
        while (true)
        {
            lock (_lock)
            {
                if (_queuedBytes + Held(batch) <= _limit || _count == 0)
                {
                    Push(batch);
                    break;
                }
                var policy = Impaired || _drain.ShutdownOverdue ? DropStrategy.DropNewest : _writer.Backpressure;
                if (policy == DropStrategy.DropNewest)
                {
                    if (batch.IsInternal)
                    {
                        _internal += batch.Records;
                    }
                    else
                    {
                        _received += batch.Records;
                        _dropped += batch.Records;
                    }
                    batch.Release();
                    return;
                }
                if (policy == DropStrategy.DropOldest)
                {
                    DropOldestUntil(Held(batch));
                    Push(batch);
                    break;
                }
                _space.Reset();
            }
            if (_inline)
            {
                // nothing else frees space: write what is queued here
                PumpInline();
                continue;
            }
            // Block: wait for the loop to take something; re-check the writer's health while waiting, and keep
            // skipping what drop-oldest/priority callers asked to discard
            _drain.ServiceDiscards();
            _space.Wait(1);
        }
        _items.Set();
        if (_inline) PumpInline();
    }

    /// <summary>Queues a flush marker (never dropped, never blocked). A stage that cannot flush now signals it at once.</summary>
    public void EnqueueMarker(FlushRequest request)
    {
        if (State is BreakerState.Hung or BreakerState.Open)
        {
            request.Signal(Index);
            return;
        }
        lock (_lock) Push(new LogBatch(null, 0) { Flush = request });
        _items.Set();
        if (_inline) PumpInline();
    }

    /// <summary>Counts records that never reached this stage (dropped before formatting, filtered, unformattable) so its books balance.</summary>
    public void CountUpstream(long dropped, long filtered, long failed)
    {
        lock (_lock)
        {
            _received += dropped + filtered + failed;
            _dropped += dropped;
            _filtered += filtered;
            _failed += failed;
        }
    }

    /// <summary>Called about every 100 ms by the drain: lets the writer flush on time when it has nothing to write.</summary>
    public void Tick()
    {
        if (_inline)
        {
            var idle = Guard(static (w, ct) => w.OnIdleAsync(ct));
            if (!idle.IsCompletedSuccessfully) idle.AsTask().GetAwaiter().GetResult();
            return;
        }
        _tick = true;
        _items.Set();
    }

    /// <summary>
    /// Called about every 100 ms by the pipeline's watchdog timer (not the drain, which a blocked stage may hold): once an
    /// attempt is hung, report it once and release the flush requests waiting behind it.
    /// </summary>
    public void Watch()
    {
        if (!IsHung)
        {
            Volatile.Write(ref _hungReported, 0);
            return;
        }
        if (Interlocked.Exchange(ref _hungReported, 1) == 0)
        {
            _drain.ReportWriterProblem(this, new TimeoutException(
                $"A call to {_writer.Name} has been running for more than its WriteTimeout ({_writer.WriteTimeout}) and ignored cancellation: the writer is marked hung; its stage drops instead of blocking and flushes do not wait for it until the call returns."));
        }
        Volatile.Read(ref _flushInFlight)?.Signal(Index);
        SignalQueuedFlushes();
        SignalConfirmedFlushes(all: true);
    }

    public void Close()
    {
        _closing = true;
        _items.Set();
    }

    /// <summary>Abandons a writer that did not finish in time (shutdown timeout): cancels its current write.</summary>
    public void Abort() => _stop.Cancel();

    /// <summary>
    /// The memory a queued batch holds: its buffer, not just the bytes in it (batches are handed over at 32 KiB or 1 ms,
    /// so counting only their contents would let a stage pin far more pooled buffers than its limit says).
    /// </summary>
    private static int Held(LogBatch batch) => batch.Buffer.Length;

    private void Push(LogBatch batch)
    {
        if (_count == _queue.Length)
        {
            var bigger = new LogBatch?[_queue.Length * 2];
            for (int i = 0; i < _count; i++) bigger[i] = _queue[(_head + i) % _queue.Length];
            _queue = bigger;
            _head = 0;
        }
        _queue[(_head + _count) % _queue.Length] = batch;
        _count++;
        _queuedBytes += Held(batch);
        // received and queued in one step, under the lock: a snapshot never sees one without the other
        if (batch.IsInternal)
        {
            _internal += batch.Records;
        }
        else
        {
            _received += batch.Records;
            _queuedRecords += batch.Records;
        }
    }

    /// <summary>Takes the next batch; a data batch moves from queued to in flight in the same step (the books never lose it).</summary>
    private LogBatch? Pop()
    {
        lock (_lock)
        {
            if (_count == 0) return null;
            var batch = _queue[_head]!;
            _queue[_head] = null;
            _head = (_head + 1) % _queue.Length;
            _count--;
            _queuedBytes -= Held(batch);
            if (batch.Flush is null)
            {
                _inFlightInternal = batch.IsInternal;
                if (!batch.IsInternal) _queuedRecords -= batch.Records;
                // a writer that confirms may settle records of this batch while it is still writing it: they are
                // unconfirmed from the start (taken back if the writer refuses the batch)
                if (_confirms)
                {
                    _unconfirmed.Add(batch.Records, batch.IsInternal);
                    _taken += batch.Records;
                }
                else if (!batch.IsInternal) _inFlight = batch.Records;
            }
            return batch;
        }
    }

    /// <summary>Flush requests do not wait for a writer that cannot write: signal those queued.</summary>
    private void SignalQueuedFlushes()
    {
        lock (_lock) RemoveWhere(static (stage, batch, _) =>
        {
            if (batch.Flush is null) return false;
            batch.Flush.Signal(stage.Index);
            return true;
        }, 0);
    }

    /// <summary>Removes the oldest data batches (flush markers stay, in order) until <paramref name="needed"/> more bytes fit; counts them dropped.</summary>
    private void DropOldestUntil(int needed) => RemoveWhere(static (stage, batch, needed) =>
    {
        if (batch.Flush is not null || stage._queuedBytes + needed <= stage._limit) return false;
        stage._queuedBytes -= Held(batch);
        if (!batch.IsInternal)
        {
            stage._queuedRecords -= batch.Records;
            stage._dropped += batch.Records;
        }
        batch.Release();
        return true;
    }, needed);

    /// <summary>Compacts the queue (caller holds the lock), keeping the order of what stays.</summary>
    private void RemoveWhere(Func<WriterStage, LogBatch, int, bool> remove, int argument)
    {
        int kept = 0;
        int n = _count;
        for (int i = 0; i < n; i++)
        {
            int slot = (_head + i) % _queue.Length;
            var batch = _queue[slot]!;
            _queue[slot] = null;
            if (remove(this, batch, argument)) continue;
            _queue[(_head + kept) % _queue.Length] = batch;
            kept++;
        }
        _count = kept;
    }

    // ------------------------------------------------------------------ confirmation (writers with ConfirmsDelivery)

    /// <summary>Settles the oldest <paramref name="records"/> records the writer took: written or failed.</summary>
    internal void Settle(int records, bool delivered, Exception? error)
    {
        if (records <= 0) return;
        lock (_lock)
        {
            while (records > 0 && _unconfirmed.TryTake(ref records, out int taken, out bool isInternal))
            {
                _settled += taken;
                if (isInternal)
                {
                    if (delivered) _internalWritten += taken;
                }
                else if (delivered)
                {
                    _written += taken;
                }
                else
                {
                    _failed += taken;
                }
            }
        }
        if (delivered) _failing = false;
        // a record the destination rejected is reported, but the writer made progress: it is not failing
        if (error is not null) _drain.ReportWriterProblem(this, error);
        SignalConfirmedFlushes(all: false);
    }

    // a flush of a writer that confirms completes when every record it took before the flush is settled
    private long _taken;
    private long _settled;
    private readonly System.Collections.Generic.List<(FlushRequest Request, long Target)> _awaitingConfirmation = new();

    /// <summary>After the writer flushed: the request completes now, or once the records taken so far are confirmed.</summary>
    private void CompleteFlush(FlushRequest flush)
    {
        if (_confirms && !Impaired)
        {
            lock (_lock)
            {
                if (_settled < _taken)
                {
                    _awaitingConfirmation.Add((flush, _taken));
                    return;
                }
            }
        }
        flush.Signal(Index);
    }

    /// <summary>Signals the flushes whose records are all settled (or all of them: the writer closed, or hangs).</summary>
    private void SignalConfirmedFlushes(bool all)
    {
        if (!_confirms) return;
        System.Collections.Generic.List<FlushRequest>? done = null;
        lock (_lock)
        {
            for (int i = _awaitingConfirmation.Count - 1; i >= 0; i--)
            {
                var (request, target) = _awaitingConfirmation[i];
                if (!all && _settled < target) continue;
                (done ??= []).Add(request);
                _awaitingConfirmation.RemoveAt(i);
            }
        }
        if (done is null) return;
        foreach (var request in done) request.Signal(Index);
    }

    private long _flushes;
    private long _flushTicks;
    private long _lastFlushUtcTicks;

    internal void CountFlush(TimeSpan duration)
    {
        Interlocked.Add(ref _flushTicks, duration.Ticks);
        Interlocked.Increment(ref _flushes);
        Volatile.Write(ref _lastFlushUtcTicks, _time.GetUtcNow().UtcTicks);
    }

    internal void ReportError(Exception error)
    {
        _failing = true;
        SignalConfirmedFlushes(all: true); // a failing writer holds its records for retry: flushes do not wait for them
        _drain.ReportWriterProblem(this, error);
    }

    // ------------------------------------------------------------------ the loop

    private async Task RunAsync()
    {
        try
        {
            while (true)
            {
                // Polly moves an open circuit to half-open only on the next attempt after the break: the loop makes that attempt
                if (_breaker.CircuitState is CircuitState.Open or CircuitState.Isolated && !_closing
                    && _time.GetUtcNow().UtcTicks < Volatile.Read(ref _openUntilTicks))
                {
                    // circuit open: leave batches queued (the drain drops past the limit) until the break ends; flush
                    // requests do not wait for a writer that cannot write
                    SignalQueuedFlushes();
                    await Task.Delay(TimeSpan.FromMilliseconds(50), _time).ConfigureAwait(false);
                    continue;
                }
                var batch = Pop();
                if (batch is null)
                {
                    if (_closing) break;
                    if (_tick)
                    {
                        _tick = false;
                        await Guard(static (w, ct) => w.OnIdleAsync(ct)).ConfigureAwait(false);
                    }
                    await _items.WaitAsync().ConfigureAwait(false);
                    continue;
                }
                _space.Set();
                if (batch.Flush is { } flush)
                {
                    Volatile.Write(ref _flushInFlight, flush);
                    await Guard(static (w, ct) => w.FlushAsync(ct)).ConfigureAwait(false);
                    Volatile.Write(ref _flushInFlight, null);
                    CompleteFlush(flush);
                    continue;
                }
                await WriteAsync(batch).ConfigureAwait(false);
            }
        }
        finally
        {
            // whatever the loop leaves behind (abandoned at shutdown) no flush may wait for
            SignalQueuedFlushes();
            SignalConfirmedFlushes(all: true);
        }
    }

    private async ValueTask WriteAsync(LogBatch batch)
    {
        var context = ResilienceContextPool.Shared.Get(_stop.Token);
        try
        {
            var outcome = await _resilience.ExecuteOutcomeAsync(
                static async (ctx, state) =>
                {
                    var stage = state.Stage;
                    Volatile.Write(ref stage._attemptSince, Stopwatch.GetTimestamp());
                    try
                    {
                        await stage._writer.WriteAsync(state.Batch, ctx.CancellationToken).ConfigureAwait(false);
                        // an object result, not a bool: Polly's non-generic strategies see results as object, and a bool would be boxed per batch
                        return Outcome.FromResult<object?>(null);
                    }
                    catch (Exception e)
                    {
                        stage._failing = true;
                        return Outcome.FromException<object?>(e);
                    }
                    finally
                    {
                        Volatile.Write(ref stage._attemptSince, 0);
                    }
                },
                context,
                (Stage: this, Batch: batch)).ConfigureAwait(false);
            Finish(batch, outcome.Exception);
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
            batch.Release();
        }
    }

    /// <summary>Moves the in-flight batch to its final count (or, for a writer that confirms, to the unconfirmed records).</summary>
    private void Finish(LogBatch batch, Exception? error)
    {
        lock (_lock)
        {
            int records = batch.Records;
            bool isInternal = _inFlightInternal;
            _inFlight = 0;
            if (_confirms && error is not null)
            {
                // refused: it never took the records it did not settle (a writer may settle a prefix of the batch, then fail on the rest)
                records = (int)Math.Min(records, _taken - _settled);
                _unconfirmed.RemoveLast(records);
                _taken -= records;
            }
            if (error is null)
            {
                if (_confirms) return; // settled by the writer as it confirms
                if (isInternal) _internalWritten += records;
                else _written += records;
            }
            else if (!isInternal)
            {
                // the circuit opened while it was queued: dropped by policy; anything else failed after every retry
                if (error is BrokenCircuitException) _dropped += records;
                else _failed += records;
            }
        }
        if (error is null)
        {
            if (!_confirms) _failing = false;
        }
        else if (error is not BrokenCircuitException)
        {
            _drain.ReportWriterProblem(this, error);
        }
        if (error is not null) SignalConfirmedFlushes(all: true);
    }

    private async ValueTask Guard(Func<LogWriter, CancellationToken, ValueTask> action)
    {
        if (!_operation.TryReset())
        {
            _operation.Dispose();
            _operation = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
        }
        _operation.CancelAfter(_writer.WriteTimeout);
        try
        {
            Volatile.Write(ref _attemptSince, Stopwatch.GetTimestamp());
            await action(_writer, _operation.Token).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            ReportError(e);
        }
        finally
        {
            Volatile.Write(ref _attemptSince, 0);
        }
    }

    /// <summary>After the writer is disposed: records it took and never confirmed are lost (counted failed, reported).</summary>
    public void SettleUnconfirmed()
    {
        long lost;
        lock (_lock)
        {
            lost = _unconfirmed.AppRecords;
            _failed += lost;
            _unconfirmed.Clear();
        }
        SignalConfirmedFlushes(all: true);
        if (lost > 0) _drain.ReportShutdownLoss(this, lost);
    }

    // ------------------------------------------------------------------ metrics

    public WriterMetrics GetMetrics()
    {
        lock (_lock)
        {
            long inFlight = _inFlight + _unconfirmed.AppRecords;
            return new WriterMetrics
            {
                Name = _writer.Name,
                Received = _received,
                Written = _written,
                Dropped = _dropped,
                Filtered = _filtered,
                Failed = _failed,
                Retries = _retries,
                Queued = _queuedRecords + inFlight,
                InFlight = inFlight,
                QueueBytes = _queuedBytes,
                QueueLimit = _limit,
                BreakerState = State,
                InternalReceived = _internal,
                InternalWritten = _internalWritten,
                Flushes = Volatile.Read(ref _flushes),
                FlushTime = TimeSpan.FromTicks(Volatile.Read(ref _flushTicks)),
                LastFlush = Volatile.Read(ref _lastFlushUtcTicks) is var last and not 0 ? new DateTimeOffset(last, TimeSpan.Zero) : null,
            };
        }
    }

    /// <summary>The records a confirming writer took and has not settled yet, oldest first, as runs of application or internal records.</summary>
    private sealed class Unconfirmed
    {
        private long[] _runs = new long[64]; // record count, negative for the pipeline's own records
        private int _head;
        private int _count;

        public long AppRecords { get; private set; }

        public void Add(int records, bool isInternal)
        {
            if (records == 0) return;
            if (_count == _runs.Length)
            {
                var bigger = new long[_runs.Length * 2];
                for (int i = 0; i < _count; i++) bigger[i] = _runs[(_head + i) % _runs.Length];
                _runs = bigger;
                _head = 0;
            }
            _runs[(_head + _count) % _runs.Length] = isInternal ? -records : records;
            _count++;
            if (!isInternal) AppRecords += records;
        }

        /// <summary>Takes up to <paramref name="records"/> from the oldest run; false when nothing is unconfirmed.</summary>
        public bool TryTake(ref int records, out int taken, out bool isInternal)
        {
            taken = 0;
            isInternal = false;
            if (_count == 0) return false;
            long run = _runs[_head];
            isInternal = run < 0;
            long size = Math.Abs(run);
            taken = (int)Math.Min(size, records);
            records -= taken;
            size -= taken;
            if (!isInternal) AppRecords -= taken;
            if (size == 0)
            {
                _head = (_head + 1) % _runs.Length;
                _count--;
            }
            else
            {
                _runs[_head] = isInternal ? -size : size;
            }
            return true;
        }

        /// <summary>Takes back the newest <paramref name="records"/> (a batch the writer refused).</summary>
        public void RemoveLast(int records)
        {
            while (records > 0 && _count > 0)
            {
                int tail = (_head + _count - 1) % _runs.Length;
                long run = _runs[tail];
                bool isInternal = run < 0;
                long size = Math.Abs(run);
                long taken = Math.Min(size, records);
                records -= (int)taken;
                if (!isInternal) AppRecords -= taken;
                if (taken == size) _count--;
                else _runs[tail] = isInternal ? -(size - taken) : size - taken;
            }
        }

        public void Clear()
        {
            _head = 0;
            _count = 0;
            AppRecords = 0;
        }
    }
}
