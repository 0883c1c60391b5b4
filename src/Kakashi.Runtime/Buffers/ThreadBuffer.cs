using System;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Threading;

namespace Kakashi.Buffers;

/// <summary>
/// One logging thread's buffer: its <see cref="SpscRing"/> of records, the object ring next to it (exception, scope and
/// activity references, consumed in order with the records), the <see cref="BackpressurePolicy"/> applied when a claim
/// would pass the fast-path limit, and the producer's counters. It talks to its pipeline through <see cref="IRingHost"/>.
/// </summary>
internal sealed unsafe class ThreadBuffer : SpscRing
{
    private readonly object?[] _objects;
    internal readonly int ObjectMask;
    /// <summary>The largest record this buffer accepts; larger ones are truncated.</summary>
    internal readonly int MaxRecordSize;
    internal readonly IRingHost Host;
    /// <summary>The pipeline is synchronous: each publish is formatted and written by the caller (<see cref="IRingHost.PumpSynchronously"/>).</summary>
    internal readonly bool Synchronous;
    internal readonly Thread Owner;
    internal readonly int ThreadId;
    private readonly BackpressurePolicy _policy;
    private readonly long _limit;
    private readonly long[] _droppedByLevel = new long[7];

    private Counters _n;

    internal ThreadBuffer(IRingHost host, RingMemory memory, int objectSlots, Thread owner, BackpressurePolicy policy, bool synchronous = false)
        : base(memory)
    {
        Synchronous = synchronous;
        MaxRecordSize = Capacity / 2;
        _objects = new object?[objectSlots];
        ObjectMask = objectSlots - 1;
        Host = host;
        Owner = owner;
        ThreadId = owner.ManagedThreadId;
        _policy = policy;
        _limit = policy.Limit;
    }

    /// <summary>Drop-oldest and priority: the consumer skips head records below this level until the fill is at most <see cref="DiscardTarget"/> (0: none).</summary>
    internal ref int DiscardBelow => ref _n.DiscardBelow;

    internal long DiscardTarget => _policy.DiscardTarget;

    // ---------------------------------------------------------------- producer side

