using System;
using System.Diagnostics;
using System.IO;
using System.Threading;
using System.Threading.Tasks;

namespace Kakashi.Benchmarks.Backpressure;

/// <summary>
/// A deliberately slow, reproducible destination for the backpressure scenario: each batch is appended to a file
/// (no fsync) and the writer then waits until its running byte budget allows the next one, so it never writes faster
/// than <c>bytesPerSecond</c> whatever the batch sizes are (no credit is saved up while idle). Sleeps in 1 ms steps,
/// yields for the last half millisecond.
/// </summary>
public sealed class PacedFileWriter : LogWriter
{
    private readonly string _path;
    private readonly double _ticksPerByte;
    private FileStream? _stream;
    private long _due;
    private long _bytes;
    private long _batches;
    private long _firstWrite;
    private long _lastWrite;

    public PacedFileWriter(string path, double bytesPerSecond)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bytesPerSecond);
        _path = path;
        _ticksPerByte = Stopwatch.Frequency / bytesPerSecond;
    }

    public override string Name => "paced-file";

    /// <summary>Bytes written so far.</summary>
    public long BytesWritten => Volatile.Read(ref _bytes);

    /// <summary>Batches written so far.</summary>
    public long Batches => Volatile.Read(ref _batches);

    /// <summary>Bytes per second between the first and the last write.</summary>
    public double AchievedBytesPerSecond
    {
        get
        {
            long first = Volatile.Read(ref _firstWrite), last = Volatile.Read(ref _lastWrite);
            return last > first ? BytesWritten / ((last - first) / (double)Stopwatch.Frequency) : double.NaN;
        }
    }

    protected internal override void Open(WriterContext context)
    {
        _stream = new FileStream(_path, new FileStreamOptions
        {
            Mode = FileMode.Append,
            Access = FileAccess.Write,
            Share = FileShare.ReadWrite | FileShare.Delete,
            BufferSize = 0,
        });
    }

    protected internal override ValueTask WriteAsync(LogBatch batch, CancellationToken cancellationToken)
    {
        var stream = _stream ?? throw new InvalidOperationException("The writer is not open.");
        stream.Write(batch.Bytes.Span);
        long now = Stopwatch.GetTimestamp();
        if (_firstWrite == 0) Volatile.Write(ref _firstWrite, now);
        _due = Math.Max(_due, now) + (long)(batch.Bytes.Length * _ticksPerByte);
        Volatile.Write(ref _bytes, _bytes + batch.Bytes.Length);
        Volatile.Write(ref _batches, _batches + 1);
        long halfMs = Stopwatch.Frequency / 2000;
        while (true)
        {
            now = Stopwatch.GetTimestamp();
            long left = _due - now;
            if (left <= 0) break;
            if (left > halfMs) Thread.Sleep(1);
            else Thread.Yield();
        }
        Volatile.Write(ref _lastWrite, now);
        return ValueTask.CompletedTask;
    }

    protected internal override ValueTask FlushAsync(CancellationToken cancellationToken)
    {
        _stream?.Flush();
        return ValueTask.CompletedTask;
    }

    public override async ValueTask DisposeAsync()
    {
        var stream = _stream;
        if (stream is null) return;
        _stream = null;
        await stream.DisposeAsync().ConfigureAwait(false);
    }
}
