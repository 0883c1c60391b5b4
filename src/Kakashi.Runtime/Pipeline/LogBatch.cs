using System;
using System.Threading;
using System.Threading.Tasks;
using Kakashi.Pipeline;
using Microsoft.Extensions.Logging;

namespace Kakashi;

/// <summary>
/// A batch of formatted records handed to a <see cref="LogWriter"/>: the bytes of whole records, where each record ends and
/// its level, so a writer can frame, route or color per record without re-parsing the bytes. The drain formats once and
/// every writer stage shares the batch; batches are pooled (nothing is allocated per batch in steady state), so a writer
/// must not keep a reference after its <see cref="LogWriter.WriteAsync"/> returns unless it called <see cref="Retain"/>.
/// </summary>
public sealed class LogBatch
{
    internal const int DefaultSize = 128 * 1024;
    internal const int DefaultRecords = 4096;

    private readonly BatchPool? _pool;
    private int _references;
    private int[] _ends;
    private byte[] _levels;
    private static long s_ids;

    internal LogBatch(BatchPool? pool, int size)
    {
        _pool = pool;
        Buffer = GC.AllocateUninitializedArray<byte>(size);
        _ends = size == 0 ? [] : new int[DefaultRecords];
        _levels = size == 0 ? [] : new byte[DefaultRecords];
        Id = Interlocked.Increment(ref s_ids);
    }

    internal byte[] Buffer;
    internal int Length;
    internal int Records;

    /// <summary>Identifies this batch's contents: a retried write sees the same id, a new batch (even a reused buffer) another one.</summary>
    public long Id { get; private set; }

    /// <summary>Records in the batch.</summary>
    public int Count => Records;

    /// <summary>The whole formatted batch: the records' bytes back to back.</summary>
    public ReadOnlyMemory<byte> Bytes => Buffer.AsMemory(0, Length);

    /// <summary>
    /// True when the batch holds the pipeline's own records (drop reports, buffer warnings, other writers' failures) rather
    /// than the application's. They are counted apart (<see cref="WriterMetrics.InternalWritten"/>); a writer may route them elsewhere.
    /// </summary>
    public bool IsInternal { get; internal set; }

    /// <summary>The bytes of record <paramref name="index"/> (its formatted line, for a text formatter).</summary>
    public ReadOnlyMemory<byte> RecordBytes(int index)
    {
        if ((uint)index >= (uint)Records) throw new ArgumentOutOfRangeException(nameof(index));
        int start = index == 0 ? 0 : _ends[index - 1];
        return Buffer.AsMemory(start, _ends[index] - start);
    }

    /// <summary>Byte offset, within <see cref="Bytes"/>, where record <paramref name="index"/> ends.</summary>
    public int RecordEnd(int index)
    {
        if ((uint)index >= (uint)Records) throw new ArgumentOutOfRangeException(nameof(index));
        return _ends[index];
    }

    /// <summary>The level of record <paramref name="index"/>.</summary>
    public LogLevel Level(int index)
    {
        if ((uint)index >= (uint)Records) throw new ArgumentOutOfRangeException(nameof(index));
        return (LogLevel)_levels[index];
    }

    /// <summary>The end offsets of the records, in order (for writers inside the assembly that copy them in bulk).</summary>
    internal ReadOnlySpan<int> RecordEnds => _ends.AsSpan(0, Records);

    /// <summary>Index of a stage that must not receive this batch (an error record about that writer), or -1.</summary>
    internal int ExcludedStage = -1;

    /// <summary>Set on a flush marker: the stage flushes its writer and signals the request.</summary>
    internal FlushRequest? Flush;

    /// <summary>Ends the record being formatted at <paramref name="end"/> (a byte offset in the batch).</summary>
    internal void AddRecord(int end, LogLevel level)
    {
        int n = Records;
        if (n == _ends.Length) Grow();
        _ends[n] = end;
        _levels[n] = (byte)level;
        Records = n + 1;
    }

    private void Grow()
    {
        int size = Math.Max(16, _ends.Length * 2);
        Array.Resize(ref _ends, size);
        Array.Resize(ref _levels, size);
    }

    /// <summary>Makes room for <paramref name="bytes"/> bytes in all (a gathered request, a batch read back from a spool).</summary>
    internal void EnsureCapacity(int bytes)
    {
        if (Buffer.Length < bytes) Array.Resize(ref Buffer, Math.Max(bytes, Buffer.Length * 2));
    }

