using System;
using System.Threading;
using System.Threading.Tasks;
using System.Threading.Tasks.Sources;

namespace Kakashi.Pipeline;

/// <summary>
/// An auto-reset signal with one asynchronous waiter that allocates nothing per wait (a reusable
/// <see cref="IValueTaskSource{TResult}"/>). The drain sets it when it hands a writer work; the writer's loop awaits it.
/// </summary>
internal sealed class AsyncSignal : IValueTaskSource<bool>
{
    private const int Idle = 0, Signaled = 1, Waiting = 2;
    private ManualResetValueTaskSourceCore<bool> _core = new() { RunContinuationsAsynchronously = true };
    private int _state;

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
        => _core.OnCompleted(continuation, state, token, flags);
}
