using System;
using System.Threading;
using System.Threading.Tasks;
using System.Threading.Tasks.Sources;

namespace Kakashi.Pipeline;

/// <summary>
/// An auto-reset signal with one asynchronous waiter that allocates nothing per wait (a reusable
/// <see cref="IValueTaskSource{TResult}"/>). The drain sets it when it hands a writer work; the writer's loop awaits it.
/// </summary>
/// <remarks>
/// With a <see cref="WakeThread"/>, the waiter resumes on that thread instead of the thread pool. A thread-pool worker
/// that runs out of work spins before it sleeps (~270 µs a wake-up in this VM): a writer woken a thousand times a second
/// (a batch each millisecond) made the pool burn about a quarter of a core at 10,000 records/s. A thread of its own
/// sleeps at once (docs/benchmarks.md, "CPU at a steady rate").
/// </remarks>
internal sealed class AsyncSignal : IValueTaskSource<bool>
{
    private const int Idle = 0, Signaled = 1, Waiting = 2;
    private static readonly Action<object?> s_post = static state => ((AsyncSignal)state!).PostContinuation();

    private ManualResetValueTaskSourceCore<bool> _core;
    private readonly WakeThread? _thread;
    private Action<object?>? _continuation;
    private object? _continuationState;
    private int _state;

    /// <summary>A signal whose waiter resumes on <paramref name="thread"/> (null: on the thread pool).</summary>
    public AsyncSignal(WakeThread? thread = null)
    {
        _thread = thread;
        // with a thread, the core runs its continuation (the hand-off to the thread) where Set is called: the drain posts, the thread runs
        _core = new ManualResetValueTaskSourceCore<bool> { RunContinuationsAsynchronously = thread is null };
    }

    public void Set()
    {
        while (true)
        {
            int state = Volatile.Read(ref _state);
            if (state == Signaled) return;
            if (state == Idle)
            {
                if (Interlocked.CompareExchange(ref _state, Signaled, Idle) == Idle) return;
            }
            else if (Interlocked.CompareExchange(ref _state, Idle, Waiting) == Waiting)
            {
                _core.SetResult(true);
                return;
            }
        }
    }

    /// <summary>Completes when <see cref="Set"/> is called (at once if it was called since the last wait). One waiter at a time.</summary>
    public ValueTask<bool> WaitAsync()
    {
        if (Interlocked.CompareExchange(ref _state, Idle, Signaled) == Signaled) return new ValueTask<bool>(true);
        _core.Reset();
        if (Interlocked.CompareExchange(ref _state, Waiting, Idle) == Idle) return new ValueTask<bool>(this, _core.Version);
        // set between the two checks
        Interlocked.Exchange(ref _state, Idle);
        return new ValueTask<bool>(true);
    }

    public bool GetResult(short token) => _core.GetResult(token);
    public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags)
    {
        if (_thread is null)
        {
            _core.OnCompleted(continuation, state, token, flags);
            return;
        }
        _continuation = continuation;
        _continuationState = state;
        _core.OnCompleted(s_post, this, token, flags & ~ValueTaskSourceOnCompletedFlags.UseSchedulingContext);
    }

    private void PostContinuation()
    {
        var continuation = _continuation!;
        object? state = _continuationState;
        _continuation = null;
        _continuationState = null;
        _thread!.Post(continuation, state);
    }
}

/// <summary>
/// A background thread that runs the continuations posted to it, one at a time, and otherwise sleeps (a writer stage's
/// own thread: see <see cref="AsyncSignal"/>). Its loop may go on on other threads after an await that did not complete
/// at once (a network write); it comes back here at its next wait for work.
/// </summary>
internal sealed class WakeThread
{
    // no spinning before it sleeps (that is what this thread is for): a posted continuation has a whole batch to write
    private readonly ManualResetEventSlim _go = new(false, spinCount: 0);
    private Action<object?>? _continuation;
    private object? _state;
    private volatile bool _stopped;
    private readonly Thread _thread;

    public WakeThread(string name)
    {
        _thread = new Thread(Run) { IsBackground = true, Name = name };
    }

    /// <summary>Starts the thread (before anything is posted).</summary>
    public void Start() => _thread.Start();

    /// <summary>Runs <paramref name="continuation"/> on the thread (one pending at a time: the signal has one waiter).</summary>
    public void Post(Action<object?> continuation, object? state)
    {
        _state = state;
        Volatile.Write(ref _continuation, continuation);
        _go.Set();
    }

    /// <summary>Ends the thread once what was posted has run.</summary>
    public void Stop()
    {
        _stopped = true;
        _go.Set();
    }

    private void Run()
    {
        while (true)
        {
            _go.Wait();
            _go.Reset(); // before taking the continuation: one posted after this sets the event again
            var continuation = Interlocked.Exchange(ref _continuation, null);
            if (continuation is not null)
            {
                object? state = _state;
                _state = null;
                continuation(state);
            }
            else if (_stopped)
            {
                _go.Dispose();
                return;
            }
        }
    }
}
