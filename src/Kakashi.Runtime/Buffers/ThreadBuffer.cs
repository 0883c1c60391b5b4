using System;
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

    private const int PrefetchDistance = 256;

    private Cursors _c;

    internal ThreadBuffer(AsyncPipeline pipeline, int capacity, int objectSlots, Thread owner)
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
    }

    // ---------------------------------------------------------------- producer side

    /// <summary>Claims <paramref name="size"/> contiguous bytes (a multiple of the alignment). Null when the pipeline stopped while waiting.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal byte* Claim(int size)
    {
        long pos = _c.WritePos;
        long offset = pos & Mask;
        if (offset + size <= Capacity && pos + size - _c.ConsumedCache <= Capacity)
        {
            // Warm the line a few records ahead: after a pause the hardware prefetcher has lost the stream, and the
            // line was last touched by the drain's core.
            if (System.Runtime.Intrinsics.X86.Sse.IsSupported) System.Runtime.Intrinsics.X86.Sse.Prefetch0(Base + ((pos + PrefetchDistance) & Mask));
            return Base + offset;
        }
        return ClaimSlow(size);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private byte* ClaimSlow(int size)
    {
        var spinner = new SpinWait();
        while (true)
        {
            long pos = _c.WritePos;
            long offset = pos & Mask;
            long contiguous = Capacity - offset;
            long need = size <= contiguous ? size : contiguous + size;
            if (pos + need - _c.ConsumedCache > Capacity)
            {
                _c.ConsumedCache = Volatile.Read(ref _c.Consumed);
                if (pos + need - _c.ConsumedCache > Capacity)
                {
                    // Full: block until the drain frees space (no record is lost), unless the pipeline stopped.
                    if (!Pipeline.CanProducerWait) return null;
                    Pipeline.OnProducerBlocked();
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

    /// <summary>Publishes the record just written at the claimed address.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void Publish(int alignedSize, int objects)
    {
        long next = _c.WritePos + alignedSize;
        _c.WritePos = next;
        _c.Accepted++;
        if (objects != 0) _c.ObjectsWritten += objects;
        Volatile.Write(ref _c.Published, next);
    }

    /// <summary>Stores an object reference (an exception) for the next record; waits while the object ring is full.</summary>
    internal bool TryStoreObject(object? value, int index)
    {
        long slot = _c.ObjectsWritten + index;
        var spinner = new SpinWait();
        while (slot - Volatile.Read(ref _c.ObjectsConsumed) >= _objects.Length)
        {
            if (!Pipeline.CanProducerWait) return false;
            Pipeline.OnProducerBlocked();
            spinner.SpinOnce(sleep1Threshold: -1);
            if (spinner.Count > 40) Thread.Sleep(1);
        }
        _objects[slot & ObjectMask] = value;
        return true;
    }

    /// <summary>Records accepted by this buffer (producer-owned counter, read racily by metrics).</summary>
    internal long Accepted => Volatile.Read(ref _c.Accepted);

    // ---------------------------------------------------------------- consumer side

    /// <summary>Position up to which records are published (acquire).</summary>
    internal long ReadPublished() => Volatile.Read(ref _c.Published);

    /// <summary>The consumer's position.</summary>
    internal long ReadPos;
    internal long ObjectsReadPos;

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

    [StructLayout(LayoutKind.Explicit, Size = 320)]
    private struct Cursors
    {
        // producer-only
        [FieldOffset(64)] public long WritePos;
        [FieldOffset(72)] public long ConsumedCache;
        [FieldOffset(80)] public long Accepted;
        [FieldOffset(88)] public long ObjectsWritten;
        // producer writes, consumer reads
        [FieldOffset(160)] public long Published;
        // consumer writes, producer reads
        [FieldOffset(240)] public long Consumed;
        [FieldOffset(248)] public long ObjectsConsumed;
    }
}
