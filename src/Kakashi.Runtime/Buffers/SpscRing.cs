using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Threading;

namespace Kakashi.Buffers;

/// <summary>
/// A single-producer single-consumer ring of variable-size records (NanoLog/Quill style), the whole protocol in one place:
/// the producer claims contiguous space and publishes it with one release store; the consumer peeks the next record up
/// to a published position, advances past it, and releases what it consumed. No atomic read-modify-write, no lock.
/// </summary>
/// <remarks>
/// Positions are 64-bit and never wrap; the offset in the ring is <c>position &amp; mask</c>. A record never wraps: when one
/// does not fit before the end, the producer writes <see cref="RecordLayout.SkipMarker"/> there and continues at offset 0.
/// The producer caches the consumer's position and re-reads it only when the cached value says the space is taken.
/// Producer-only, shared and consumer-only cursors sit on separate cache lines (<see cref="Cursors"/>).
/// </remarks>
internal unsafe class SpscRing
{
    private readonly RingMemory _memory;
    internal readonly byte* Base;
    internal readonly int Capacity;
    internal readonly long Mask;

    private Cursors _c;

    public SpscRing(RingMemory memory)
    {
        _memory = memory;
        Base = memory.Base;
        Capacity = memory.Capacity;
        Mask = memory.Capacity - 1;
    }

    // ---------------------------------------------------------------- producer side

    /// <summary>
    /// Claims <paramref name="size"/> contiguous bytes (a multiple of <see cref="RecordLayout.Alignment"/>, at most half the ring)
    /// if the fill stays within <paramref name="limit"/>; null otherwise (<see cref="FillAfterClaim"/> then says how full the
    /// claim would make the ring). No out parameter, no local whose address is taken: once inlined into the logging call the
    /// JIT keeps everything in registers.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal byte* TryClaim(int size, long limit)
    {
        long pos = _c.WritePos;
        long offset = pos & Mask;
        if (offset + size <= Capacity && pos + size - _c.ConsumedCache <= limit)
            return Base + offset;
        return TryClaimSlow(size, limit);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private byte* TryClaimSlow(int size, long limit)
    {
        while (true)
        {
            long pos = _c.WritePos;
            long offset = pos & Mask;
            long contiguous = Capacity - offset;
            long need = size <= contiguous ? size : contiguous + size;
            if (pos + need - _c.ConsumedCache > limit)
            {
                _c.ConsumedCache = Volatile.Read(ref _c.Consumed);
                if (pos + need - _c.ConsumedCache > limit) return null;
            }
            if (size <= contiguous) return Base + offset;
            // the record does not fit before the end: mark the tail unused and continue at offset 0
            *(int*)(Base + offset) = RecordLayout.SkipMarker;
            _c.WritePos = pos + contiguous;
            Volatile.Write(ref _c.Published, _c.WritePos);
        }
    }

    /// <summary>The fill a claim of <paramref name="size"/> bytes would bring the ring to (as of the producer's last look at the consumer).</summary>
    internal long FillAfterClaim(int size)
    {
        long pos = _c.WritePos;
        long contiguous = Capacity - (pos & Mask);
        long need = size <= contiguous ? size : contiguous + size;
        return pos + need - _c.ConsumedCache;
    }

    /// <summary>Publishes the record written at the claimed address (release: the consumer sees all of its bytes).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void Publish(int alignedSize)
    {
        long next = _c.WritePos + alignedSize;
        _c.WritePos = next;
        _c.RecordsPublished++;
        Volatile.Write(ref _c.Published, next);
    }

    /// <summary>Records published so far (producer-owned, on the producer's line; read racily by metrics).</summary>
    internal long RecordsPublished => Volatile.Read(ref _c.RecordsPublished);

    /// <summary>
    /// The producer's "writing a record" mark, on the producer's own cache line (what the logging call touches anyway):
    /// set before a claim, cleared after the publish or when the call gives up.
    /// </summary>
    internal ref int WritingMark => ref _c.Writing;

    // ---------------------------------------------------------------- consumer side

    /// <summary>Position up to which records are published (acquire).</summary>
    internal long ReadPublished() => Volatile.Read(ref _c.Published);

    /// <summary>The consumer's position (consumer-owned).</summary>
    internal ref long ReadPos => ref _c.ReadPos;

    /// <summary>The next record before <paramref name="limit"/> (a published position), skipping the unused tail; null when there is none.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal byte* Peek(long limit)
    {
        while (_c.ReadPos < limit)
        {
            byte* p = Base + (_c.ReadPos & Mask);
            if (*(int*)p != RecordLayout.SkipMarker) return p;
            _c.ReadPos += Capacity - (_c.ReadPos & Mask);
        }
        return null;
    }

    /// <summary>Moves past the record just read (its aligned size).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void Advance(int stride) => _c.ReadPos += stride;

    /// <summary>Gives what the consumer has read so far back to the producer (release).</summary>
    internal void Release() => Volatile.Write(ref _c.Consumed, _c.ReadPos);

    /// <summary>Bytes published and not yet released.</summary>
    internal long Fill => Volatile.Read(ref _c.Published) - Volatile.Read(ref _c.Consumed);

    internal bool IsDrained => _c.ReadPos == Volatile.Read(ref _c.Published);

    [StructLayout(LayoutKind.Explicit, Size = 320)]
    private struct Cursors
    {
        // producer-only
        [FieldOffset(64)] public long WritePos;
        [FieldOffset(72)] public long ConsumedCache;
        [FieldOffset(80)] public long RecordsPublished;
        [FieldOffset(88)] public int Writing;
        // producer writes, consumer reads
        [FieldOffset(128)] public long Published;
        // consumer writes, producer reads (when its cached copy says the ring is full)
        [FieldOffset(192)] public long Consumed;
        // consumer-only
        [FieldOffset(256)] public long ReadPos;
    }
}
