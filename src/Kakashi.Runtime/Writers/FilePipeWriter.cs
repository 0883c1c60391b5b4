using System;
using System.IO;
using System.IO.Pipelines;
using System.Threading;
using System.Threading.Tasks;

namespace Kakashi.Writers;

/// <summary>
/// A <see cref="PipeWriter"/> over a file, made for the drain thread: one contiguous buffer that formatters write into,
/// and flushes that write it to the file synchronously (one <c>write</c> call) and complete at once. Compared with
/// <see cref="PipeWriter.Create(Stream, StreamPipeWriterOptions?)"/> over a <see cref="FileStream"/>, it allocates nothing per
/// flush and never hops to the thread pool: the drain is already the background thread, and the file is its pace.
/// </summary>
internal sealed class FilePipeWriter : PipeWriter
{
    private readonly FileStream _stream;
    private byte[] _buffer;
    private int _written;
    private bool _completed;

    public FilePipeWriter(FileStream stream, int initialSize)
    {
        _stream = stream;
        _buffer = GC.AllocateUninitializedArray<byte>(initialSize, pinned: true);
    }

    public override bool CanGetUnflushedBytes => true;

    public override long UnflushedBytes => _written;

    /// <summary>Bytes written to the file.</summary>
    public long BytesFlushed { get; private set; }

    public override void Advance(int bytes)
    {
        if ((uint)bytes > (uint)(_buffer.Length - _written)) throw new ArgumentOutOfRangeException(nameof(bytes));
        _written += bytes;
    }

    public override Memory<byte> GetMemory(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _buffer.AsMemory(_written);
    }

    public override Span<byte> GetSpan(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _buffer.AsSpan(_written);
    }

    private void Ensure(int sizeHint)
    {
        if (_completed) throw new InvalidOperationException("The writer is completed.");
        sizeHint = Math.Max(sizeHint, 1);
        if (_buffer.Length - _written >= sizeHint) return;
        WriteOut();
        if (_buffer.Length < sizeHint)
        {
            // one record larger than the buffer: grow (rare; the buffer stays at that size)
            _buffer = GC.AllocateUninitializedArray<byte>((int)Math.Min(Array.MaxLength, Math.Max((long)sizeHint, _buffer.Length * 2L)), pinned: true);
        }
    }

    /// <summary>Writes the buffered bytes to the file (synchronously) and empties the buffer.</summary>
    public void WriteOut()
    {
        if (_written == 0) return;
        _stream.Write(_buffer, 0, _written);
        BytesFlushed += _written;
        _written = 0;
    }

    public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default)
    {
        WriteOut();
        return new ValueTask<FlushResult>(new FlushResult(isCanceled: false, isCompleted: _completed));
    }

    public override void CancelPendingFlush()
    {
        // flushes complete synchronously: there is never a pending one
    }

    public override void Complete(Exception? exception = null)
    {
        if (_completed) return;
        try
        {
            if (exception is null) WriteOut();
        }
        finally
        {
            _completed = true;
        }
    }
}
