using System;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Threading;

namespace Kakashi.Buffers;

/// <summary>
/// A single-producer single-consumer byte ring owned by one thread (NanoLog/Quill style). The producer claims
/// contiguous space with plain loads and stores, and publishes with one release store: no atomic read-modify-write
/// and no lock on the logging path. The pipeline's drain is the only consumer.
/// </summary>
/// <remarks>
/// Positions are 64-bit and never wrap; the offset in the ring is <c>position &amp; mask</c>. The producer caches the
/// consumer's position and re-reads it only when the cached value says the ring is full. Producer-only, shared and
/// consumer-only fields sit on separate cache lines.
/// Memory is a pinned managed array, so a thread still holding this buffer after the pipeline is gone never
/// touches freed memory.
/// </remarks>
public sealed unsafe class ThreadBuffer
{
    private readonly byte[] _memory;
    private readonly object?[] _objects;
    internal readonly byte* Base;
    internal readonly int Capacity;
    internal readonly long Mask;
    internal readonly int ObjectMask;
    /// <summary>The largest record this buffer accepts; larger ones are truncated.</summary>
    internal readonly int MaxRecordSize;
    internal readonly AsyncPipeline Pipeline;
    internal readonly Thread Owner;
    internal readonly int ThreadId;

    private Cursors _c;

