using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Kakashi.Buffers;

/// <summary>
/// The bytes a ring lives in: a power-of-two block at a fixed address for the ring's lifetime. A pinned managed array today
/// (<see cref="PinnedRingMemory"/>); a memory-mapped file later, so records survive a crash (docs/architecture.md, "Crash survival").
/// </summary>
internal abstract unsafe class RingMemory
{
    protected RingMemory(byte* @base, int capacity)
    {
        if (capacity < 1024 || (capacity & (capacity - 1)) != 0) throw new ArgumentOutOfRangeException(nameof(capacity), capacity, "A ring is a power of two of at least 1 KiB.");
        Base = @base;
        Capacity = capacity;
    }

    public byte* Base { get; }

    public int Capacity { get; }
}

/// <summary>
/// Ring memory in a pinned managed array: a thread still holding its ring after the pipeline is gone never touches freed
/// memory (the array lives as long as anything references it).
/// </summary>
internal sealed unsafe class PinnedRingMemory : RingMemory
{
    private readonly byte[] _array;

    private PinnedRingMemory(byte[] array)
        : base((byte*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(array)), array.Length)
    {
        _array = array;
    }

    public static PinnedRingMemory Allocate(int capacity)
    {
        if (capacity < 1024 || (capacity & (capacity - 1)) != 0) throw new ArgumentOutOfRangeException(nameof(capacity), capacity, "A ring is a power of two of at least 1 KiB.");
        return new PinnedRingMemory(GC.AllocateArray<byte>(capacity, pinned: true));
    }
}
