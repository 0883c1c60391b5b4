using System;
using System.Collections.Generic;

namespace Kakashi.Cli.Output;

/// <summary>The last <see cref="Capacity"/> rendered records (tail -n): their bytes, in slots reused as it turns.</summary>
internal sealed class RecordRing(long capacity)
{
    private readonly List<byte[]> _slots = [];
    private readonly List<int> _lengths = [];
    private int _next; // the oldest slot once full

    public long Capacity { get; } = capacity;

    public int Count => _slots.Count;

    public void Add(ReadOnlySpan<byte> record)
    {
        if (Capacity <= 0) return;
        if (_slots.Count < Capacity)
        {
            _slots.Add(record.ToArray());
            _lengths.Add(record.Length);
            return;
        }
        var slot = _slots[_next];
        if (slot.Length < record.Length) _slots[_next] = slot = new byte[Math.Max(record.Length, slot.Length * 2)];
        record.CopyTo(slot);
        _lengths[_next] = record.Length;
        _next = (_next + 1) % _slots.Count;
    }

    /// <summary>True once it holds <see cref="Capacity"/> records (or when it keeps none).</summary>
    public bool IsFull => _slots.Count >= Capacity;

    /// <summary>Forgets every record (the slots' buffers are kept for reuse).</summary>
    public void Clear()
    {
        _slots.Clear();
        _lengths.Clear();
        _next = 0;
    }

    /// <summary>Writes the records, oldest first.</summary>
    public void WriteTo(RecordSink sink)
    {
        for (int i = 0; i < _slots.Count; i++)
        {
            int at = (_next + i) % _slots.Count;
            sink.WriteRecord(_slots[at].AsSpan(0, _lengths[at]));
        }
    }
}
