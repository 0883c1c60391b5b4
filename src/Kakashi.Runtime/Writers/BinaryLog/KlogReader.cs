using System;
using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using Kakashi.Buffers;
using Kakashi.Clock;
using Kakashi.Templates;
using Kakashi.Writers.BinaryLog;
using Microsoft.Extensions.Logging;

namespace Kakashi;

/// <summary>A range of a <c>.klog</c> stream the reader skipped, and why.</summary>
/// <param name="Offset">Where the skipped bytes start in the stream.</param>
/// <param name="Length">How many bytes were skipped.</param>
/// <param name="Reason">What was wrong with them.</param>
public sealed record KlogDamage(long Offset, long Length, string Reason);

/// <summary>A frame of records in a <c>.klog</c> stream, as <see cref="KlogReader.ScanRecordFrames"/> finds it.</summary>
/// <param name="Offset">Where the frame starts in the stream (what <see cref="KlogReader.SkipRecordsBefore"/> takes).</param>
/// <param name="Records">How many records its header says it holds.</param>
public readonly record struct KlogRecordFrame(long Offset, int Records);

/// <summary>What a <c>.klog</c> file header says about the process that wrote the records after it.</summary>
public sealed class KlogFileHeader
{
    internal KlogFileHeader(int version, uint session, ClockCalibration clock, IReadOnlyDictionary<string, string> properties, long offset)
    {
        FormatVersion = version;
        Session = session;
        Clock = clock;
        Properties = properties;
        Offset = offset;
    }

    /// <summary>The file format version (1).</summary>
    public int FormatVersion { get; }

    /// <summary>The writing session (random per writer); frames of other sessions in the same file belong to other writers.</summary>
    public uint Session { get; }

    /// <summary>The clock calibration when the file was started.</summary>
    public ClockCalibration Clock { get; }

    /// <summary>Where the header starts in the stream.</summary>
    public long Offset { get; }

    /// <summary>Everything the writer said about itself: <c>created</c>, <c>machine</c>, <c>process.id</c>, <c>process.name</c>, <c>application</c>, <c>kakashi.version</c>, <c>runtime</c>, <c>os</c>, <c>clock</c>, <c>session</c>.</summary>
    public IReadOnlyDictionary<string, string> Properties { get; }

    /// <summary>When the writer started the file (UTC), if it said.</summary>
    public DateTime? Created => Properties.TryGetValue("created", out var s) && DateTime.TryParse(s, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.RoundtripKind, out var t) ? t : null;

    /// <summary>The machine name, if the writer said.</summary>
    public string? MachineName => Properties.GetValueOrDefault("machine");

    /// <summary>The process id, or 0.</summary>
    public int ProcessId => Properties.TryGetValue("process.id", out var s) && int.TryParse(s, System.Globalization.CultureInfo.InvariantCulture, out int id) ? id : 0;

    /// <summary>The process name, if the writer said.</summary>
    public string? ProcessName => Properties.GetValueOrDefault("process.name");

    /// <summary>The entry assembly's name, if the writer said.</summary>
    public string? Application => Properties.GetValueOrDefault("application");

    /// <summary>The Kakashi version that wrote the file.</summary>
    public string? KakashiVersion => Properties.GetValueOrDefault("kakashi.version");
}

/// <summary>A <c>.klog</c> stream of a format version this reader does not know: refused rather than guessed at.</summary>
public sealed class KlogVersionException : IOException
{
    internal KlogVersionException(string name, int version)
        : base($"{name} is .klog format version {version}; this Kakashi reads version {KlogFormat.FormatVersion}: update Kakashi (or the kakashi tool) to read it.")
    {
        Version = version;
    }

    /// <summary>The version the file says it is.</summary>
    public int Version { get; }

    /// <summary>The version this reader reads.</summary>
    public static int SupportedVersion => KlogFormat.FormatVersion;
}

