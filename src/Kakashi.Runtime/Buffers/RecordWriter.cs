using System;
using System.ComponentModel;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Kakashi.Buffers;

/// <summary>
/// Writes one record's arguments into the space claimed in the calling thread's ring buffer. Generated code creates it
/// with <see cref="KakashiLogger.BeginRecord"/>, writes every argument in declaration order, then calls <see cref="Commit"/>.
/// Every method is a handful of stores: no allocation, no lock, no interface dispatch (generic methods are
/// specialised per value type by the JIT).
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public unsafe ref struct RecordWriter
{
    private readonly ThreadBuffer? _buffer;
    private readonly byte* _start;
    private byte* _pos;
    private int _objects;
    // An int on purpose: the writer must stay a 32-byte struct the JIT keeps in registers (a long here made every logging
    // call ~30 ns slower in back-to-back calls). An excess of 2 GiB or more saturates at int.MaxValue: every string of the
    // record is then cut to nothing, which always fits (the pipeline checked the fixed part does).
    private int _excess;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal RecordWriter(ThreadBuffer buffer, byte* start, int excess, int objects)
    {
        _buffer = buffer;
        _start = start;
        _pos = start + RecordLayout.HeaderSize;
        _objects = objects;
        _excess = excess;
    }

    /// <summary>False when the record is not being recorded (pipeline stopped): generated code then returns.</summary>
    public readonly bool IsActive
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => _buffer is not null;
    }

    // ------------------------------------------------------------------ sizes (used by generated code)

    // Sizes are 64-bit: two 540-million-char strings are 2.16 GB of payload, which a 32-bit sum would wrap into a small
    // (or negative) claim and the copies would run past the ring. The pipeline cuts any record larger than the ring allows.

    /// <summary>Encoded size of a string argument.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long SizeOf(string? value) => 4 + (value is null ? 0 : value.Length * 2L);

    /// <summary>Encoded size of a character span argument.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long SizeOf(ReadOnlySpan<char> value) => 4 + value.Length * 2L;

    // ------------------------------------------------------------------ writes

    /// <summary>Writes an unmanaged value as its raw bytes; the consumer formats it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Write<T>(T value) where T : unmanaged
    {
        Unsafe.WriteUnaligned(_pos, value);
        _pos += sizeof(T);
    }

    /// <summary>Writes a nullable unmanaged value: a presence byte then the raw bytes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void WriteNullable<T>(T? value) where T : unmanaged
    {
        if (value.HasValue)
        {
            *_pos = 1;
            Unsafe.WriteUnaligned(_pos + 1, value.GetValueOrDefault());
        }
        else
        {
            *_pos = 0;
        }
        _pos += 1 + sizeof(T);
    }

    /// <summary>Writes a string as its UTF-16 code units (a memcpy); the consumer transcodes to UTF-8.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void WriteString(string? value)
    {
        if (value is null)
        {
            Unsafe.WriteUnaligned(_pos, RecordLayout.NullString);
            _pos += 4;
            return;
        }
        WriteChars(value.AsSpan());
    }

    /// <summary>Writes a span of characters as UTF-16 code units.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void WriteChars(ReadOnlySpan<char> value)
    {
        int length = value.Length;
        int header = length;
        if (_excess > 0) header = Truncate(value, ref length);
        Unsafe.WriteUnaligned(_pos, header);
        MemoryMarshal.AsBytes(value[..length]).CopyTo(new Span<byte>(_pos + 4, length * 2));
        _pos += 4 + length * 2;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private int Truncate(ReadOnlySpan<char> value, ref int length)
    {
        // The record is larger than the buffer accepts: cut strings until the excess is gone, and mark them.
        int cut = (int)Math.Min(length, (_excess + 1L) / 2);
        if (cut == 0) return length;
        int kept = length - cut;
        if (kept > 0 && char.IsHighSurrogate(value[kept - 1])) kept--; // never split a surrogate pair
        if (_excess != int.MaxValue) _excess -= (length - kept) * 2;
        length = kept;
        _start[RecordLayout.FlagsOffset] |= (byte)RecordFlags.Truncated;
        return kept | RecordLayout.TruncatedStringBit;
    }

    /// <summary>Copies the next <paramref name="length"/> bytes formatted into <see cref="ArgScratch"/> (length-prefixed UTF-8).</summary>
    public void WriteScratch(int length)
    {
        int kept = length;
        int header = length;
        if (_excess > 0 && length > 0)
        {
            // cut like a string when the record is larger than the buffer accepts (UTF-8 continuation bytes are not split)
            int cut = Math.Min(length, _excess);
            kept = length - cut;
            var bytes = ArgScratch.Take(length);
            while (kept > 0 && (bytes[kept] & 0xC0) == 0x80) kept--;
            if (_excess != int.MaxValue) _excess -= length - kept;
            header = kept | RecordLayout.TruncatedStringBit;
            _start[RecordLayout.FlagsOffset] |= (byte)RecordFlags.Truncated;
            Unsafe.WriteUnaligned(_pos, header);
            bytes[..kept].CopyTo(new Span<byte>(_pos + 4, kept));
            _pos += 4 + kept;
            return;
        }
        Unsafe.WriteUnaligned(_pos, header);
        ArgScratch.Take(length).CopyTo(new Span<byte>(_pos + 4, length));
        _pos += 4 + length;
    }

    /// <summary>Stores an exception reference in the buffer's object ring (consumed in order with the record).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void WriteException(Exception? exception)
    {
        if (_objects < RecordLayout.MaxObjects && _buffer!.TryStoreObject(exception, _objects)) _objects++;
    }

    /// <summary>Publishes the record to the drain.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Commit()
    {
        int length = (int)(_pos - _start);
        *(int*)_start = length;
        _start[RecordLayout.ObjectsOffset] = (byte)_objects;
        _buffer!.Publish(RecordLayout.Align(length), _objects);
    }
}
