using System;
using System.Buffers;
using System.IO;

namespace Kakashi.Cli.Output;

/// <summary>
/// Writing the output failed. When the reader went away (a broken pipe: <c>kakashi decode big.klog | head</c>) the command
/// stops quietly; any other failure (a full disk) is an error.
/// </summary>
internal sealed class OutputClosedException(IOException inner) : Exception("writing the output failed: " + inner.Message, inner)
{
    /// <summary>EPIPE (32) on Unix, ERROR_BROKEN_PIPE (109) or ERROR_NO_DATA (232) on Windows.</summary>
    public bool IsBrokenPipe => inner.HResult is 32 or 109 or 232 || (inner.HResult & 0xFFFF) is 109 or 232
        || inner.Message.Contains("Broken pipe", StringComparison.OrdinalIgnoreCase);
}

/// <summary>
/// The buffer formatters write into, in front of the output stream: one large array, reused, handed to the stream in big
/// writes. A record being formatted is kept contiguous (so <c>--grep</c> can look at it whole, and <c>tail</c> can copy
/// it): the buffer is written out only between records, or, when a record outgrows what is left, everything before it.
/// </summary>
internal sealed class RecordSink : IBufferWriter<byte>
{
    /// <summary>What a record is guaranteed before it starts (a formatter asks for 16 KiB chunks).</summary>
    private const int RecordRoom = 64 * 1024;

    private readonly Stream _output;
    private byte[] _buffer;
    private int _written;
    private int _recordStart;

    public RecordSink(Stream output, int capacity = 1 << 20)
    {
        _output = output;
        _buffer = new byte[Math.Max(capacity, 2 * RecordRoom)];
    }

    /// <summary>Starts a record: what follows until <see cref="DiscardRecord"/> or the next call is one record.</summary>
    public void BeginRecord()
    {
        if (_buffer.Length - _written < RecordRoom) WriteOut(_written);
        _recordStart = _written;
    }

    /// <summary>The bytes of the record since <see cref="BeginRecord"/>.</summary>
    public ReadOnlySpan<byte> CurrentRecord => _buffer.AsSpan(_recordStart, _written - _recordStart);

    /// <summary>Takes back the record since <see cref="BeginRecord"/> (filtered out, or copied elsewhere).</summary>
    public void DiscardRecord() => _written = _recordStart;

    /// <summary>Appends bytes as a whole record (tail's kept records).</summary>
    public void WriteRecord(ReadOnlySpan<byte> bytes)
    {
        BeginRecord();
        bytes.CopyTo(GetSpan(bytes.Length));
        Advance(bytes.Length);
    }

    /// <summary>Writes out everything buffered and flushes the stream.</summary>
    public void Flush()
    {
        WriteOut(_written);
        try
        {
            _output.Flush();
        }
        catch (IOException e)
        {
            throw new OutputClosedException(e);
        }
    }

    /// <inheritdoc/>
    public void Advance(int count) => _written += count;

    /// <inheritdoc/>
    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _buffer.AsMemory(_written);
    }

    /// <inheritdoc/>
    public Span<byte> GetSpan(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _buffer.AsSpan(_written);
    }

    private void Ensure(int sizeHint)
    {
        sizeHint = Math.Max(sizeHint, 1);
        if (_buffer.Length - _written >= sizeHint) return;
        // a record larger than what is left: write out the records before it, then grow if it still does not fit
        if (_recordStart > 0)
        {
            int before = _recordStart;
            WriteOut(before);
        }
        if (_buffer.Length - _written < sizeHint)
            Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, _written + sizeHint));
    }

    /// <summary>Writes the first <paramref name="count"/> bytes to the stream and moves the rest (the record under way) to the front.</summary>
    private void WriteOut(int count)
    {
        if (count == 0) return;
        try
        {
            _output.Write(_buffer, 0, count);
        }
        catch (IOException e)
        {
            throw new OutputClosedException(e);
        }
        int rest = _written - count;
        if (rest > 0) Buffer.BlockCopy(_buffer, count, _buffer, 0, rest);
        _written = rest;
        _recordStart = Math.Max(0, _recordStart - count);
    }
}
