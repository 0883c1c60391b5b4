using System;
using System.Buffers;

namespace Kakashi.Pipeline;

/// <summary>The drain's <see cref="IBufferWriter{T}"/>: formatters write into the current <see cref="LogBatch"/>, which grows (rarely) so a record is never split.</summary>
internal sealed class BatchWriter(LogBatch first) : IBufferWriter<byte>, IRewindableBufferWriter
{
    public LogBatch Current { get; set; } = first;

    public void Advance(int count) => Current.Length += count;

    public void Rewind(int count) => Current.Length -= count;

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
        var batch = Current;
        sizeHint = Math.Max(sizeHint, 1);
        if (batch.Buffer.Length - batch.Length >= sizeHint) return;
        var bigger = GC.AllocateUninitializedArray<byte>((int)Math.Min(Array.MaxLength, Math.Max(batch.Buffer.Length * 2L, batch.Length + (long)sizeHint)));
        batch.Buffer.AsSpan(0, batch.Length).CopyTo(bigger);
        batch.Buffer = bigger;
    }
}
