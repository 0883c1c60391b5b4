using System;
using System.IO;
using System.IO.Pipelines;
using System.Threading;
using System.Threading.Tasks;

namespace Kakashi.Writers;

/// <summary>
/// A <see cref="PipeWriter"/> over an <see cref="AppendFile"/>, made for a writer's loop: one contiguous buffer of whole
/// records, written to the file synchronously, that knows exactly which of its bytes reached the file. A write-out that
/// fails part way keeps what is left and resumes from there (never writing a byte twice); a record it tore is cut back
/// from the file when it can be, or completed by the next write-out. <see cref="TakeCompletedRecords"/> says how many records
/// are wholly in the file, so the writer confirms exactly those. The file can be switched at a record boundary
/// (<see cref="SwitchTo"/>: a roll, a reopen), and a write-out can be bounded by a file size (<see cref="WriteOut(long)"/>):
/// it then writes only the whole records that fit, so no record is ever split across two files.
/// </summary>
internal sealed class FilePipeWriter : PipeWriter
{
    private AppendFile _file;
    private byte[] _buffer;
    private int _length;    // bytes buffered
    private int _flushed;   // of those, bytes already in the file
    private int[] _ends = new int[1024]; // end offsets of the buffered records not yet wholly in the file
    private int _endsHead;
    private int _endsCount;
    private int _recordStart; // where the current (unfinished) record starts
    private bool _completed;

    public FilePipeWriter(AppendFile file, long fileLength, int initialSize)
    {
        _file = file;
        FileLength = fileLength;
        _buffer = GC.AllocateUninitializedArray<byte>(initialSize, pinned: true);
    }

    public override bool CanGetUnflushedBytes => true;

    /// <summary>Bytes buffered and not yet in the file.</summary>
    public override long UnflushedBytes => _length - _flushed;

    /// <summary>Records buffered and not yet wholly in the file.</summary>
    public int PendingRecords => _endsCount;

    /// <summary>Bytes written to the file (to every file this pipe wrote to).</summary>
    public long BytesFlushed { get; private set; }

    /// <summary>Size of the current file: its size when it was opened (or last measured) plus what this pipe wrote to it since.</summary>
    public long FileLength { get; set; }

    /// <summary>True when no record is part way into the file (a torn record that could not be cut back): the file may be switched.</summary>
    public bool AtRecordBoundary => _flushed == _wholeEnd;

    /// <summary>
    /// Writes from now on go to <paramref name="file"/>, whose size is <paramref name="fileLength"/>. Only at a record
    /// boundary (<see cref="AtRecordBoundary"/>): the records not yet in the old file go whole into the new one.
    /// </summary>
    public void SwitchTo(AppendFile file, long fileLength)
    {
        if (!AtRecordBoundary) throw new InvalidOperationException("A record is part way into the file: finish it before switching files.");
        _file = file;
        FileLength = fileLength;
    }

    /// <summary>
    /// Takes the whole buffered records out without writing them (a file at its size limit that may not roll): returns how
    /// many, which the caller settles as failed, after the completed ones. Only at a record boundary.
    /// </summary>
    public int DiscardWholeRecords()
    {
        if (!AtRecordBoundary) throw new InvalidOperationException("A record is part way into the file: finish it before discarding.");
        int n = _endsCount;
        if (n == 0) return 0;
        _flushed = _wholeEnd = _ends[_endsHead + n - 1];
        _endsHead += n;
        _endsCount = 0;
        if (_flushed == _length)
        {
            _length = _flushed = _recordStart = _wholeEnd = 0;
            _endsHead = 0;
        }
        return n;
    }

    /// <summary>Records that became whole in the file since the last call.</summary>
    public int TakeCompletedRecords()
    {
        int n = _completedRecords;
        _completedRecords = 0;
        return n;
    }

    private int _completedRecords;

    public override void Advance(int bytes)
    {
        if ((uint)bytes > (uint)(_buffer.Length - _length)) throw new ArgumentOutOfRangeException(nameof(bytes));
        _length += bytes;
    }

    /// <summary>
    /// Appends whole records: their bytes, and where each ends (<paramref name="ends"/>, offsets within
    /// <paramref name="bytes"/>, the last one its length).
    /// </summary>
    public void Append(ReadOnlySpan<byte> bytes, ReadOnlySpan<int> ends)
    {
        bytes.CopyTo(GetSpan(bytes.Length));
        int origin = _length;
        _length += bytes.Length;
        MakeRoomForEnds(ends.Length);
        var dest = _ends.AsSpan(_endsHead + _endsCount, ends.Length);
        for (int i = 0; i < ends.Length; i++) dest[i] = origin + ends[i];
        _endsCount += ends.Length;
        _recordStart = _length;
    }

    public override Memory<byte> GetMemory(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _buffer.AsMemory(_length);
    }