/// <summary>
/// Reads the records of a <c>.klog</c> stream (docs/binary-log.md) as <see cref="LogRecord"/>s, which the runtime's own
/// formatters render exactly as the live pipeline did. Follows a growing file: <see cref="MoveNext"/> returns false when no
/// whole record is available yet and resumes where it stopped when called again. Never trusts the bytes: each frame's CRC is
/// checked before it is read, damage is skipped to the next valid frame (<see cref="Damage"/>), every length and count is
/// bounded, and a stream of a newer format version is refused (<see cref="KlogVersionException"/>). One thread at a time.
/// </summary>
public sealed class KlogReader : IDisposable
{
    private const int ReadChunk = 256 * 1024;

    private readonly Stream _stream;
    private readonly bool _leaveOpen;
    private byte[] _buf = new byte[ReadChunk];
    private int _start;     // first byte not consumed (a frame start, or where a scan continues)
    private int _end;       // bytes filled
    private long _base;     // stream offset of _buf[0]
    private bool _eof;      // the last read returned nothing
    private readonly Dictionary<uint, Session> _sessions = new();
    private readonly List<KlogDamage> _damage = new();

    // the R frame being read
    private Session? _session;
    private int _frameEnd = -1;
    private int _pos;
    private ClockCalibration _clock;
    private long _prevTs;
    private LogTemplate? _prevTemplate;
    private LogCategory? _prevCategory;
    private int _prevThread;
    private string? _prevThreadName;
    private int _prevPropsStart, _prevPropsLength;

    // the current record
    private readonly ArrayBufferWriter<byte> _payload = new(256);
    private int[] _offsets = new int[16];
    private object?[] _objects = new object?[4];
    private int _objectCount;
    private LogTemplate? _template;
    private LogCategory? _category;
    private LogLevel _level;
    private DateTime _timestamp;
    private long _raw;
    private int _threadId;
    private string? _threadName;
    private RecordFlags _flags;
    private int _propsStart, _propsLength;
    private bool _hasCurrent;

    // per template, the v1 payload of its previous record in the frame being read (the writer's delta mode)
    private readonly Dictionary<int, Previous> _previous = new();
    private int _frameSeq;

    private sealed class Previous
    {
        public byte[] Bytes = [];
        public int Length;
        public int Frame;
    }

    private void Remember(int templateId, ReadOnlySpan<byte> payload)
    {
        if (!_previous.TryGetValue(templateId, out var prev)) _previous[templateId] = prev = new Previous();
        if (prev.Bytes.Length < payload.Length) prev.Bytes = new byte[Math.Max(64, payload.Length)];
        payload.CopyTo(prev.Bytes);
        prev.Length = payload.Length;
        prev.Frame = _frameSeq;
    }

    private sealed class Session(KlogFileHeader? header)
    {
        public KlogFileHeader? Header = header;
        public LogManifest Manifest = new(new TemplateRegistry());
    }

    /// <summary>A reader of <paramref name="stream"/> (a file, stdin, a pipe: it need not seek).</summary>
    public KlogReader(Stream stream, bool leaveOpen = false, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        _stream = stream;
        _leaveOpen = leaveOpen;
        Name = name ?? (stream as FileStream)?.Name ?? "stream";
    }

