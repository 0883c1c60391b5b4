using System;
using System.Buffers;

namespace Kakashi.Pipeline;

/// <summary>The drain's <see cref="IBufferWriter{T}"/>: formatters write into the current <see cref="Chunk"/>, which grows (rarely) so a record is never split.</summary>
internal sealed class ChunkWriter(Chunk first) : IBufferWriter<byte>
{
    public Chunk Current { get; set; } = first;

    public void Advance(int count) => Current.Length += count;

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return Current.Buffer.AsMemory(Current.Length);
    }

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return Current.Buffer.AsSpan(Current.Length);
    }

    private void Ensure(int sizeHint)
    {
        var chunk = Current;
        sizeHint = Math.Max(sizeHint, 1);
        if (chunk.Buffer.Length - chunk.Length >= sizeHint) return;
        var bigger = GC.AllocateUninitializedArray<byte>((int)Math.Min(Array.MaxLength, Math.Max(chunk.Buffer.Length * 2L, chunk.Length + (long)sizeHint)));
        chunk.Buffer.AsSpan(0, chunk.Length).CopyTo(bigger);
        chunk.Buffer = bigger;
    }
}
