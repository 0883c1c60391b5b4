using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using System.Threading;
using Kakashi.Pipeline;
using Microsoft.Extensions.Logging;

namespace Kakashi;

/// <summary>
/// A bounded, append-only folder of formatted batches for one writer (<see cref="LogWriter.Spool"/>): what Fluent Bit and
/// Vector call filesystem buffering. While the writer's destination is down (a write failed after every retry, its circuit
/// is open, or the pipeline is shutting down with the destination failing), the stage appends batches here instead of
/// counting them failed or dropped, and replays them in order, oldest first, once the destination takes writes again —
/// in this process or in the next one that opens the same folder. Replay resumes where it stopped: a checkpoint records
/// how far the destination confirmed.
/// <para>
/// Each batch is one entry with a header and a CRC-32C: a corrupted entry is skipped (the next valid entry is found by
/// scanning) and a torn tail (the process died while appending) is cut off; either loss is reported through the pipeline's
/// error channel and counted (<see cref="WriterMetrics.SpoolLostBytes"/>), never a crash. When the folder reaches
/// <see cref="MaxBytes"/>, the writer's <see cref="LogWriter.Backpressure"/> decides: <see cref="DropStrategy.DropOldest"/>
/// deletes the oldest segment file, any other policy drops the batch being spooled; both counted as dropped.
/// </para>
/// <para>
/// One folder belongs to one writer of one process at a time (a lock file); entries are written to the operating system on
/// every append, so they survive the process being killed; <see cref="FlushToDisk"/> adds an fsync per append for a
/// machine crash.
/// </para>
/// </summary>
public sealed class DiskSpool
{
    /// <summary>Smallest accepted <see cref="MaxBytes"/> (1 MiB).</summary>
    public const long MinMaxBytes = 1L << 20;

    /// <summary>A spool in <paramref name="directory"/> (created when needed).</summary>
    public DiskSpool(string directory)
    {
        Directory = directory;
    }

    /// <summary>The folder holding the spool's segment files (created if missing).</summary>
    public string Directory { get; }

    /// <summary>Most bytes on disk. Default 256 MiB; at least <see cref="MinMaxBytes"/>.</summary>
    public long MaxBytes { get; init; } = 256L << 20;

    /// <summary>Size at which a segment file is closed and the next one started (whole segments are deleted once replayed). Default 8 MiB.</summary>
    public long SegmentBytes { get; init; } = 8L << 20;

    /// <summary>fsync each append (survives a machine crash, not only a killed process). Default false.</summary>
    public bool FlushToDisk { get; init; }

    internal void Validate(string property)
    {
        if (string.IsNullOrWhiteSpace(Directory)) throw new ArgumentException($"{property}.Directory must name a folder.", property + ".Directory");
        if (MaxBytes < MinMaxBytes) throw new ArgumentOutOfRangeException(property + "." + nameof(MaxBytes), MaxBytes, $"{property}.MaxBytes must be at least {MinMaxBytes} bytes (1 MiB).");
        if (SegmentBytes < 64 * 1024 || SegmentBytes > MaxBytes)
            throw new ArgumentOutOfRangeException(property + "." + nameof(SegmentBytes), SegmentBytes, $"{property}.SegmentBytes must be from 64 KiB to MaxBytes ({MaxBytes}).");
    }
}

/// <summary>What one spool entry holds, as the stage accounts for it.</summary>
internal enum SpoolKind : byte
{
    /// <summary>Application records this process spooled: they are in its books (queued until replayed).</summary>
    Current,
    /// <summary>The pipeline's own records this process spooled.</summary>
    Internal,
    /// <summary>Records an earlier process spooled: replayed, counted apart, not in this process's books.</summary>
    Earlier,
}

/// <summary>
/// The open spool of one stage: segment files of entries, the append side and the replay side. Used by the stage's loop
/// only (one caller at a time); the counters are read by metrics.
/// Entry layout (little-endian): magic "KSP1", total length, run id (8 bytes, random per process), records, flags (bit 0:
/// the pipeline's own records), CRC-32C of the body; body: record end offsets (4 bytes each), levels (1 byte each), the
/// formatted bytes. Entries are never rewritten: how far replay got is kept apart, in a checkpoint file.
/// </summary>
internal sealed class SpoolStore : IDisposable
{
    private const uint Magic = 0x3150534B; // "KSP1"
    internal const int HeaderSize = 28;
    private const string Extension = ".spool";