    /// <summary>Copies every record of <paramref name="source"/> after this batch's records (the stage gathering a request).</summary>
    internal void Append(LogBatch source)
    {
        int offset = Length;
        EnsureCapacity(offset + source.Length);
        source.Buffer.AsSpan(0, source.Length).CopyTo(Buffer.AsSpan(offset));
        for (int i = 0; i < source.Records; i++) AddRecord(offset + source._ends[i], (LogLevel)source._levels[i]);
        Length = offset + source.Length;
    }

    internal void SetReferences(int count) => Volatile.Write(ref _references, count);

    /// <summary>
    /// Keeps the batch past <see cref="LogWriter.WriteAsync"/> (a writer that sends or confirms after returning, such as a
    /// buffering file writer; requests gathered over several batches are the stage's job, <see cref="LogWriter.Batching"/>,
    /// and so is the <see cref="LogWriter.Spool"/>). Call it inside <c>WriteAsync</c>, and
    /// <see cref="Release"/> once per <see cref="Retain"/> when done; until then the batch is not reused. A writer that keeps
    /// batches for long makes the pipeline allocate new ones.
    /// </summary>
    /// <exception cref="InvalidOperationException">The batch was already given back.</exception>
    public void Retain()
    {
        int current;
        do
        {
            current = Volatile.Read(ref _references);
            if (current <= 0) throw new InvalidOperationException("The batch was already released: retain it inside WriteAsync, before returning.");
        }
        while (Interlocked.CompareExchange(ref _references, current + 1, current) != current);
    }

    /// <summary>Gives back a batch kept with <see cref="Retain"/>.</summary>
    /// <exception cref="InvalidOperationException">Released more often than retained.</exception>
    public void Release()
    {
        int left = Interlocked.Decrement(ref _references);
        if (left < 0)
        {
            Interlocked.Increment(ref _references);
            throw new InvalidOperationException("The batch was released more often than it was retained.");
        }
        if (left == 0 && _pool is not null && Flush is null) _pool.Return(this);
    }

    internal void Reset()
    {
        Length = 0;
        Records = 0;
        ExcludedStage = -1;
        IsInternal = false;
        Flush = null;
        Id = Interlocked.Increment(ref s_ids);
    }
}

/// <summary>
/// Reuses batches so steady-state logging allocates none. First in, first out: the batch the drain fills next is the one
/// returned longest ago, not the one a writer's loop has just read on its own core (filling that one first made every store
/// of the drain fetch a line back from the writer's cache: JSON ran about 40 % faster end to end once the pool stopped
/// handing back the hottest batch, docs/benchmarks.md).
/// </summary>
internal sealed class BatchPool
{
    private readonly System.Collections.Generic.Queue<LogBatch> _free = new();
    private readonly Lock _lock = new();
    private readonly int _size;
    private readonly int _max;
    private long _made;

    /// <summary>A pool holding up to <paramref name="max"/> batches, <paramref name="prefill"/> of them made now (so a run does not allocate them).</summary>
    public BatchPool(int size, int max, int prefill)
    {
        _size = size;
        _max = max;
        for (int i = 0; i < prefill; i++) _free.Enqueue(new LogBatch(this, size));
    }

    public LogBatch Rent()
    {
        lock (_lock)
        {
            if (_free.TryDequeue(out var batch))
            {
                batch.Reset();
                return batch;
            }
        }
        Interlocked.Increment(ref _made);
        return new LogBatch(this, _size);
    }

    /// <summary>Batches made after the pool was filled: rented while it was empty.</summary>
    public long Made => Interlocked.Read(ref _made);

    public void Return(LogBatch batch)
    {
        if (batch.Buffer.Length != _size) batch.Buffer = GC.AllocateUninitializedArray<byte>(_size); // a grown batch goes back at its normal size
        lock (_lock)
        {
            if (_free.Count < _max) _free.Enqueue(batch);
        }
    }
}

/// <summary>
/// A <see cref="AsyncPipeline.FlushAllAsync"/> call travelling through the writer stages. Each stage signals it once:
/// when its writer flushed, or when the stage gave up waiting (hung writer, open circuit, flush timeout).
/// </summary>
internal sealed class FlushRequest
{
    private readonly int[] _signalled;
    private int _pending;

    public FlushRequest(int stages)
    {
        _signalled = new int[stages];
        _pending = stages;
        if (stages == 0) Completion.TrySetResult();
    }

    public TaskCompletionSource Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Signal(int stage)
    {
        if (Interlocked.Exchange(ref _signalled[stage], 1) == 0 && Interlocked.Decrement(ref _pending) == 0) Completion.TrySetResult();
    }

    public void SignalAll()
    {
        for (int i = 0; i < _signalled.Length; i++) Signal(i);
    }
}
