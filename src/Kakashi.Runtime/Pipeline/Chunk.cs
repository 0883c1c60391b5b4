using System;
using System.Threading;
using System.Threading.Tasks;

namespace Kakashi.Pipeline;

/// <summary>
/// A batch of formatted records (whole records only) shared by every writer stage: the drain formats once, each stage
/// holds a reference, the last one to finish returns it to the pool. A chunk can instead carry a flush request.
/// </summary>
internal sealed class Chunk
{
    public const int DefaultSize = 128 * 1024;

    private readonly ChunkPool? _pool;
    private int _references;

    public Chunk(ChunkPool? pool, int size)
    {
        _pool = pool;
        Buffer = GC.AllocateUninitializedArray<byte>(size);
    }

    public byte[] Buffer;
    public int Length;
    public int Records;

    /// <summary>True for a batch of the pipeline's own records (counted apart from the application's records).</summary>
    public bool Internal;

    /// <summary>Index of a stage that must not receive this chunk (an error record about that writer), or -1.</summary>
    public int ExcludedStage = -1;

    /// <summary>Set on a flush marker: the stage flushes its writer and signals the request.</summary>
    public FlushRequest? Flush;

    public ReadOnlyMemory<byte> Memory => Buffer.AsMemory(0, Length);

    public void SetReferences(int count) => Volatile.Write(ref _references, count);

    public void Release()
    {
        if (Interlocked.Decrement(ref _references) == 0 && _pool is not null && Flush is null) _pool.Return(this);
    }

    public void Reset()
    {
        Length = 0;
        Records = 0;
        ExcludedStage = -1;
        Internal = false;
        Flush = null;
    }
}

/// <summary>Reuses chunks so steady-state logging allocates none.</summary>
internal sealed class ChunkPool
{
    private readonly System.Collections.Generic.Stack<Chunk> _free = new();
    private readonly Lock _lock = new();
    private readonly int _size;
    private readonly int _max;

    /// <summary>A pool holding up to <paramref name="max"/> chunks, <paramref name="prefill"/> of them made now (so a run does not allocate them).</summary>
    public ChunkPool(int size, int max, int prefill)
    {
        _size = size;
        _max = max;
        for (int i = 0; i < prefill; i++) _free.Push(new Chunk(this, size));
    }

    public Chunk Rent()
    {
        lock (_lock)
        {
            if (_free.TryPop(out var chunk))
            {
                chunk.Reset();
                return chunk;
            }
        }
        return new Chunk(this, _size);
    }

    public void Return(Chunk chunk)
    {
        if (chunk.Buffer.Length != _size) chunk.Buffer = GC.AllocateUninitializedArray<byte>(_size); // a grown chunk goes back at its normal size
        lock (_lock)
        {
            if (_free.Count < _max) _free.Push(chunk);
        }
    }
}

/// <summary>A <see cref="AsyncPipeline.FlushAllAsync"/> call travelling through the writer stages.</summary>
internal sealed class FlushRequest
{
    private int _pending;

    public FlushRequest(int stages) => _pending = stages;

    public TaskCompletionSource Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Signal()
    {
        if (Interlocked.Decrement(ref _pending) == 0) Completion.TrySetResult();
    }
}