    /// <summary>Opens the file at <paramref name="path"/> for reading, while a writer may still be appending to it.</summary>
    public static KlogReader Open(string path)
    {
        var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1, FileOptions.SequentialScan);
        return new KlogReader(stream, leaveOpen: false, name: path);
    }

    /// <summary>The file's path, or the name given.</summary>
    public string Name { get; }

    /// <summary>The stream's length when it can seek (for a progress bar), else -1.</summary>
    public long Length => _stream.CanSeek ? _stream.Length : -1;

    /// <summary>Bytes of the stream consumed: whole frames read and damage skipped.</summary>
    public long Position => _base + _start;

    /// <summary>Bytes read from the stream after the last whole frame: a frame being written, or a tail cut short.</summary>
    public long PendingBytes => _end - _start - (_frameEnd >= 0 ? _frameEnd - _start : 0);

    /// <summary>Records read so far.</summary>
    public long RecordsRead { get; private set; }

    /// <summary>
    /// Frames of records that start before this stream offset are read and checked as usual (their CRC: damage is found and
    /// reported the same) but their records are not decoded and <see cref="MoveNext"/> does not return them; metadata and
    /// file headers are read wherever they are, so what follows decodes. <c>kakashi tail -n</c> starts near the end this
    /// way. Default 0: every record.
    /// </summary>
    public long SkipRecordsBefore { get; set; }

    /// <summary>Records in the frames <see cref="SkipRecordsBefore"/> made the reader pass over.</summary>
    public long RecordsSkipped { get; private set; }

    private List<KlogRecordFrame>? _scan;

    /// <summary>
    /// Reads what the stream holds now, from where the reader is, without decoding a record: frames are checked and metadata
    /// read as <see cref="MoveNext"/> would, and each frame of records is listed with its offset and record count (in
    /// stream order). Afterwards <see cref="MoveNext"/> returns only records written later. With the list, a reader opened
    /// again with <see cref="SkipRecordsBefore"/> decodes just the last frames: the last N records of a large file at
    /// the speed of reading it (CRC and metadata only), not of decoding it.
    /// </summary>
    /// <exception cref="KlogVersionException">The stream is of a newer format version.</exception>
    /// <exception cref="IOException">Reading the stream failed.</exception>
    public IReadOnlyList<KlogRecordFrame> ScanRecordFrames()
    {
        var frames = new List<KlogRecordFrame>();
        long skip = SkipRecordsBefore;
        _scan = frames;
        SkipRecordsBefore = long.MaxValue;
        try
        {
            while (MoveNext())
            {
                // the rest of a frame the reader was already in: read through
            }
        }
        finally
        {
            _scan = null;
            SkipRecordsBefore = skip;
        }
        return frames;
    }

    /// <summary>Damaged bytes skipped so far.</summary>
    public long SkippedBytes { get; private set; }

    /// <summary>Each range skipped, with the reason.</summary>
    public IReadOnlyList<KlogDamage> Damage => _damage;

    /// <summary>The header of the session the current record belongs to (the latest one read before the first record).</summary>
    public KlogFileHeader? Header => _session?.Header ?? _lastHeader;

    private KlogFileHeader? _lastHeader;

    /// <summary>The templates, categories and thread names of the current record's session.</summary>
    public LogManifest Manifest => (_session ?? _lastSession)?.Manifest ?? s_empty;

    private Session? _lastSession;
    private static readonly LogManifest s_empty = new(new TemplateRegistry());

    /// <summary>The record <see cref="MoveNext"/> read; valid until the next call.</summary>
    public LogRecord Current
    {
        get
        {
            if (!_hasCurrent) throw new InvalidOperationException("No record: call MoveNext first (and check that it returned true).");
            return new LogRecord(_template!, _category!, _level, _timestamp, _raw, _threadId, _flags, _payload.WrittenSpan, _offsets.AsSpan(0, _template!.Args.Length),
                _objects.AsSpan(0, _objectCount), _threadName, _propsLength > 0 ? _buf.AsSpan(_propsStart, _propsLength) : default);
        }
    }

    /// <summary>The current record's timestamp (UTC): what several files are merged by.</summary>
    public DateTime CurrentTimestamp => _timestamp;

    /// <summary>
    /// Reads the next record. False when no whole record is available now: at the end of the stream, or before a frame still
    /// being written (call again later to follow the file).
    /// </summary>
    /// <exception cref="KlogVersionException">The stream is of a newer format version.</exception>
    /// <exception cref="IOException">Reading the stream failed.</exception>
    public bool MoveNext()
    {
        _hasCurrent = false;
        while (true)
        {
            if (_frameEnd >= 0)
            {
                if (_pos < _frameEnd)
                {
                    string? problem = DecodeRecord();
                    if (problem is null)
                    {
                        RecordsRead++;
                        _hasCurrent = true;
                        return true;
                    }
                    AddDamage(_base + _pos, _frameEnd - _pos, problem + " (the rest of its frame is skipped)");
                }
                _start = _frameEnd;
                _frameEnd = -1;
            }
            if (!NextFrame()) return false;
        }
    }

    // ------------------------------------------------------------------ frames

    /// <summary>Reads frames until an R frame with records is open (true) or no whole frame is available (false).</summary>
    private bool NextFrame()
    {
        while (true)
        {
            if (!Ensure(KlogFormat.HeaderSize))
            {
                if (_eof && _end - _start > 0 && _end - _start < KlogFormat.HeaderSize && !LooksLikeSync(_start)) SkipTo(FindSync(_start + 1, true), "not a frame");
                return false;
            }
            var header = _buf.AsSpan(_start, KlogFormat.HeaderSize);
            byte type = header[2];
            int length = BinaryPrimitives.ReadInt32LittleEndian(header[8..]);
            if (header[0] != KlogFormat.Sync0 || header[1] != KlogFormat.Sync1 || length < 0 || length > KlogFormat.MaxBody)
            {
                SkipTo(FindSync(_start + 1, false), "not a frame header");
                continue;
            }
            if (type == KlogFormat.HeaderFrame && Position == 0 && Ensure(KlogFormat.HeaderSize + 1) && _buf[_start + KlogFormat.HeaderSize] > KlogFormat.FormatVersion)
                throw new KlogVersionException(Name, _buf[_start + KlogFormat.HeaderSize]);
            if (!Ensure(KlogFormat.HeaderSize + length))
            {
                // not all there yet: a frame being written, or a damaged length; the latter is known once a valid frame
                // follows within the bytes there are
                if (_eof)
                {
                    int next = FindSync(_start + 1, true);
                    if (next < _end)
                    {
                        SkipTo(next, "a frame that claims more bytes than there are before the next frame");
                        continue;
                    }
                }
                return false;
            }
            var frame = _buf.AsSpan(_start, KlogFormat.HeaderSize + length);
            if (KlogFormat.Crc(frame) != BinaryPrimitives.ReadUInt32LittleEndian(frame[16..]))
            {
                SkipTo(FindSync(_start + 1, false), "a frame whose checksum does not match");
                continue;
            }
            uint session = BinaryPrimitives.ReadUInt32LittleEndian(frame[4..]);
            int end = _start + frame.Length;
            if (frame[3] != 0)
            {
                AddDamage(Position, frame.Length, $"a frame with flags 0x{frame[3]:x2} this reader does not know");
                _start = end;
                continue;
            }
            switch (type)
            {
                case KlogFormat.HeaderFrame:
                    ReadHeader(frame[KlogFormat.HeaderSize..], session);
                    _start = end;
                    continue;
                case KlogFormat.MetadataFrame:
                    if (!_sessions.TryGetValue(session, out var meta))
                    {
                        AddDamage(Position, frame.Length, $"metadata of session {session:x8}, whose file header is not in the stream");
                        _sessions[session] = meta = new Session(null);
                    }
                    ReadMetadata(meta, frame[KlogFormat.HeaderSize..]);
                    _start = end;
                    continue;
                case KlogFormat.RecordsFrame:
                    if (!_sessions.TryGetValue(session, out var s))
                    {
                        AddDamage(Position, frame.Length, $"records of session {session:x8}, whose file header and metadata are not in the stream");
                        _start = end;
                        continue;
                    }
                    if (Position < SkipRecordsBefore)
                    {
                        int records = Math.Max(0, BinaryPrimitives.ReadInt32LittleEndian(frame[12..]));
                        RecordsSkipped += records;
                        _scan?.Add(new KlogRecordFrame(Position, records));
                        _start = end;
                        continue;
                    }
                    if (length < KlogFormat.RecordsPrologue)
                    {
                        AddDamage(Position, frame.Length, "a records frame too short for its prologue");
                        _start = end;
                        continue;
                    }
                    ClockCalibration clock;
                    try
                    {
                        clock = ClockCalibration.Read(frame.Slice(KlogFormat.HeaderSize + 8, ClockCalibration.Size));
                    }
                    catch (InvalidDataException e)
                    {
                        AddDamage(Position, frame.Length, "a records frame whose clock does not parse: " + e.Message);
                        _start = end;
                        continue;
                    }
                    _session = _lastSession = s;
                    _prevTs = BinaryPrimitives.ReadInt64LittleEndian(frame[KlogFormat.HeaderSize..]);
                    _clock = clock;
                    _frameSeq++;
                    _pos = _start + KlogFormat.HeaderSize + KlogFormat.RecordsPrologue;
                    _frameEnd = end;
                    _prevTemplate = null;
                    _prevCategory = null;
                    _prevThread = int.MinValue;
                    _prevPropsStart = -1;
                    _prevPropsLength = 0;
                    return true;
                default:
                    _start = end; // a frame type added later in version 1: skipped whole (the compatibility rule)
                    continue;
            }
        }
    }

    private void ReadHeader(ReadOnlySpan<byte> body, uint session)
    {
        long offset = Position;
        try
        {
            var r = new ManifestReader(body);
            int version = r.Byte();
            if (version > KlogFormat.FormatVersion) throw new KlogVersionException(Name, version);
            if (version == 0) throw new InvalidDataException("format version 0");
            var clock = ClockCalibration.Read(r.Bytes(ClockCalibration.Size));
            int count = r.Count(4096);
            var properties = new Dictionary<string, string>(count, StringComparer.Ordinal);
            for (int i = 0; i < count; i++)
            {
                string key = r.String();
                properties[key] = r.String();
            }
            var header = new KlogFileHeader(version, session, clock, properties, offset);
            _sessions[session] = new Session(header); // a new file (or the same writer's next file): metadata starts over
            _lastHeader = header;
        }
        catch (InvalidDataException e)
        {
            AddDamage(offset, body.Length + KlogFormat.HeaderSize, "a file header that does not parse: " + e.Message);
        }
    }

    private void ReadMetadata(Session session, ReadOnlySpan<byte> body)
    {
        var r = new ManifestReader(body);
        try
        {
            while (!r.End) session.Manifest.ReadEntry(ref r, stream: true);
        }
        catch (InvalidDataException e)
        {
            AddDamage(Position + KlogFormat.HeaderSize + r.Position, body.Length - r.Position, "metadata that does not parse: " + e.Message);
        }
    }

    private bool LooksLikeSync(int at) => _buf[at] == KlogFormat.Sync0 && (at + 1 >= _end || _buf[at + 1] == KlogFormat.Sync1);

    /// <summary>
    /// The next offset from <paramref name="from"/> where a frame could start: a sync marker followed by a whole frame whose
    /// CRC matches (or, unless <paramref name="wholeOnly"/>, one not yet whole: it may be still arriving). <see cref="_end"/> when none.
    /// </summary>
    private int FindSync(int from, bool wholeOnly)
    {
        for (int i = from; i < _end; i++)
        {
            i = Array.IndexOf(_buf, KlogFormat.Sync0, i, _end - i);
            if (i < 0) return _end;
            if (i + 1 < _end && _buf[i + 1] != KlogFormat.Sync1) continue;
            if (_end - i < KlogFormat.HeaderSize) return wholeOnly ? _end : i;
            int length = BinaryPrimitives.ReadInt32LittleEndian(_buf.AsSpan(i + 8));
            if (length < 0 || length > KlogFormat.MaxBody) continue;
            if (_end - i < KlogFormat.HeaderSize + length)
            {
                if (!wholeOnly) return i;
                continue;
            }
            var frame = _buf.AsSpan(i, KlogFormat.HeaderSize + length);
            if (KlogFormat.Crc(frame) == BinaryPrimitives.ReadUInt32LittleEndian(frame[16..])) return i;
        }
        return _end;
    }

    private void SkipTo(int next, string reason)
    {
        AddDamage(Position, next - _start, reason);
        _start = next;
    }

    private void AddDamage(long offset, long length, string reason)
    {
        if (length <= 0) return;
        SkippedBytes += length;
        if (_damage.Count < 10_000) _damage.Add(new KlogDamage(offset, length, reason));
    }

    /// <summary>True when <paramref name="count"/> bytes from <see cref="_start"/> are in the buffer (reading more as needed).</summary>
    private bool Ensure(int count)
    {
        while (_end - _start < count)
        {
            if (_start > 0 && _frameEnd < 0)
            {
                // keep only what is not consumed
                Buffer.BlockCopy(_buf, _start, _buf, 0, _end - _start);
                _base += _start;
                _end -= _start;
                _start = 0;
            }
            // the buffer grows only as bytes arrive: a damaged length claiming 64 MiB costs what the stream really holds
            if (_end == _buf.Length) Array.Resize(ref _buf, _buf.Length * 2);
            int n = _stream.Read(_buf, _end, _buf.Length - _end);
            if (n <= 0)
            {
                _eof = true;
                return false;
            }
            _eof = false;
            _end += n;
        }
        return true;
    }

    // ------------------------------------------------------------------ records

    /// <summary>Decodes the record at <see cref="_pos"/>; null when it did, else what is wrong with it.</summary>
    private string? DecodeRecord()
    {
        var data = _buf.AsSpan(0, _frameEnd);
        int pos = _pos;
        byte info = data[pos++];
        var level = (LogLevel)(info & KlogFormat.LevelMask);
        if (level > LogLevel.None) return "a record with level 7";
        var manifest = _session!.Manifest;
        var template = _prevTemplate;
        if ((info & KlogFormat.HasTemplate) != 0)
        {
            if (!KlogFormat.TryGetVarUInt(data, ref pos, out ulong id) || id > TemplateRegistry.MaxId) return "a damaged template id";
            template = manifest.Templates.Find((int)id);
            if (template is null) return $"a record of template {id}, which the stream does not describe";
        }
        if (template is null) return "a record without a template";
        var category = _prevCategory;
        if ((info & KlogFormat.HasCategory) != 0)
        {
            if (!KlogFormat.TryGetVarUInt(data, ref pos, out ulong id) || id > TemplateLimits.MaxCategoryId) return "a damaged category id";
            category = manifest.Categories.Find((int)id);
            if (category is null) return $"a record of category {id}, which the stream does not describe";
        }
        if (category is null) return "a record without a category";
        int thread = _prevThread;
        string? threadName = _prevThreadName;
        if ((info & KlogFormat.HasThread) != 0)
        {
            if (!KlogFormat.TryGetVarInt(data, ref pos, out long t) || t is < int.MinValue or > int.MaxValue) return "a damaged thread id";
            thread = (int)t;
            threadName = manifest.ThreadNames.TryGetValue(thread, out var name) ? name : null;
        }
        else if (thread == int.MinValue) return "a record without a thread";
        int ext = 0;
        if ((info & KlogFormat.HasExtension) != 0)
        {
            if (pos >= data.Length) return "a record cut short";
            ext = data[pos++];
            if ((ext & ~KlogFormat.KnownExtensions) != 0) return $"a record with extension bits 0x{ext:x2} this reader does not know";
        }
        if (!KlogFormat.TryGetVarUInt(data, ref pos, out ulong ts)) return "a damaged timestamp";
        long raw;
        DateTime timestamp;
        if ((ext & KlogFormat.ExtUtcTimestamp) != 0)
        {
            if (ts > (ulong)DateTime.MaxValue.Ticks) return "a timestamp out of range";
            raw = 0;
            timestamp = new DateTime((long)ts, DateTimeKind.Utc);
        }
        else
        {
            if (ts > long.MaxValue / 2) return "a timestamp delta out of range";
            raw = (info & KlogFormat.NegativeDelta) != 0 ? _prevTs - (long)ts : _prevTs + (long)ts;
            timestamp = _clock.ToUtc(raw);
        }
        var args = template.Args;
        if (args.Length > _offsets.Length) _offsets = new int[Math.Max(args.Length, _offsets.Length * 2)];
        _payload.ResetWrittenCount();
        var previous = _previous.TryGetValue(template.Id, out var prev) && prev.Frame == _frameSeq ? prev.Bytes.AsSpan(0, prev.Length) : default;
        if (!CompactPayload.TryDecode(template, data, ref pos, previous, _payload, _offsets)) return "damaged arguments";
        var flags = (ext & KlogFormat.ExtTruncated) != 0 ? RecordFlags.Truncated : RecordFlags.None;
        int objects = 0;
        Array.Clear(_objects, 0, _objectCount);
        object? trace = null;
        if ((ext & KlogFormat.ExtObjects) != 0)
        {
            if (!KlogFormat.TryGetVarUInt(data, ref pos, out ulong count) || count > 255 || count > (ulong)(data.Length - pos)) return "a damaged exception count";
            if ((int)count + 1 > _objects.Length) _objects = new object?[(int)count + 1];
            for (int i = 0; i < (int)count; i++)
            {
                if (pos >= data.Length) return "an exception cut short";
                byte kind = data[pos++];
                if (kind == 0) continue; // null (counted by position below)
                if (kind != 1) return "an exception slot of unknown kind";
                try
                {
                    _objects[1 + i] = ExceptionInfo.Read(data[pos..], out int consumed);
                    pos += consumed;
                }
                catch (InvalidDataException e)
                {
                    return "a damaged exception: " + e.Message;
                }
            }
            objects = (int)count;
        }
        int propsStart = -1, propsLength = 0;
        if ((ext & KlogFormat.ExtProperties) != 0)
        {
            if (!KlogFormat.TryGetVarUInt(data, ref pos, out ulong length) || length > (ulong)(data.Length - pos)) return "damaged properties";
            propsStart = pos;
            propsLength = (int)length;
            pos += propsLength;
        }
        else if ((ext & KlogFormat.ExtSameProperties) != 0)
        {
            if (_prevPropsStart < 0) return "a record that repeats properties no record before it had";
            propsStart = _prevPropsStart;
            propsLength = _prevPropsLength;
        }
        if ((ext & KlogFormat.ExtTrace) != 0)
        {
            if (data.Length - pos < 25) return "a trace context cut short";
            trace = DetachedTrace.Read(data.Slice(pos, 25));
            pos += 25;
            flags |= RecordFlags.HasActivity;
        }
        // object slots as a live record has them: the activity first (when there is one), then the exceptions
        if (trace is not null) _objects[0] = trace;
        else if (objects > 0) Array.Copy(_objects, 1, _objects, 0, objects);
        if (trace is null && objects > 0) _objects[objects] = null;
        _objectCount = objects + (trace is null ? 0 : 1);

        _template = template;
        _category = category;
        _level = level;
        _timestamp = timestamp;
        _raw = raw;
        _threadId = thread;
        _threadName = threadName;
        _flags = flags;
        _propsStart = propsStart;
        _propsLength = propsLength;
        // the record is whole: the next one reads against it (and the next of its template, its arguments)
        if (_payload.WrittenCount > 0) Remember(template.Id, _payload.WrittenSpan);
        _prevTemplate = template;
        _prevCategory = category;
        _prevThread = thread;
        _prevThreadName = threadName;
        if (raw != 0 || (ext & KlogFormat.ExtUtcTimestamp) == 0) _prevTs = raw;
        if (propsStart >= 0 && (ext & KlogFormat.ExtProperties) != 0)
        {
            _prevPropsStart = propsStart;
            _prevPropsLength = propsLength;
        }
        _pos = pos;
        return null;
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (!_leaveOpen) _stream.Dispose();
    }
}