    /// <summary>
    /// Claims <paramref name="size"/> contiguous bytes (a multiple of the alignment) for a record of <paramref name="level"/>.
    /// Null when the backpressure strategy dropped the record (counted here) or the pipeline stopped while waiting (counted by the pipeline).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal byte* Claim(int size, int level)
    {
        byte* p = TryClaim(size, _limit);
        return p != null ? p : ClaimSlow(size, level);
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
                byte* p = TryClaim(size, _limit);
                if (p != null) return p;
                var decision = _policy.Decide(FillAfterClaim(size), level, out int discardBelow);
                if (discardBelow != 0)
                {
                    Volatile.Write(ref _n.DiscardBelow, discardBelow);
                    Host.WakeConsumer();
                }
                switch (decision)
                {
                    case ClaimDecision.Proceed:
                        p = TryClaim(size, Capacity);
                        if (p != null) return p;
                        break; // the consumer has not freed the tail yet: decide again
                    case ClaimDecision.Drop:
                        _droppedByLevel[Math.Min(level, 6)]++;
                        Volatile.Write(ref _n.DroppedTotal, _n.DroppedTotal + 1);
                        ExitRecord();
                        return null;
                }
                // wait for the drain to free (or skip) space: no record is lost, unless the pipeline stopped
                if (!Host.CanProducerWait)
                {
                    Host.CountRejected();
                    ExitRecord();
                    return null;
                }
                if (blockedSince == 0)
                {
                    blockedSince = Stopwatch.GetTimestamp();
                    _n.Waits++;
                }
                Host.WakeConsumer();
                spinner.SpinOnce(sleep1Threshold: -1);
                if (spinner.Count > 40) Thread.Sleep(1);
            }
        }
        finally
        {
            if (blockedSince != 0) Volatile.Write(ref _n.BlockedTicks, _n.BlockedTicks + (Stopwatch.GetTimestamp() - blockedSince));
        }
    }

    /// <summary>Publishes the record just written at the claimed address.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void Publish(int alignedSize, int objects)
    {
        if (objects != 0) _n.ObjectsWritten += objects;
        Publish(alignedSize);
        Volatile.Write(ref WritingMark, 0);
        if (Synchronous) Host.PumpSynchronously();
    }

    /// <summary>
    /// Marks the producer as inside a logging call, before it checks whether the pipeline still accepts records. A plain
    /// store: shutdown pairs it with a process-wide barrier (<see cref="Interlocked.MemoryBarrierProcessWide"/>) after it
    /// stops accepting, so either shutdown sees the mark and waits for the record, or the producer sees the stop
    /// (an asymmetric Dekker handshake: no fence on the logging path).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void EnterRecord() => WritingMark = 1;

    /// <summary>Clears the mark of <see cref="EnterRecord"/> for a call that publishes nothing (dropped, rejected, failed).</summary>
    internal void ExitRecord() => Volatile.Write(ref WritingMark, 0);

    /// <summary>True while the producer is between <see cref="EnterRecord"/> and the end of its call (read by shutdown only).</summary>
    internal bool InRecord => Volatile.Read(ref WritingMark) != 0;

    /// <summary>Stores an object reference (an exception) for the next record; waits while the object ring is full.</summary>
    internal bool TryStoreObject(object? value, int index)
    {
        long slot = _n.ObjectsWritten + index;
        var spinner = new SpinWait();
        while (slot - Volatile.Read(ref _n.ObjectsConsumed) >= _objects.Length)
        {
            if (!Host.CanProducerWait) return false;
            Host.WakeConsumer();
            spinner.SpinOnce(sleep1Threshold: -1);
            if (spinner.Count > 40) Thread.Sleep(1);
        }
        _objects[slot & ObjectMask] = value;
        return true;
    }

    /// <summary>Records accepted by this buffer (producer-owned counter, read racily by metrics).</summary>
    internal long Accepted => RecordsPublished;

    /// <summary>Records the strategy dropped at the caller.</summary>
    internal long DroppedTotal => Volatile.Read(ref _n.DroppedTotal);

    internal long DroppedAt(int level) => Volatile.Read(ref _droppedByLevel[level]);

    /// <summary>Calls that had to wait for space, and the time they waited (Stopwatch ticks).</summary>
    internal long Waits => Volatile.Read(ref _n.Waits);

    internal long BlockedTicks => Volatile.Read(ref _n.BlockedTicks);

    // ---------------------------------------------------------------- consumer side

    internal ref long ObjectsReadPos => ref _n.ObjectsReadPos;

    /// <summary>Records the consumer has taken off this ring (formatted, filtered or discarded); consumer-owned.</summary>
    internal ref long RecordsRead => ref _n.RecordsRead;

    /// <summary>Records accepted into this ring and not yet taken off it (racy: for metrics).</summary>
    internal long Pending => Math.Max(0, RecordsPublished - Volatile.Read(ref _n.RecordsRead));

    internal object? TakeObject()
    {
        ref object? slot = ref _objects[_n.ObjectsReadPos & ObjectMask];
        object? value = slot;
        slot = null;
        _n.ObjectsReadPos++;
        return value;
    }

    /// <summary>Frees what the consumer has read so far, records and object slots, for the producer (release).</summary>
    internal void ReleaseConsumed()
    {
        Volatile.Write(ref _n.ObjectsConsumed, _n.ObjectsReadPos);
        Release();
    }

    // the counters sit in a padded block like the ring's cursors: producer-only, shared and consumer-only fields on lines of
    // their own (as plain fields of this class they could share a line with what every claim reads: the base, mask, limit)
    [StructLayout(LayoutKind.Explicit, Size = 320)]
    private struct Counters
    {
        // producer-only (records accepted and the "inside a call" mark live on the ring's producer line, which every call touches)
        [FieldOffset(64)] public long ObjectsWritten;
        [FieldOffset(72)] public long DroppedTotal;
        [FieldOffset(80)] public long Waits;
        [FieldOffset(88)] public long BlockedTicks;
        // consumer writes, producer reads
        [FieldOffset(128)] public long ObjectsConsumed;
        // producer sets, consumer clears (drop-oldest, priority)
        [FieldOffset(192)] public int DiscardBelow;
        // consumer-only
        [FieldOffset(256)] public long ObjectsReadPos;
        [FieldOffset(264)] public long RecordsRead;
    }
}