    public override Span<byte> GetSpan(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _buffer.AsSpan(_length);
    }

    /// <summary>Bytes buffered, in the file or not, that a compaction cannot free yet (records not wholly in the file).</summary>
    public int Held => _length - _wholeEnd;

    private void Ensure(int sizeHint)
    {
        if (_completed) throw new InvalidOperationException("The writer is completed.");
        sizeHint = Math.Max(sizeHint, 1);
        if (_buffer.Length - _length >= sizeHint) return;
        Compact();
        if (_buffer.Length - _length >= sizeHint) return;
        // more than the buffer holds (a big batch, or a disk that keeps failing): grow; the caller bounds how much it buffers
        var bigger = GC.AllocateUninitializedArray<byte>((int)Math.Min(Array.MaxLength, Math.Max(_length + (long)sizeHint, _buffer.Length * 2L)), pinned: true);
        _buffer.AsSpan(0, _length).CopyTo(bigger);
        _buffer = bigger;
    }

    /// <summary>Moves the records not yet wholly in the file to the front of the buffer (the buffer always starts at a record).</summary>
    private void Compact()
    {
        int from = _wholeEnd;
        if (from == 0) return;
        _buffer.AsSpan(from, _length - from).CopyTo(_buffer);
        _length -= from;
        _recordStart -= from;
        _flushed -= from;
        _wholeEnd = 0;
        for (int i = 0; i < _endsCount; i++) _ends[_endsHead + i] -= from;
    }

    private void MakeRoomForEnds(int more)
    {
        if (_endsHead + _endsCount + more <= _ends.Length) return;
        if (_endsHead > 0)
        {
            Array.Copy(_ends, _endsHead, _ends, 0, _endsCount);
            _endsHead = 0;
        }
        if (_endsCount + more > _ends.Length) Array.Resize(ref _ends, Math.Max(_ends.Length * 2, _endsCount + more));
    }

    /// <summary>
    /// Writes the buffered records (only whole ones: a record being formatted stays) to the file. On failure the bytes
    /// that reached the file stay counted, a torn record is cut back if possible, and the exception is rethrown; the next
    /// call resumes where this one stopped.
    /// </summary>
    public void WriteOut() => WriteOut(long.MaxValue);

    /// <summary>
    /// <see cref="WriteOut()"/>, writing only the whole records that keep the file within <paramref name="fileLimit"/>
    /// bytes (<see cref="FileLength"/>): a record part way in the file is finished whatever the limit, and a record larger
    /// than the limit goes alone into an empty file. Returns true when whole records are left that did not fit (the caller
    /// rolls to another file, or discards them).
    /// </summary>
    public bool WriteOut(long fileLimit)
    {
        // bytes after the last whole record are a record still being written into the buffer
        int target = fileLimit == long.MaxValue ? _recordStart : FitTarget(fileLimit);
        while (_flushed < target)
        {
            int n;
            try
            {
                n = _file.Write(_buffer.AsSpan(_flushed, target - _flushed));
            }
            catch (IOException)
            {
                CutBackTornRecord();
                throw;
            }
            _flushed += n;
            BytesFlushed += n;
            FileLength += n;
            while (_endsCount > 0 && _ends[_endsHead] <= _flushed)
            {
                _wholeEnd = _ends[_endsHead];
                _endsHead++;
                _endsCount--;
                _completedRecords++;
            }
        }
        bool left = _flushed < _recordStart;
        if (_flushed == _length)
        {
            _length = _flushed = _recordStart = _wholeEnd = 0;
            _endsHead = 0;
        }
        return left;
    }

    /// <summary>Where a write-out bounded by <paramref name="fileLimit"/> stops: the end of the last whole record that fits.</summary>
    private int FitTarget(long fileLimit)
    {
        long room = fileLimit - FileLength;
        int target = _flushed;
        int k = _endsHead, stop = _endsHead + _endsCount;
        if (k < stop && _flushed > _wholeEnd) target = _ends[k++]; // a torn record is finished in the file it started in
        while (k < stop && _ends[k] - _flushed <= room) target = _ends[k++];
        if (target == _flushed && k < stop && FileLength == 0) target = _ends[k]; // larger than the limit: alone in an empty file
        return target;
    }

    /// <summary>
    /// A write that stopped inside a record (the disk filled): take the torn part back out of the file, so a reader never
    /// sees half a record and the retry writes it whole. When another writer appended after it, it cannot be cut: the
    /// next write-out completes it instead.
    /// </summary>
    private void CutBackTornRecord()
    {
        int torn = _flushed - _wholeEnd;
        if (torn > 0 && _file.TryCutTail(torn))
        {
            _flushed = _wholeEnd;
            BytesFlushed -= torn;
            FileLength -= torn;
        }
    }

    private int _wholeEnd; // end of the last record wholly in the file (a record boundary; 0 = the buffer's start)

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
