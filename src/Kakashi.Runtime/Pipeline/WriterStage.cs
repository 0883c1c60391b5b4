using System;
using System.Diagnostics;
using System.IO;
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
    private readonly AsyncSignal _items;
    private readonly WakeThread? _wakeThread;
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
    private SpoolKind _inFlightKind;
    private readonly Unconfirmed _unconfirmed = new();

    // request gathering (LogWriter.Batching)
    private readonly BatchingOptions? _batching;
    private readonly BatchPool? _gatherPool;

    // the disk spool (LogWriter.Spool): used by the loop only; its books below, under _lock
    private readonly SpoolStore? _spool;
    private LogBatch? _spoolBatch;
    private long _spooled;          // this run's application records in the spool: part of Queued
    private long _spoolReplayed;    // records an earlier run spooled, delivered by this one
    private long _spoolEarlierLost; // records an earlier run spooled that this one could not deliver (evicted, rejected)
    private long _spoolDroppedFull; // this run's records the full spool could not take (in _dropped too)
    private readonly System.Collections.Generic.List<FlushRequest> _heldFlushes = new();
    private TimeSpan _replayBackoff;
    private ITimer? _gatherTimer;

    private readonly bool _inline;

    public WriterStage(LogWriter writer, int index, Drain drain, long limit, TimeProvider time, bool inline = false)
    {
        _inline = inline;
        // the loop waits for work on a thread of its own, not the thread pool (AsyncSignal)
        _wakeThread = inline ? null : new WakeThread("Kakashi writer");
        _items = new AsyncSignal(_wakeThread);
        _writer = writer;
        Index = index;
        _drain = drain;
        _limit = limit;
        _time = time;
        _confirms = writer.ConfirmsDelivery;
        _batching = writer.Batching;
        if (_batching is not null)
        {
            int size = (int)Math.Clamp((long)_batching.MaxBytes + LogBatch.DefaultSize, LogBatch.DefaultSize, 16L << 20);
            _gatherPool = new BatchPool(size, max: 4, prefill: 0);
        }
        if (writer.Spool is { } spool) _spool = new SpoolStore(spool, e => _drain.ReportWriterProblem(this, e));
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
                    && !(_closing && _spool is not null) // shutting down with a spool: what fails goes to disk for the next run, now
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
    public void Start()
    {
        _wakeThread?.Start();
        _loop = _inline ? Task.CompletedTask : Task.Run(RunAsync);
    }

    /// <summary>
    /// Inline mode (synchronous pipelines; the caller holds the pipeline's lock): writes what is queued now, on this thread,
    /// with the same retries, circuit breaker and timeout as the loop, then flushes the writer so the records are at the
    /// destination when the logging call returns.
    /// </summary>
    private void PumpInline()
    {
        bool wrote = false;
        // a spool backlog first, oldest records first; one that cannot be replayed now takes what is queued, in order
        while (SpoolHasEntries && !Impaired && Replayed(ReplayOldestAsync())) wrote = true;
        if (SpoolHasEntries) MoveQueueToSpool();
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

        static bool Replayed(ValueTask<bool> task) => task.IsCompletedSuccessfully ? task.Result : task.AsTask().GetAwaiter().GetResult();
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
        ReleaseHeldFlushes(all: true);
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
        lock (_lock) return _count == 0 ? null : PopLocked();
    }

    private LogBatch PopLocked()
    {
        var batch = _queue[_head]!;
        _queue[_head] = null;
        _head = (_head + 1) % _queue.Length;
        _count--;
        _queuedBytes -= Held(batch);
        if (batch.Flush is null)
        {
            if (!batch.IsInternal) _queuedRecords -= batch.Records;
            TakeInFlight(batch.Records, batch.IsInternal ? SpoolKind.Internal : SpoolKind.Current);
        }
        return batch;
    }

    /// <summary>Records handed to the writer (caller holds the lock): in flight until the write ends (or, for a writer that confirms, until it settles them).</summary>
    private void TakeInFlight(int records, SpoolKind kind)
    {
        _inFlightKind = kind;
        // a writer that confirms may settle records of this batch while it is still writing it: they are unconfirmed from
        // the start (taken back if the writer refuses the batch)
        if (_confirms)
        {
            _unconfirmed.Add(records, kind);
            _taken += records;
        }
        else if (kind == SpoolKind.Current) _inFlight += records;
    }

    /// <summary>
    /// Request gathering (<see cref="LogWriter.Batching"/>): the next queued batch when it can join the request being
    /// gathered (same kind of records, within the limits); null when the queue is empty or its head cannot join (a flush
    /// marker, other records, too big), with <paramref name="blocked"/> telling which.
    /// </summary>
    private LogBatch? TryPopJoinable(bool isInternal, int records, int bytes, out bool blocked)
    {
        lock (_lock)
        {
            blocked = false;
            if (_count == 0) return null;
            var head = _queue[_head]!;
            if (head.Flush is not null || head.IsInternal != isInternal
                || records + head.Records > _batching!.MaxRecords || bytes + head.Length > _batching.MaxBytes)
            {
                blocked = true;
                return null;
            }
            return PopLocked();
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
            while (records > 0 && _unconfirmed.TryTake(ref records, out int taken, out SpoolKind kind))
            {
                _settled += taken;
                if (delivered) CountDelivered(kind, taken);
                else if (kind == SpoolKind.Current) _failed += taken;
                else if (kind == SpoolKind.Earlier) _spoolEarlierLost += taken;
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
                    // circuit open: leave batches queued (the drain drops past the limit) until the break ends, or move them
                    // to the spool; flush requests do not wait for a writer that cannot write
                    if (_spool is not null) MoveQueueToSpool();
                    SignalQueuedFlushes();
                    ReleaseHeldFlushes(all: true);
                    await Task.Delay(TimeSpan.FromMilliseconds(50), _time).ConfigureAwait(false);
                    continue;
                }
                if (SpoolHasEntries)
                {
                    if (_closing && Impaired)
                    {
                        // shutting down while the destination fails: the rest waits on disk for the next run
                        MoveQueueToSpool();
                        break;
                    }
                    // the oldest records first; a backlog being replayed must not hold the callers: past half the stage's
                    // limit, queued batches join the spool (in order)
                    if (Volatile.Read(ref _queuedBytes) > _limit / 2) MoveQueueToSpool();
                    ReleaseHeldFlushes();
                    if (await ReplayOldestAsync().ConfigureAwait(false))
                    {
                        if (_failing && !_closing)
                        {
                            // the destination is still down: wait before the next try (doubling up to the retry delay's
                            // maximum; the circuit breaker, once open, takes over), moving new batches to disk meanwhile
                            _replayBackoff = _replayBackoff == TimeSpan.Zero ? _writer.Retry.InitialDelay : TimeSpan.FromTicks(Math.Min(_replayBackoff.Ticks * 2, _writer.Retry.MaxDelay.Ticks));
                            MoveQueueToSpool();
                            ReleaseHeldFlushes();
                            if (_replayBackoff > TimeSpan.Zero) await Task.Delay(_replayBackoff, _time).ConfigureAwait(false);
                        }
                        else
                        {
                            _replayBackoff = TimeSpan.Zero;
                        }
                        continue;
                    }
                }
                ReleaseHeldFlushes(all: true);
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
                if (_batching is not null) batch = await GatherAsync(batch).ConfigureAwait(false);
                await WriteAsync(batch).ConfigureAwait(false);
            }
        }
        finally
        {
            _wakeThread?.Stop();
            _gatherTimer?.Dispose();
            // whatever the loop leaves behind (abandoned at shutdown) no flush may wait for
            SignalQueuedFlushes();
            ReleaseHeldFlushes(all: true);
            SignalConfirmedFlushes(all: true);
        }
    }

    /// <summary>
    /// Gathers queued batches after <paramref name="first"/> into one request (<see cref="LogWriter.Batching"/>), waiting up
    /// to the writer's delay for more; stops early at a flush, at shutdown, at a batch of the other kind, or when full.
    /// </summary>
    private async ValueTask<LogBatch> GatherAsync(LogBatch first)
    {
        var limits = _batching!;
        if (first.Records >= limits.MaxRecords || first.Length >= limits.MaxBytes) return first;
        long started = _time.GetTimestamp();
        LogBatch? gathered = null;
        while (true)
        {
            var current = gathered ?? first;
            var next = TryPopJoinable(current.IsInternal, current.Records, current.Length, out bool blocked);
            if (next is not null)
            {
                _space.Set();
                if (gathered is null)
                {
                    gathered = _gatherPool!.Rent();
                    gathered.IsInternal = first.IsInternal;
                    gathered.SetReferences(1);
                    gathered.Append(first);
                    first.Release();
                }
                gathered.Append(next);
                next.Release();
                continue;
            }
            var left = limits.MaxDelay - _time.GetElapsedTime(started);
            if (blocked || _closing || left <= TimeSpan.Zero) break;
            // wait for the next batch or the deadline: a timer sets the same signal the drain sets (the signal has one
            // waiter and must never be abandoned mid-wait; waking early just checks again)
            _gatherTimer ??= _time.CreateTimer(static state => ((WriterStage)state!)._items.Set(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            _gatherTimer.Change(left, Timeout.InfiniteTimeSpan);
            await _items.WaitAsync().ConfigureAwait(false);
        }
        return gathered ?? first;
    }

    private async ValueTask WriteAsync(LogBatch batch, bool fromSpool = false)
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
            Finish(batch, outcome.Exception, fromSpool);
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
            if (!fromSpool) batch.Release(); // the spool's batch is the stage's own, reused
        }
    }

    /// <summary>
    /// Moves the in-flight batch to its final count (or, for a writer that confirms, leaves it to the writer's settlement).
    /// With a spool, what failed for a reason retrying can fix goes to disk instead of being counted failed or dropped:
    /// <paramref name="fromSpool"/> says the batch is the spool's oldest entry being replayed (it stays there on failure).
    /// </summary>
    private void Finish(LogBatch batch, Exception? error, bool fromSpool = false)
    {
        int records = batch.Records;
        SpoolKind kind;
        int unsettled;
        lock (_lock)
        {
            kind = _inFlightKind;
            // refused records: a writer that confirms took only the prefix it settled (it may settle part of a batch, then fail)
            unsettled = error is null ? 0 : _confirms ? (int)Math.Min(records, _taken - _settled) : records;
        }
        bool permanent = error is LogWriteException { IsTransient: false };
        bool toSpool = error is not null && !permanent && unsettled > 0 && _spool is not null;
        bool spooled = fromSpool;
        (long Current, long Earlier, long Internal) evicted = default;
        if (toSpool && !fromSpool)
        {
            // the disk before the books: until the books say otherwise the records stay in flight
            try
            {
                spooled = _spool!.TryAppend(batch, records - unsettled, _writer.Backpressure == DropStrategy.DropOldest, out evicted);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                _drain.ReportWriterProblem(this, new IOException($"The spool of {_writer.Name} could not take a batch of {unsettled} records: {e.Message}", e));
                spooled = false;
            }
        }
        lock (_lock)
        {
            _inFlight = 0;
            if (_confirms && error is not null)
            {
                _unconfirmed.RemoveLast(unsettled);
                _taken -= unsettled;
            }
            if (error is null)
            {
                if (!_confirms) CountDelivered(kind, records);
            }
            else if (toSpool && spooled)
            {
                if (kind == SpoolKind.Current) _spooled += unsettled;
            }
            else
            {
                // the circuit opened while it was queued: dropped by policy; the spool was full: dropped; anything else failed after every retry
                bool dropped = error is BrokenCircuitException || toSpool;
                if (kind == SpoolKind.Current)
                {
                    if (dropped) _dropped += unsettled;
                    else _failed += unsettled;
                    if (toSpool) _spoolDroppedFull += unsettled;
                }
                else if (kind == SpoolKind.Earlier) _spoolEarlierLost += unsettled;
            }
            // the spool made room for this batch by deleting its oldest segment
            _spooled -= evicted.Current;
            _dropped += evicted.Current;
            _spoolDroppedFull += evicted.Current;
            _spoolEarlierLost += evicted.Earlier;
        }
        if (fromSpool)
        {
            // how far the destination got through the entry: checkpointed, so a later run does not send it again
            int done = error is null || permanent ? records : records - unsettled;
            try
            {
                _spool!.Confirm(kind, done);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                _drain.ReportWriterProblem(this, e);
            }
        }
        if (evicted.Current + evicted.Earlier > 0)
            _drain.ReportWriterProblem(this, new IOException($"The spool of {_writer.Name} is full ({_spool!.Bytes} bytes): its oldest segment was deleted, {evicted.Current + evicted.Earlier} records lost (counted dropped)."));
        else if (toSpool && !spooled && !fromSpool)
            _drain.ReportWriterProblem(this, new IOException($"The spool of {_writer.Name} is full: a batch of {unsettled} records was dropped."));
        if (error is null)
        {
            if (!_confirms) _failing = false;
        }
        else if (error is not (BrokenCircuitException or SpoolingException))
        {
            _drain.ReportWriterProblem(this, error);
        }
        if (error is not null) SignalConfirmedFlushes(all: true);
    }

    /// <summary>Records the writer delivered (caller holds the lock), in the bucket their kind belongs to.</summary>
    private void CountDelivered(SpoolKind kind, long records)
    {
        switch (kind)
        {
            case SpoolKind.Internal: _internalWritten += records; break;
            case SpoolKind.Earlier: _spoolReplayed += records; break;
            default: _written += records; break;
        }
    }

    // ------------------------------------------------------------------ the spool

    /// <summary>Opens the writer's spool (after the writer itself): a folder in use or not writable fails the setup.</summary>
    public void OpenSpool() => _spool?.Open(_writer.Context?.Property ?? $"Writers[{Index}]");

    public void CloseSpool() => _spool?.Dispose();

    private bool SpoolHasEntries => _spool is { IsEmpty: false };

    /// <summary>
    /// Moves every queued batch to the spool, in order (the destination is down, or a replay backlog must not hold the
    /// callers): flush markers met on the way wait for the spool to empty (<see cref="ReleaseHeldFlushes"/>).
    /// </summary>
    private void MoveQueueToSpool()
    {
        while (Pop() is { } batch)
        {
            _space.Set();
            if (batch.Flush is { } flush)
            {
                lock (_lock) _heldFlushes.Add(flush);
                continue;
            }
            try
            {
                Finish(batch, SpoolingException.Instance);
            }
            finally
            {
                batch.Release();
            }
        }
    }

    /// <summary>Flushes wait for a spool backlog to be replayed, unless the writer cannot write now (or at all, hung or closing).</summary>
    private void ReleaseHeldFlushes(bool all = false)
    {
        FlushRequest[] held;
        lock (_lock)
        {
            if (_heldFlushes.Count == 0) return;
            if (!all && SpoolHasEntries && !Impaired) return;
            held = [.. _heldFlushes];
            _heldFlushes.Clear();
        }
        foreach (var flush in held) flush.Signal(Index);
    }

    /// <summary>Writes the spool's oldest entry; false when there was none to read.</summary>
    private async ValueTask<bool> ReplayOldestAsync()
    {
        _spoolBatch ??= new LogBatch(null, LogBatch.DefaultSize);
        var batch = _spoolBatch;
        SpoolKind kind;
        int records;
        try
        {
            if (!_spool!.TryReadOldest(batch, out kind, out records)) return false;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _drain.ReportWriterProblem(this, new IOException($"The spool of {_writer.Name} could not be read: {e.Message}", e));
            _failing = true;
            return false;
        }
        lock (_lock)
        {
            if (kind == SpoolKind.Current) _spooled -= records;
            TakeInFlight(records, kind);
        }
        batch.SetReferences(1);
        await WriteAsync(batch, fromSpool: true).ConfigureAwait(false);
        return true;
    }

    /// <summary>The reason a batch moved to the spool without being tried (the destination is down): never reported itself.</summary>
    private sealed class SpoolingException : IOException
    {
        public static readonly SpoolingException Instance = new();
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
            var spool = _spool;
            return new WriterMetrics
            {
                Name = _writer.Name,
                Received = _received,
                Written = _written,
                Dropped = _dropped,
                Filtered = _filtered,
                Failed = _failed,
                Retries = _retries,
                Queued = _queuedRecords + inFlight + _spooled,
                Spooled = _spooled,
                SpoolBytes = spool?.Bytes ?? 0,
                SpoolReplayed = _spoolReplayed,
                SpoolEarlierLost = _spoolEarlierLost,
                SpoolLostBytes = spool?.LostBytes ?? 0,
                SpoolDropped = _spoolDroppedFull,
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

    /// <summary>The records a confirming writer took and has not settled yet, oldest first, as runs of one kind (this run's application records, the pipeline's own, an earlier run's from the spool).</summary>
    private sealed class Unconfirmed
    {
        private long[] _runs = new long[64];
        private SpoolKind[] _kinds = new SpoolKind[64];
        private int _head;
        private int _count;

        public long AppRecords { get; private set; }

        public void Add(int records, SpoolKind kind)
        {
            if (records == 0) return;
            if (_count == _runs.Length)
            {
                var bigger = new long[_runs.Length * 2];
                var kinds = new SpoolKind[_runs.Length * 2];
                for (int i = 0; i < _count; i++)
                {
                    bigger[i] = _runs[(_head + i) % _runs.Length];
                    kinds[i] = _kinds[(_head + i) % _runs.Length];
                }
                _runs = bigger;
                _kinds = kinds;
                _head = 0;
            }
            int slot = (_head + _count) % _runs.Length;
            _runs[slot] = records;
            _kinds[slot] = kind;
            _count++;
            if (kind == SpoolKind.Current) AppRecords += records;
        }

        /// <summary>Takes up to <paramref name="records"/> from the oldest run; false when nothing is unconfirmed.</summary>
        public bool TryTake(ref int records, out int taken, out SpoolKind kind)
        {
            taken = 0;
            kind = SpoolKind.Current;
            if (_count == 0) return false;
            long size = _runs[_head];
            kind = _kinds[_head];
            taken = (int)Math.Min(size, records);
            records -= taken;
            size -= taken;
            if (kind == SpoolKind.Current) AppRecords -= taken;
            if (size == 0)
            {
                _head = (_head + 1) % _runs.Length;
                _count--;
            }
            else
            {
                _runs[_head] = size;
            }
            return true;
        }

        /// <summary>Takes back the newest <paramref name="records"/> (a batch the writer refused).</summary>
        public void RemoveLast(int records)
        {
            while (records > 0 && _count > 0)
            {
                int tail = (_head + _count - 1) % _runs.Length;
                long size = _runs[tail];
                long taken = Math.Min(size, records);
                records -= (int)taken;
                if (_kinds[tail] == SpoolKind.Current) AppRecords -= taken;
                if (taken == size) _count--;
                else _runs[tail] = size - taken;
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
