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
/// One writer's bounded stage and its loop: the drain queues shared batches (<see cref="Chunk"/>) here; the loop writes
/// them through a Polly pipeline (timeout, retry with backoff and jitter, circuit breaker) at the writer's own pace.
/// Counts are per record: for each writer, received = written + dropped + failed (+ queued).
/// </summary>
internal sealed class WriterStage
{
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
    private Chunk?[] _queue = new Chunk?[64];
    private int _head;
    private int _count;
    private long _queuedBytes;
    private long _queuedRecords;
    private Task _loop = Task.CompletedTask;
    private volatile bool _closing;
    private volatile bool _tick;
    private long _inFlightSince;
    private long _openUntilTicks;
    private bool _hungReported;

    // counters (records), written by the drain or the loop under _lock or by the loop alone
    private long _received;
    private long _internal;
    private long _internalWritten;
    private long _written;
    private long _dropped;
    private long _filtered;
    private long _failed;
    private long _retries;
    private long _batches;

    public WriterStage(LogWriter writer, int index, Drain drain, long limit, TimeProvider time)
    {
        _writer = writer;
        Index = index;
        _drain = drain;
        _limit = limit;
        _time = time;
        var retry = writer.Retry;
        var breaker = writer.CircuitBreaker;
        var builder = new ResiliencePipelineBuilder { TimeProvider = time };
        if (retry.MaxRetries > 0)
        {
            builder.AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = new PredicateBuilder().Handle<Exception>(e => e is not BrokenCircuitException && !(e is OperationCanceledException && _stop.IsCancellationRequested)),
                MaxRetryAttempts = retry.MaxRetries,
                Delay = retry.InitialDelay,
                MaxDelay = retry.MaxDelay,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = retry.Jitter,
                OnRetry = _ =>
                {
                    Interlocked.Increment(ref _retries);
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

    public void Start() => _loop = Task.Run(RunAsync);

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

    /// <summary>A write has been running longer than the writer's timeout allows (it ignored cancellation).</summary>
    public bool IsHung
    {
        get
        {
            long since = Volatile.Read(ref _inFlightSince);
            return since != 0 && Stopwatch.GetElapsedTime(since) > _writer.WriteTimeout + TimeSpan.FromSeconds(1);
        }
    }

    private bool Impaired => IsHung || _breaker.CircuitState is CircuitState.Open or CircuitState.Isolated;

    // ------------------------------------------------------------------ drain side

    /// <summary>Queues a batch the chunk's reference was counted for; applies the writer's policy when the stage is full.</summary>
    public void Enqueue(Chunk chunk)
    {
        if (chunk.Internal) Interlocked.Add(ref _internal, chunk.Records);
        else Interlocked.Add(ref _received, chunk.Records);
        while (true)
        {
            lock (_lock)
            {
                if (_queuedBytes + Held(chunk) <= _limit || _count == 0)
                {
                    Push(chunk);
                    break;
                }
                var policy = Impaired ? DropStrategy.DropNewest : _writer.Backpressure;
                if (policy == DropStrategy.DropNewest)
                {
                    if (!chunk.Internal) Interlocked.Add(ref _dropped, chunk.Records);
                    chunk.Release();
                    return;
                }
                if (policy == DropStrategy.DropOldest)
                {
                    DropOldestUntil(Held(chunk));
                    Push(chunk);
                    break;
                }
                _space.Reset();
            }
            // Block: wait for the loop to take something; re-check the writer's health while waiting, and keep
            // skipping what drop-oldest/priority callers asked to discard
            _drain.ServiceDiscards();
            _space.Wait(1);
        }
        _items.Set();
    }

    /// <summary>Queues a flush marker (never dropped, never blocked).</summary>
    public void EnqueueMarker(Chunk marker)
    {
        lock (_lock) Push(marker);
        _items.Set();
    }

    /// <summary>Counts records that never reached this stage (dropped before formatting, filtered) so its books balance.</summary>
    public void CountUpstream(long dropped, long filtered)
    {
        Interlocked.Add(ref _received, dropped + filtered);
        Interlocked.Add(ref _dropped, dropped);
        Interlocked.Add(ref _filtered, filtered);
    }

    public void Tick()
    {
        _tick = true;
        _items.Set();
        if (IsHung && !_hungReported)
        {
            _hungReported = true;
            _drain.ReportWriterProblem(this, new TimeoutException($"A write to {_writer.Name} has been running for more than {_writer.WriteTimeout} and ignored cancellation: the writer is marked hung; its batches are buffered up to its limit, then dropped."));
        }
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
    private static int Held(Chunk chunk) => chunk.Buffer.Length;

    private void Push(Chunk chunk)
    {
        if (_count == _queue.Length)
        {
            var bigger = new Chunk?[_queue.Length * 2];
            for (int i = 0; i < _count; i++) bigger[i] = _queue[(_head + i) % _queue.Length];
            _queue = bigger;
            _head = 0;
        }
        _queue[(_head + _count) % _queue.Length] = chunk;
        _count++;
        _queuedBytes += Held(chunk);
        if (!chunk.Internal) _queuedRecords += chunk.Records;
    }

    private Chunk? Pop()
    {
        lock (_lock)
        {
            if (_count == 0) return null;
            var chunk = _queue[_head]!;
            _queue[_head] = null;
            _head = (_head + 1) % _queue.Length;
            _count--;
            _queuedBytes -= Held(chunk);
            if (!chunk.Internal) _queuedRecords -= chunk.Records;
            return chunk;
        }
    }

    /// <summary>Flush requests do not wait for a writer whose circuit is open: signal those queued.</summary>
    private void SignalQueuedFlushes()
    {
        lock (_lock) RemoveWhere(static (_, chunk, _) =>
        {
            if (chunk.Flush is null) return false;
            chunk.Flush.Signal();
            return true;
        }, 0);
    }

    /// <summary>Removes the oldest data batches (flush markers stay, in order) until <paramref name="needed"/> more bytes fit; counts them dropped.</summary>
    private void DropOldestUntil(int needed) => RemoveWhere(static (stage, chunk, needed) =>
    {
        if (chunk.Flush is not null || stage._queuedBytes + needed <= stage._limit) return false;
        stage._queuedBytes -= Held(chunk);
        if (!chunk.Internal)
        {
            stage._queuedRecords -= chunk.Records;
            Interlocked.Add(ref stage._dropped, chunk.Records);
        }
        chunk.Release();
        return true;
    }, needed);

    /// <summary>Compacts the queue (caller holds the lock), keeping the order of what stays.</summary>
    private void RemoveWhere(Func<WriterStage, Chunk, int, bool> remove, int argument)
    {
        int kept = 0;
        int n = _count;
        for (int i = 0; i < n; i++)
        {
            int slot = (_head + i) % _queue.Length;
            var chunk = _queue[slot]!;
            _queue[slot] = null;
            if (remove(this, chunk, argument)) continue;
            _queue[(_head + kept) % _queue.Length] = chunk;
            kept++;
        }
        _count = kept;
    }

    // ------------------------------------------------------------------ the loop

    private async Task RunAsync()
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
            var chunk = Pop();
            if (chunk is null)
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
            if (chunk.Flush is not null)
            {
                await Guard(static (w, ct) => w.FlushAsync(ct)).ConfigureAwait(false);
                chunk.Flush.Signal();
                continue;
            }
            await WriteAsync(chunk).ConfigureAwait(false);
        }
    }

    private async ValueTask WriteAsync(Chunk chunk)
    {
        Volatile.Write(ref _inFlightSince, Stopwatch.GetTimestamp());
        var context = ResilienceContextPool.Shared.Get(_stop.Token);
        try
        {
            var outcome = await _resilience.ExecuteOutcomeAsync(
                static async (ctx, state) =>
                {
                    try
                    {
                        await state.Writer.WriteAsync(state.Chunk.Memory, ctx.CancellationToken).ConfigureAwait(false);
                        return Outcome.FromResult(true);
                    }
                    catch (Exception e)
                    {
                        return Outcome.FromException<bool>(e);
                    }
                },
                context,
                (Writer: _writer, Chunk: chunk)).ConfigureAwait(false);
            _batches++;
            if (outcome.Exception is null)
            {
                Interlocked.Add(ref chunk.Internal ? ref _internalWritten : ref _written, chunk.Records);
            }
            else if (outcome.Exception is BrokenCircuitException)
            {
                if (!chunk.Internal) Interlocked.Add(ref _dropped, chunk.Records); // the circuit opened while it was queued: dropped by policy
            }
            else
            {
                if (!chunk.Internal) Interlocked.Add(ref _failed, chunk.Records);
                _drain.ReportWriterProblem(this, outcome.Exception);
            }
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
            Volatile.Write(ref _inFlightSince, 0);
            if (_hungReported) _hungReported = false;
            chunk.Release();
        }
    }

    private async ValueTask Guard(Func<LogWriter, CancellationToken, ValueTask> action)
    {
        try
        {
            Volatile.Write(ref _inFlightSince, Stopwatch.GetTimestamp());
            await action(_writer, _stop.Token).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            _drain.ReportWriterProblem(this, e);
        }
        finally
        {
            Volatile.Write(ref _inFlightSince, 0);
        }
    }

    // ------------------------------------------------------------------ metrics

    public WriterMetrics GetMetrics()
    {
        lock (_lock)
        {
            return new WriterMetrics
            {
                Name = _writer.Name,
                Received = Interlocked.Read(ref _received),
                Written = Interlocked.Read(ref _written),
                Dropped = Interlocked.Read(ref _dropped),
                Filtered = Interlocked.Read(ref _filtered),
                Failed = Interlocked.Read(ref _failed),
                Retries = Interlocked.Read(ref _retries),
                Queued = _queuedRecords,
                QueueBytes = _queuedBytes,
                QueueLimit = _limit,
                BreakerState = State,
                InternalReceived = Interlocked.Read(ref _internal),
                InternalWritten = Interlocked.Read(ref _internalWritten),
            };
        }
    }
}