    internal ThreadBuffer(AsyncPipeline pipeline, int capacity, int objectSlots, Thread owner, PipelineSettings settings)
    {
        if (capacity < 1024 || (capacity & (capacity - 1)) != 0) throw new ArgumentOutOfRangeException(nameof(capacity));
        _memory = GC.AllocateArray<byte>(capacity, pinned: true);
        Base = (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_memory));
        Capacity = capacity;
        Mask = capacity - 1;
        MaxRecordSize = capacity / 2;
        _objects = new object?[objectSlots];
        ObjectMask = objectSlots - 1;
        Pipeline = pipeline;
        Owner = owner;
        ThreadId = owner.ManagedThreadId;
        _strategy = settings.Strategy;
        _dropThreshold = settings.DropThreshold;
        // the fast path's fill limit: Block waits only when full; the dropping strategies act above their threshold
        _limit = _strategy == DropStrategy.Block ? capacity : settings.DropThreshold;
        DiscardTarget = Math.Max(0, settings.DropThreshold - capacity / 8);
    }

    private readonly long[] _droppedByLevel = new long[7];
    private readonly DropStrategy _strategy;
    private readonly long _dropThreshold;
    private readonly long _limit;

    /// <summary>Set by the producer (drop-oldest, priority): the drain skips head records below this level until the fill is at most <see cref="DiscardTarget"/>.</summary>
    internal volatile int DiscardBelow;
    internal readonly long DiscardTarget;

    // ---------------------------------------------------------------- producer side

    /// <summary>
    /// Claims <paramref name="size"/> contiguous bytes (a multiple of the alignment) for a record of <paramref name="level"/>.
    /// Null when the backpressure strategy dropped the record (counted here) or the pipeline stopped while waiting (counted by the pipeline).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal byte* Claim(int size, int level)
    {
        long pos = _c.WritePos;
        long offset = pos & Mask;
        if (offset + size <= Capacity && pos + size - _c.ConsumedCache <= _limit)
            return Base + offset;
        return ClaimSlow(size, level);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private byte* ClaimSlow(int size, int level)
    {
        var spinner = new SpinWait();
        long blockedSince = 0;
        try
        {
            while (true)
            {
                long pos = _c.WritePos;
                long offset = pos & Mask;
                long contiguous = Capacity - offset;
                long need = size <= contiguous ? size : contiguous + size;
                long fill = pos + need - _c.ConsumedCache;
                if (fill > _limit)
                {
                    _c.ConsumedCache = Volatile.Read(ref _c.Consumed);
                    fill = pos + need - _c.ConsumedCache;
                }
                if (fill > _limit)
                {
                    switch (Decide(fill, level))
                    {
                        case Decision.Drop:
                            _droppedByLevel[Math.Min(level, 6)]++;
                            Volatile.Write(ref _c.DroppedTotal, _c.DroppedTotal + 1);
                            ExitRecord();
                            return null;
                        case Decision.Wait:
                            // wait for the drain to free (or skip) space: no record is lost, unless the pipeline stopped
                            if (!Pipeline.CanProducerWait)
                            {
                                Pipeline.CountRejected();
                                ExitRecord();
                                return null;
                            }
                            if (blockedSince == 0)
                            {
                                blockedSince = Stopwatch.GetTimestamp();
                                _c.Waits++;
                            }
                            Pipeline.WakeDrain();
                            spinner.SpinOnce(sleep1Threshold: -1);
                            if (spinner.Count > 40) Thread.Sleep(1);
                            continue;
                    }
                }
                if (size > contiguous)
                {
                    // The record does not fit before the end: mark the tail unused and continue at offset 0.
                    *(int*)(Base + offset) = RecordLayout.SkipMarker;
                    _c.WritePos = pos + contiguous;
                    Volatile.Write(ref _c.Published, _c.WritePos);
                    continue;
                }
                return Base + offset;
            }
        }
        finally
        {
            if (blockedSince != 0) Volatile.Write(ref _c.BlockedTicks, _c.BlockedTicks + (Stopwatch.GetTimestamp() - blockedSince));
        }
    }

    private enum Decision { Proceed, Drop, Wait }

    /// <summary>The strategy's answer for a record of <paramref name="level"/> that would bring the fill to <paramref name="fill"/> (above the fast-path limit).</summary>
    private Decision Decide(long fill, int level)
    {
        switch (_strategy)
        {
            case DropStrategy.DropNewest:
                return Decision.Drop;
            case DropStrategy.DropOldest:
                // make room by skipping the oldest records; this record goes in as soon as it fits
                DiscardBelow = int.MaxValue;
                Pipeline.WakeDrain();
                return fill <= Capacity ? Decision.Proceed : Decision.Wait;
            case DropStrategy.Priority:
                if (level < (int)Microsoft.Extensions.Logging.LogLevel.Error)
                {
                    // Trace sheds above the threshold, Debug a quarter of the way to full, Information half, Warning three quarters
                    long band = _dropThreshold + (Capacity - _dropThreshold) * Math.Max(level, 0) / 4;
                    if (fill > band) return Decision.Drop;
                    return fill <= Capacity ? Decision.Proceed : Decision.Drop;
                }
                if (fill <= Capacity) return Decision.Proceed;
                // Error/Critical and no room: have the drain skip lower-level records at the head; block if there are none
                DiscardBelow = (int)Microsoft.Extensions.Logging.LogLevel.Error;
                Pipeline.WakeDrain();
                return Decision.Wait;
            default:
                return Decision.Wait;
        }
    }

    /// <summary>Publishes the record just written at the claimed address.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void Publish(int alignedSize, int objects)
    {
        long next = _c.WritePos + alignedSize;
        _c.WritePos = next;
        _c.Accepted++;
        if (objects != 0) _c.ObjectsWritten += objects;
        Volatile.Write(ref _c.Published, next);
        Volatile.Write(ref _c.InRecord, 0);
    }

    /// <summary>
    /// Marks the producer as inside a logging call, before it checks whether the pipeline still accepts records. A plain
    /// store: shutdown pairs it with a process-wide barrier (<see cref="Interlocked.MemoryBarrierProcessWide"/>) after it
    /// stops accepting, so either shutdown sees the mark and waits for the record, or the producer sees the stop
    /// (an asymmetric Dekker handshake: no fence on the logging path).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void EnterRecord() => _c.InRecord = 1;

    /// <summary>Clears the mark of <see cref="EnterRecord"/> for a call that publishes nothing (dropped, rejected, failed).</summary>
    internal void ExitRecord() => Volatile.Write(ref _c.InRecord, 0);

    /// <summary>True while the producer is between <see cref="EnterRecord"/> and the end of its call (read by shutdown only).</summary>
    internal bool InRecord => Volatile.Read(ref _c.InRecord) != 0;

    /// <summary>Stores an object reference (an exception) for the next record; waits while the object ring is full.</summary>
    internal bool TryStoreObject(object? value, int index)
    {
        long slot = _c.ObjectsWritten + index;
        var spinner = new SpinWait();
        while (slot - Volatile.Read(ref _c.ObjectsConsumed) >= _objects.Length)
        {
            if (!Pipeline.CanProducerWait) return false;
            Pipeline.WakeDrain();
            spinner.SpinOnce(sleep1Threshold: -1);
            if (spinner.Count > 40) Thread.Sleep(1);
        }
        _objects[slot & ObjectMask] = value;
        return true;
    }

    /// <summary>Records accepted by this buffer (producer-owned counter, read racily by metrics).</summary>
    internal long Accepted => Volatile.Read(ref _c.Accepted);

    /// <summary>Records the strategy dropped at the caller.</summary>
    internal long DroppedTotal => Volatile.Read(ref _c.DroppedTotal);

    internal long DroppedAt(int level) => Volatile.Read(ref _droppedByLevel[level]);

    /// <summary>Calls that had to wait for space, and the time they waited (Stopwatch ticks).</summary>
    internal long Waits => Volatile.Read(ref _c.Waits);

    internal long BlockedTicks => Volatile.Read(ref _c.BlockedTicks);

    // ---------------------------------------------------------------- consumer side

    /// <summary>Position up to which records are published (acquire).</summary>
    internal long ReadPublished() => Volatile.Read(ref _c.Published);

    // consumer-private cursors live in the padded block too, on a line of their own: the drain writes them for every
    // record, and as plain fields of this class they could share a line with what every claim reads (Base, Mask, limits)

    /// <summary>The consumer's position.</summary>
    internal ref long ReadPos => ref _c.ReadPos;

    internal ref long ObjectsReadPos => ref _c.ObjectsReadPos;

    /// <summary>Records the consumer has taken off this ring (formatted, filtered or discarded); consumer-owned.</summary>
    internal ref long RecordsRead => ref _c.RecordsRead;

    /// <summary>Records accepted into this ring and not yet taken off it (racy: for metrics).</summary>
    internal long Pending => Math.Max(0, Volatile.Read(ref _c.Accepted) - Volatile.Read(ref _c.RecordsRead));

    internal object? TakeObject()
    {
        ref object? slot = ref _objects[ObjectsReadPos & ObjectMask];
        object? value = slot;
        slot = null;
        ObjectsReadPos++;
        return value;
    }

    /// <summary>Frees what the consumer has read so far for the producer (release).</summary>
    internal void ReleaseConsumed()
    {
        Volatile.Write(ref _c.ObjectsConsumed, ObjectsReadPos);
        Volatile.Write(ref _c.Consumed, ReadPos);
    }

    /// <summary>Bytes published and not yet consumed.</summary>
    internal long Fill => Volatile.Read(ref _c.Published) - Volatile.Read(ref _c.Consumed);

    internal bool IsDrained => ReadPos == Volatile.Read(ref _c.Published);

    [StructLayout(LayoutKind.Explicit, Size = 384)]
    private struct Cursors
    {
        // producer-only
        [FieldOffset(64)] public long WritePos;
        [FieldOffset(72)] public long ConsumedCache;
        [FieldOffset(80)] public long Accepted;
        [FieldOffset(88)] public long ObjectsWritten;
        [FieldOffset(96)] public long DroppedTotal;
        [FieldOffset(104)] public long Waits;
        [FieldOffset(112)] public long BlockedTicks;
        [FieldOffset(120)] public int InRecord;
        // producer writes, consumer reads
        [FieldOffset(160)] public long Published;
        // consumer writes, producer reads
        [FieldOffset(240)] public long Consumed;
        [FieldOffset(248)] public long ObjectsConsumed;
        // consumer-only
        [FieldOffset(320)] public long ReadPos;
        [FieldOffset(328)] public long ObjectsReadPos;
        [FieldOffset(336)] public long RecordsRead;
    }
}
