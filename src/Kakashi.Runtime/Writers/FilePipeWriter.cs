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
    private int[]? _counts;   // records per buffered unit, parallel to _ends, once a unit holds other than one record (.klog frames)
    private bool _preamblePending = true;
    private byte[]? _preamble;

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
        _preamblePending = true;
    }

    /// <summary>
    /// Bytes every file must start with before its first record (a .klog file's header and metadata), built when they are
    /// about to be written — at the first write-out into a file this pipe opened or switched to, or after
    /// <see cref="RequirePreamble"/>. Null: none.
    /// </summary>
    public Func<byte[]>? Preamble { get; set; }

    /// <summary>The file no longer starts with the preamble (it was truncated under the writer): write it again before the next record.</summary>
    public void RequirePreamble() => _preamblePending = true;

    /// <summary>Writes the preamble (whole, or not at all: a partial one is cut back) before the next record.</summary>
    private void WritePreamble()
    {
        var bytes = _preamble ??= Preamble!();
        int done = 0;
        try
        {
            while (done < bytes.Length)
            {
                int n = _file.Write(bytes.AsSpan(done));
                done += n;
                BytesFlushed += n;
                FileLength += n;
            }
        }
        catch (IOException)
        {
            if (done > 0 && _file.TryCutTail(done))
            {
                BytesFlushed -= done;
                FileLength -= done;
            }
            throw;
        }
        _preamble = null;
        _preamblePending = false;
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
        if (_counts is not null)
        {
            int units = n;
            n = 0;
            for (int i = 0; i < units; i++) n += _counts[_endsHead + i];
            _endsHead += units;
            _endsCount = 0;
            if (_flushed == _length)
            {
                _length = _flushed = _recordStart = _wholeEnd = 0;
                _endsHead = 0;
            }
            return n;
        }
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
    public void Append(ReadOnlySpan<byte> bytes, ReadOnlySpan<int> ends) => Append(bytes, ends, default);

    /// <summary>
    /// Appends whole units of <paramref name="counts"/> records each (a .klog frame holds many records, a metadata frame
    /// none): the file rolls only between units, and a unit's records are confirmed together once it is in the file.
    /// </summary>
    public void Append(ReadOnlySpan<byte> bytes, ReadOnlySpan<int> ends, ReadOnlySpan<int> counts)
    {
        bytes.CopyTo(GetSpan(bytes.Length));
        int origin = _length;
        _length += bytes.Length;
        MakeRoomForEnds(ends.Length);
        var dest = _ends.AsSpan(_endsHead + _endsCount, ends.Length);
        for (int i = 0; i < ends.Length; i++) dest[i] = origin + ends[i];
        if (!counts.IsEmpty || _counts is not null)
        {
            if (_counts is null)
            {
                _counts = new int[_ends.Length];
                _counts.AsSpan(_endsHead, _endsCount).Fill(1);
            }
            var c = _counts.AsSpan(_endsHead + _endsCount, ends.Length);
            if (counts.IsEmpty) c.Fill(1);
            else counts.CopyTo(c);
        }
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
            if (_counts is not null) Array.Copy(_counts, _endsHead, _counts, 0, _endsCount);
            _endsHead = 0;
        }
        if (_endsCount + more > _ends.Length) Array.Resize(ref _ends, Math.Max(_ends.Length * 2, _endsCount + more));
        if (_counts is not null && _counts.Length < _ends.Length) Array.Resize(ref _counts, _ends.Length);
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
        if (_preamblePending && Preamble is not null && _flushed < _recordStart && _flushed == _wholeEnd) WritePreamble();
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
                _completedRecords += _counts is null ? 1 : _counts[_endsHead];
                _endsHead++;
                _endsCount--;
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