    private readonly DiskSpool _options;
    private readonly long _runId = Random.Shared.NextInt64();
    private readonly Action<Exception> _report;
    private readonly List<Segment> _segments = new();
    private FileStream? _lock;
    private FileStream? _tail;
    private FileStream? _head;
    private long _headOffset;   // where the next entry to replay starts in the head segment
    private int _headDone;      // records of that entry already confirmed (a partly replayed entry)
    private long _bytes;
    private byte[] _scratch = new byte[64 * 1024];

    public SpoolStore(DiskSpool options, Action<Exception> report)
    {
        _options = options;
        _report = report;
    }

    /// <summary>Records (per kind) and bytes on disk now.</summary>
    public long CurrentRecords { get; private set; }
    public long EarlierRecords { get; private set; }
    public long InternalRecords { get; private set; }
    public long Bytes => Volatile.Read(ref _bytes);
    public long LostBytes { get; private set; }

    public bool IsEmpty => CurrentRecords + EarlierRecords + InternalRecords == 0;

    private sealed class Segment
    {
        public required long Sequence;
        public required string Path;
        public long Length;
        public long Current;
        public long Earlier;
        public long Internal;
        /// <summary>Where damaged entries found when the segment was opened start: already reported, skipped silently on replay.</summary>
        public HashSet<long>? Damaged;
    }

