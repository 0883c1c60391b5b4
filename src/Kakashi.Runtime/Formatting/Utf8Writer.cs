using System;
using System.Buffers;
using System.Runtime.CompilerServices;
using System.Text.Unicode;

namespace Kakashi;

/// <summary>
/// A cursor over an <see cref="IBufferWriter{T}"/> (a writer's <c>PipeWriter</c>): formatters write UTF-8 straight into
/// the writer's memory and the cursor advances the underlying writer only when it needs a new chunk or on
/// <see cref="Commit"/>, so a record costs no interface call per token.
/// </summary>
public ref struct Utf8Writer
{
    private const int ChunkSize = 16 * 1024;

    private readonly IBufferWriter<byte> _output;
    private Span<byte> _span;
    private int _pos;
    private long _committed;

    /// <summary>A cursor writing into <paramref name="output"/>; call <see cref="Commit"/> to hand what was written to it.</summary>
    public Utf8Writer(IBufferWriter<byte> output)
    {
        _output = output;
        _span = default;
        _pos = 0;
        _committed = 0;
    }

    /// <summary>Bytes left in the current span before the cursor asks the underlying writer for more.</summary>
    public readonly int Available => _span.Length - _pos;

    /// <summary>Bytes written through this cursor (committed or not).</summary>
    public readonly long BytesWritten => _committed + _pos;

    /// <summary>Returns at least <paramref name="sizeHint"/> bytes to write into; follow with <see cref="Advance"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Span<byte> GetSpan(int sizeHint = 1)
    {
        if (_span.Length - _pos < sizeHint) NextChunk(sizeHint);
        return _span[_pos..];
    }

    /// <summary>Marks <paramref name="count"/> bytes of the span <see cref="GetSpan"/> returned as written.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Advance(int count) => _pos += count;

    /// <summary>Writes <paramref name="bytes"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Write(scoped ReadOnlySpan<byte> bytes)
    {
        if (_span.Length - _pos < bytes.Length) NextChunk(bytes.Length);
        bytes.CopyTo(_span[_pos..]);
        _pos += bytes.Length;
    }

    /// <summary>Writes one byte.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Write(byte value)
    {
        if (_pos >= _span.Length) NextChunk(1);
        _span[_pos++] = value;
    }

    /// <summary>Writes UTF-16 text as UTF-8.</summary>
    public void Write(scoped ReadOnlySpan<char> text)
    {
        while (true)
        {
            var dest = GetSpan(Math.Max(16, Math.Min(text.Length * 3, ChunkSize)));
            var status = Utf8.FromUtf16(text, dest, out int read, out int written, replaceInvalidSequences: true);
            _pos += written;
            if (status == OperationStatus.Done) return;
            text = text[read..];
            NextChunk(Math.Min(text.Length * 3, ChunkSize) + 4);
        }
    }

    /// <summary>Writes <paramref name="count"/> copies of <paramref name="value"/>.</summary>
    public void Fill(byte value, int count)
    {
        if (count <= 0) return;
        GetSpan(count)[..count].Fill(value);
        _pos += count;
    }

    /// <summary>Writes a value with <see cref="IUtf8SpanFormattable"/> (invariant culture).</summary>
    /// <exception cref="FormatException">The value does not fit in 1 MiB (its <c>TryFormat</c> keeps returning false).</exception>
    public void WriteFormatted<T>(T value, ReadOnlySpan<char> format = default) where T : IUtf8SpanFormattable
    {
        int hint = 64;
        while (true)
        {
            var dest = GetSpan(hint);
            if (value.TryFormat(dest, out int written, format, System.Globalization.CultureInfo.InvariantCulture))
            {
                _pos += written;
                return;
            }
            if (dest.Length >= MaxFormattedBytes) throw new FormatException($"A {typeof(T).Name} value did not format within {MaxFormattedBytes} bytes.");
            hint = Math.Min(MaxFormattedBytes, dest.Length * 2);
        }
    }

    private const int MaxFormattedBytes = 1 << 20;

    /// <summary>A position to come back to with <see cref="Rewind"/> (take it before a record or a value that may fail).</summary>
    public readonly long Mark => _committed + _pos;

    /// <summary>
    /// Takes back everything written since <paramref name="mark"/>, so a record (or a value) that failed halfway leaves no
    /// partial bytes. Bytes already handed to the underlying writer are taken back too when it is a pipeline batch; false
    /// when they cannot be (another <see cref="IBufferWriter{T}"/>): the partial bytes then stay.
    /// </summary>
    public bool Rewind(long mark)
    {
        long back = _committed + _pos - mark;
        if (back <= 0) return back == 0;
        if (back <= _pos)
        {
            _pos -= (int)back;
            return true;
        }
        if (_output is not IRewindableBufferWriter rewindable || back - _pos > _committed) return false;
        long committedBack = back - _pos;
        rewindable.Rewind((int)committedBack);
        _committed -= committedBack;
        _pos = 0;
        _span = default;
        return true;
    }

    /// <summary>Hands everything written so far to the underlying writer.</summary>
    public void Commit()
    {
        if (_pos > 0)
        {
            _output.Advance(_pos);
            _committed += _pos;
        }
        _pos = 0;
        _span = default;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void NextChunk(int sizeHint)
    {
        Commit();
        _span = _output.GetSpan(Math.Max(sizeHint, ChunkSize));
    }
}

/// <summary>An <see cref="IBufferWriter{T}"/> that can take back bytes already advanced (the pipeline's batches).</summary>
internal interface IRewindableBufferWriter
{
    /// <summary>Takes back the last <paramref name="count"/> advanced bytes.</summary>
    void Rewind(int count);
}