    /// <summary>Takes the folder (a second writer on it, in this process or another, is refused), then reads what an earlier run left.</summary>
    public void Open(string property)
    {
        try
        {
            System.IO.Directory.CreateDirectory(_options.Directory);
            _lock = new FileStream(System.IO.Path.Combine(_options.Directory, "spool.lock"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException e)
        {
            throw new IOException($"{property}.Spool: the folder {_options.Directory} is in use by another writer or process (its spool.lock is held), or cannot be created: {e.Message}", e);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new IOException($"{property}.Spool: the folder {_options.Directory} cannot be written: {e.Message}", e);
        }
        var files = System.IO.Directory.GetFiles(_options.Directory, "*" + Extension);
        var found = new List<(long Sequence, string Path)>();
        foreach (var file in files)
        {
            if (long.TryParse(System.IO.Path.GetFileNameWithoutExtension(file), out long sequence)) found.Add((sequence, file));
        }
        found.Sort((a, b) => a.Sequence.CompareTo(b.Sequence));
        var (checkpointSequence, checkpointOffset, checkpointDone) = ReadCheckpoint();
        foreach (var (sequence, path) in found)
        {
            if (sequence < checkpointSequence)
            {
                File.Delete(path); // replayed before the checkpoint was written: its deletion was interrupted
                continue;
            }
            var segment = new Segment { Sequence = sequence, Path = path };
            Scan(segment, sequence == checkpointSequence ? checkpointOffset : 0, sequence == checkpointSequence ? checkpointDone : 0);
            if (segment.Length == 0 && segment.Current + segment.Earlier + segment.Internal == 0)
            {
                File.Delete(path);
                continue;
            }
            _segments.Add(segment);
        }
        if (_segments.Count > 0 && _segments[0].Sequence == checkpointSequence)
        {
            _headOffset = checkpointOffset;
            _headDone = checkpointDone;
        }
    }

    /// <summary>
    /// Reads a segment an earlier run left: counts its records from <paramref name="from"/> on, and cuts a torn or corrupt
    /// tail (reported): everything after the last valid entry that no valid entry follows.
    /// </summary>
    private void Scan(Segment segment, long from, int done)
    {
        using var file = new FileStream(segment.Path, FileMode.Open, FileAccess.ReadWrite, FileShare.Read);
        long length = file.Length;
        long offset = from;
        long validEnd = from;
        bool first = true;
        var header = new byte[HeaderSize];
        while (offset + HeaderSize <= length)
        {
            file.Position = offset;
            file.ReadExactly(header);
            if (TryParseHeader(header, length - offset, out int total, out int records, out _) && CheckBody(file, offset, total, header))
            {
                int counted = first ? Math.Max(0, records - done) : records;
                segment.Earlier += counted; // whatever it was in its own run, it is an earlier run's now
                first = false;
                offset += total;
                validEnd = offset;
                continue;
            }
            long next = FindNextEntry(file, offset + 1, length);
            if (next < 0) break;
            Lost(next - offset, $"a corrupted entry in {segment.Path} at byte {offset}");
            (segment.Damaged ??= []).Add(offset);
            offset = next;
        }
        if (validEnd < length)
        {
            // a torn tail, or corrupt bytes nothing valid follows
            Lost(length - validEnd, $"the end of {segment.Path} from byte {validEnd} (the process that wrote it stopped while appending, or the file is damaged)");
            file.SetLength(validEnd);
        }
        segment.Length = validEnd;
        _bytes += validEnd - from;
        EarlierRecords += segment.Earlier;
    }

    private void Lost(long bytes, string what)
    {
        LostBytes += bytes;
        _report(new InvalidDataException($"Spool {_options.Directory}: {bytes} bytes skipped: {what}. The records in them are lost."));
    }

    private static bool TryParseHeader(ReadOnlySpan<byte> header, long available, out int total, out int records, out int flags)
    {
        total = BinaryPrimitives.ReadInt32LittleEndian(header[4..]);
        records = BinaryPrimitives.ReadInt32LittleEndian(header[16..]);
        flags = BinaryPrimitives.ReadInt32LittleEndian(header[20..]);
        if (BinaryPrimitives.ReadUInt32LittleEndian(header) != Magic) return false;
        if (records <= 0 || total < HeaderSize + records * 5L || total > available) return false;
        return true;
    }

    private bool CheckBody(FileStream file, long offset, int total, ReadOnlySpan<byte> header)
    {
        int body = total - HeaderSize;
        if (_scratch.Length < body) _scratch = new byte[Math.Max(body, _scratch.Length * 2)];
        file.Position = offset + HeaderSize;
        file.ReadExactly(_scratch, 0, body);
        return Crc32C.Compute(_scratch.AsSpan(0, body)) == BinaryPrimitives.ReadUInt32LittleEndian(header[24..]);
    }

    private static long FindNextEntry(FileStream file, long from, long length)
    {
        var buffer = new byte[64 * 1024];
        long position = from;
        while (position + 4 <= length)
        {
            file.Position = position;
            int read = file.Read(buffer, 0, (int)Math.Min(buffer.Length, length - position));
            if (read < 4) return -1;
            for (int i = 0; i + 4 <= read; i++)
            {
                if (BinaryPrimitives.ReadUInt32LittleEndian(buffer.AsSpan(i)) == Magic) return position + i;
            }
            position += read - 3;
        }
        return -1;
    }

    /// <summary>
    /// Appends records <paramref name="from"/>.. of <paramref name="batch"/>. False when the spool is full and the policy is
    /// not to make room; with <paramref name="evictOldest"/>, whole oldest segments are deleted first and what they held is
    /// returned in <paramref name="evicted"/> (per kind) for the books.
    /// </summary>
    public bool TryAppend(LogBatch batch, int from, bool evictOldest, out (long Current, long Earlier, long Internal) evicted)
    {
        evicted = default;
        int records = batch.Count - from;
        if (records <= 0) return true;
        int start = from == 0 ? 0 : batch.RecordEnd(from - 1);
        int bytes = batch.Length - start;
        int total = HeaderSize + records * 5 + bytes;
        if (total > _options.MaxBytes) return false;
        while (_bytes + total > _options.MaxBytes)
        {
            if (!evictOldest || _segments.Count == 0) return false;
            var oldest = _segments[0];
            evicted.Current += oldest.Current;
            evicted.Earlier += oldest.Earlier;
            evicted.Internal += oldest.Internal;
            RemoveHead();
        }
        if (_scratch.Length < total) _scratch = new byte[Math.Max(total, _scratch.Length * 2)];
        var entry = _scratch.AsSpan(0, total);
        var ends = entry.Slice(HeaderSize, records * 4);
        var levels = entry.Slice(HeaderSize + records * 4, records);
        for (int i = 0; i < records; i++)
        {
            BinaryPrimitives.WriteInt32LittleEndian(ends[(i * 4)..], batch.RecordEnd(from + i) - start);
            levels[i] = (byte)batch.Level(from + i);
        }
        batch.Buffer.AsSpan(start, bytes).CopyTo(entry[(HeaderSize + records * 5)..]);
        BinaryPrimitives.WriteUInt32LittleEndian(entry, Magic);
        BinaryPrimitives.WriteInt32LittleEndian(entry[4..], total);
        BinaryPrimitives.WriteInt64LittleEndian(entry[8..], _runId);
        BinaryPrimitives.WriteInt32LittleEndian(entry[16..], records);
        BinaryPrimitives.WriteInt32LittleEndian(entry[20..], batch.IsInternal ? 1 : 0);
        BinaryPrimitives.WriteUInt32LittleEndian(entry[24..], Crc32C.Compute(entry[HeaderSize..]));

        var segment = _segments.Count > 0 ? _segments[^1] : null;
        if (segment is null || _tail is null || segment.Length + total > _options.SegmentBytes && segment.Length > 0)
        {
            _tail?.Dispose();
            long sequence = segment is null ? NextSequenceAfterCheckpoint() : segment.Sequence + 1;
            segment = new Segment { Sequence = sequence, Path = System.IO.Path.Combine(_options.Directory, sequence.ToString("D12") + Extension) };
            _segments.Add(segment);
            _tail = new FileStream(segment.Path, FileMode.Append, FileAccess.Write, FileShare.Read, 1, FileOptions.None);
        }
        long before = _tail.Length;
        try
        {
            _tail.Write(entry);
            _tail.Flush(flushToDisk: _options.FlushToDisk);
        }
        catch (IOException)
        {
            // a full disk or a failing device: leave no partial entry behind, and let the caller count the batch
            try
            {
                _tail.SetLength(before);
            }
            catch (IOException)
            {
            }
            throw;
        }
        segment.Length += total;
        if (batch.IsInternal)
        {
            segment.Internal += records;
            InternalRecords += records;
        }
        else
        {
            segment.Current += records;
            CurrentRecords += records;
        }
        Interlocked.Add(ref _bytes, total);
        return true;
    }

    private long NextSequenceAfterCheckpoint()
    {
        var (sequence, _, _) = ReadCheckpoint();
        return Math.Max(sequence + 1, 1);
    }

    /// <summary>
    /// Reads the oldest entry into <paramref name="batch"/> (records already confirmed from it are left out); false when the
    /// spool is empty. Corrupt entries met on the way are skipped and reported.
    /// </summary>
    public bool TryReadOldest(LogBatch batch, out SpoolKind kind, out int records)
    {
        kind = SpoolKind.Current;
        records = 0;
        Span<byte> header = stackalloc byte[HeaderSize];
        while (_segments.Count > 0)
        {
            var segment = _segments[0];
            if (_headOffset >= segment.Length)
            {
                if (_segments.Count == 1 && _tail is not null) return false; // the segment being appended to, all read
                RemoveHead();
                continue;
            }
            _head ??= new FileStream(segment.Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            _head.Position = _headOffset;
            int read = _head.ReadAtLeast(header, HeaderSize, throwOnEndOfStream: false);
            if (read == HeaderSize && TryParseHeader(header, segment.Length - _headOffset, out int total, out int count, out int flags)
                && CheckBody(_head, _headOffset, total, header))
            {
                long run = BinaryPrimitives.ReadInt64LittleEndian(header[8..]);
                kind = run != _runId ? SpoolKind.Earlier : (flags & 1) != 0 ? SpoolKind.Internal : SpoolKind.Current;
                int skip = _headDone;
                records = count - skip;
                var ends = _scratch.AsSpan(0, count * 4);
                var levels = _scratch.AsSpan(count * 4, count);
                int bodyStart = count * 5;
                int start = skip == 0 ? 0 : BinaryPrimitives.ReadInt32LittleEndian(ends[((skip - 1) * 4)..]);
                int end = BinaryPrimitives.ReadInt32LittleEndian(ends[((count - 1) * 4)..]);
                batch.Reset();
                batch.IsInternal = kind == SpoolKind.Internal;
                batch.EnsureCapacity(end - start);
                _scratch.AsSpan(bodyStart + start, end - start).CopyTo(batch.Buffer);
                batch.Length = end - start;
                for (int i = skip; i < count; i++)
                    batch.AddRecord(BinaryPrimitives.ReadInt32LittleEndian(ends[(i * 4)..]) - start, (LogLevel)levels[i]);
                _headEntryLength = total;
                _headEntryCount = count;
                return true;
            }
            // corrupt in place (changed on disk since it was written): skip to the next entry
            long next = FindNextEntry(_head, _headOffset + 1, segment.Length);
            long skipTo = next < 0 ? segment.Length : next;
            if (segment.Damaged?.Contains(_headOffset) != true) Lost(skipTo - _headOffset, $"a corrupted entry in {segment.Path} at byte {_headOffset}");
            Interlocked.Add(ref _bytes, -(skipTo - _headOffset));
            _headOffset = skipTo;
            _headDone = 0;
        }
        return false;
    }

    private int _headEntryLength;
    private int _headEntryCount;

    /// <summary>The destination confirmed <paramref name="records"/> more records of the entry last read (all of them: it is done).</summary>
    public void Confirm(SpoolKind kind, int records)
    {
        if (records <= 0 || _segments.Count == 0) return;
        var segment = _segments[0];
        switch (kind)
        {
            case SpoolKind.Earlier: segment.Earlier -= records; EarlierRecords -= records; break;
            case SpoolKind.Internal: segment.Internal -= records; InternalRecords -= records; break;
            default: segment.Current -= records; CurrentRecords -= records; break;
        }
        _headDone += records;
        if (_headDone >= _headEntryCount)
        {
            _headOffset += _headEntryLength;
            Interlocked.Add(ref _bytes, -_headEntryLength);
            _headDone = 0;
        }
        Checkpoint();
        if (_headOffset >= segment.Length && !(_segments.Count == 1 && _tail is not null)) RemoveHead();
    }

    /// <summary>
    /// Saves how far replay got (segment, offset, records confirmed of the entry there) by writing a small file and renaming
    /// it over the old one: a process killed now replays from here, not from the start of the segment.
    /// </summary>
    private void Checkpoint()
    {
        if (_segments.Count == 0) return;
        Span<byte> data = stackalloc byte[20];
        BinaryPrimitives.WriteInt64LittleEndian(data, _segments[0].Sequence);
        BinaryPrimitives.WriteInt64LittleEndian(data[8..], _headOffset);
        BinaryPrimitives.WriteInt32LittleEndian(data[16..], _headDone);
        string path = System.IO.Path.Combine(_options.Directory, "checkpoint");
        string temp = path + ".tmp";
        using (var file = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, 1))
        {
            file.Write(data);
            if (_options.FlushToDisk) file.Flush(flushToDisk: true);
        }
        File.Move(temp, path, overwrite: true);
    }

    private (long Sequence, long Offset, int Done) ReadCheckpoint()
    {
        try
        {
            var data = File.ReadAllBytes(System.IO.Path.Combine(_options.Directory, "checkpoint"));
            if (data.Length != 20) return (0, 0, 0);
            return (BinaryPrimitives.ReadInt64LittleEndian(data), BinaryPrimitives.ReadInt64LittleEndian(data.AsSpan(8)), BinaryPrimitives.ReadInt32LittleEndian(data.AsSpan(16)));
        }
        catch (IOException)
        {
            return (0, 0, 0);
        }
    }

    /// <summary>Deletes the oldest segment (replayed, or evicted to make room) and forgets what it held.</summary>
    private void RemoveHead()
    {
        var segment = _segments[0];
        _head?.Dispose();
        _head = null;
        if (_segments.Count == 1)
        {
            _tail?.Dispose();
            _tail = null;
        }
        long remaining = segment.Length - _headOffset;
        Interlocked.Add(ref _bytes, -Math.Max(0, remaining));
        CurrentRecords -= segment.Current;
        EarlierRecords -= segment.Earlier;
        InternalRecords -= segment.Internal;
        _segments.RemoveAt(0);
        _headOffset = 0;
        _headDone = 0;
        try
        {
            File.Delete(segment.Path);
        }
        catch (IOException e)
        {
            _report(e);
        }
        if (_segments.Count > 0) Checkpoint();
        else
        {
            try
            {
                File.Delete(System.IO.Path.Combine(_options.Directory, "checkpoint"));
            }
            catch (IOException)
            {
            }
        }
    }

    public void Dispose()
    {
        _head?.Dispose();
        _tail?.Dispose();
        _lock?.Dispose();
        _head = _tail = _lock = null;
    }
}

/// <summary>CRC-32C (Castagnoli), with the SSE 4.2 instruction where the CPU has it.</summary>
internal static class Crc32C
{
    private static readonly uint[] Table = BuildTable();

    private static uint[] BuildTable()
    {
        var table = new uint[256];
        for (uint i = 0; i < 256; i++)
        {
            uint c = i;
            for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0x82F63B78 ^ (c >> 1) : c >> 1;
            table[i] = c;
        }
        return table;
    }

    public static uint Compute(ReadOnlySpan<byte> data)
    {
        uint crc = 0xFFFFFFFF;
        if (System.Runtime.Intrinsics.X86.Sse42.X64.IsSupported)
        {
            ulong c = crc;
            while (data.Length >= 8)
            {
                c = System.Runtime.Intrinsics.X86.Sse42.X64.Crc32(c, BinaryPrimitives.ReadUInt64LittleEndian(data));
                data = data[8..];
            }
            crc = (uint)c;
            foreach (byte b in data) crc = System.Runtime.Intrinsics.X86.Sse42.Crc32(crc, b);
            return ~crc;
        }
        foreach (byte b in data) crc = Table[(crc ^ b) & 0xFF] ^ (crc >> 8);
        return ~crc;
    }
}
