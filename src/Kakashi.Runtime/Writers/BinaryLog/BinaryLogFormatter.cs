using System;
using System.Buffers;
using System.Buffers.Binary;
using System.Threading;
using Kakashi.Buffers;
using Kakashi.Clock;
using Kakashi.Pipeline;
using Kakashi.Templates;
using Microsoft.Extensions.Logging;

namespace Kakashi.Writers.BinaryLog;

/// <summary>
/// The metadata a <c>.klog</c> stream has announced: template, category and thread entries (manifest entries,
/// docs/record-format.md), appended by the formatter on the drain before the first record that needs them, read by the
/// writer before each batch and replayed whole at the start of every file, so each file decodes alone. Out of band on
/// purpose: a batch a full stage drops loses its records, never the metadata later records need.
/// </summary>
internal sealed class KlogMetadata
{
    private readonly Lock _lock = new();
    private readonly ArrayBufferWriter<byte> _entries = new(4096);
    private int _length;

    public int Length => Volatile.Read(ref _length);

    public void AddTemplate(LogTemplate template)
    {
        lock (_lock)
        {
            LogManifest.WriteTemplate(_entries, template);
            Volatile.Write(ref _length, _entries.WrittenCount);
        }
    }

    public void AddCategory(LogCategory category)
    {
        lock (_lock)
        {
            LogManifest.WriteCategory(_entries, category);
            Volatile.Write(ref _length, _entries.WrittenCount);
        }
    }

    public void AddThread(int threadId, string? name)
    {
        lock (_lock)
        {
            LogManifest.WriteThread(_entries, threadId, name);
            Volatile.Write(ref _length, _entries.WrittenCount);
        }
    }

    /// <summary>Copies entries <paramref name="from"/>..<paramref name="to"/> (byte offsets) into <paramref name="output"/>.</summary>
    public void CopyTo(int from, int to, IBufferWriter<byte> output)
    {
        lock (_lock)
        {
            var span = _entries.WrittenSpan[from..to];
            span.CopyTo(output.GetSpan(span.Length));
            output.Advance(span.Length);
        }
    }
}

/// <summary>
/// Writes records as <c>.klog</c> R frames into the drain's batches (docs/binary-log.md): the ring's record nearly as it is —
/// level, template, category and thread as small integers (repeated ones left out), the timestamp as a delta from the
/// previous record, the arguments compacted (<see cref="CompactPayload"/>) — with no decoding into text. A frame is closed
/// when it reaches <see cref="KlogFormat.TargetFrameBody"/>, when its batch is sealed, and when the clock is recalibrated
/// (each frame carries the calibration its records' timestamps convert with). The CRC is the writer's job, on its own thread.
/// Used by one drain thread at a time.
/// </summary>
internal sealed unsafe class BinaryLogFormatter : LogFormatter
{
    private readonly uint _session;
    private bool[] _templates = new bool[256];
    private bool[] _categories = new bool[64];
    private string?[] _threadNames = new string?[256];
    private bool[] _threadKnown = new bool[256];
    private System.Collections.Generic.Dictionary<int, string?>? _otherThreads;

    // the clock (set by the drain when it recalibrates; frames carry the calibration)
    private ClockCalibration _clock;
    private int _clockVersion;

    // the open frame
    private LogBatch? _frameBatch;
    private int _frameStart;
    private int _frameCount;
    private int _frameClockVersion;
    private long _prevTs;
    private int _prevTemplate, _prevCategory, _prevThread;
    private int _prevPropsStart, _prevPropsLength;

    // raw path: templates and categories by id
    private LogTemplate?[] _templateCache = new LogTemplate?[256];
    private TemplateRegistry _registry = TemplateRegistry.Shared;
    private CategoryTable? _categoryTable;

    public BinaryLogFormatter()
    {
        Span<byte> random = stackalloc byte[4];
        System.Security.Cryptography.RandomNumberGenerator.Fill(random);
        _session = BinaryPrimitives.ReadUInt32LittleEndian(random) | 1; // never 0
        SetClock(new ClockCalibration(0, DateTime.UtcNow.Ticks, 0));
    }

    /// <summary>The session id every frame of this formatter's stream carries.</summary>
    public uint Session => _session;

    /// <summary>The entries announced so far (read by the writer).</summary>
    public KlogMetadata Metadata { get; } = new();

    /// <summary>The current calibration (the writer puts it in file headers; read on the writer's thread).</summary>
    public ClockCalibration Clock => Volatile.Read(ref _clockBox).Value;

    private ClockBox _clockBox = new(default);

    private sealed class ClockBox(ClockCalibration value)
    {
        public ClockCalibration Value { get; } = value;
    }

    /// <summary>Records the formatter could not encode (a damaged ring record on the raw path).</summary>
    public long Undecodable;

    /// <summary>Called by the drain at start and after each recalibration.</summary>
    internal void Attach(TemplateRegistry registry, CategoryTable categories, ClockCalibration clock)
    {
        _registry = registry;
        _categoryTable = categories;
        SetClock(clock);
    }

    internal void SetClock(ClockCalibration clock)
    {
        _clock = clock;
        _clockVersion++;
        Volatile.Write(ref _clockBox, new ClockBox(clock));
    }

    /// <summary>Not used: the drain calls <see cref="Write"/> with its batches (a .klog stream is framed per batch).</summary>
    public override void Format(in LogRecord record, ref Utf8Writer output)
        => throw new NotSupportedException("The .klog formatter writes through the pipeline's batches; give it to a BinaryLogWriter only.");

    // ------------------------------------------------------------------ records

    /// <summary>Writes a decoded record (any record: the application's, the pipeline's own, one built by hand).</summary>
    public void Write(in LogRecord record, BatchWriter batches)
    {
        var flags = record.Flags;
        TraceIds trace = default;
        if ((flags & RecordFlags.HasActivity) != 0) record.TryGetTrace(out trace);
        long utc = record.RawTimestamp == 0 ? record.Timestamp.Ticks : -1;
        if (!WriteCore(batches, record.Template, record.CategoryInfo, record.Level, flags, record.ThreadId, record.ThreadName, record.RawTimestamp, utc,
                record.Payload, record.Objects, record.PropertiesBytes, trace))
            throw new InvalidOperationException($"A record of {record.Template.Method} does not match its template.");
    }

    /// <summary>
    /// The raw path: a ring record (record format v1 at <paramref name="record"/>) straight into the frame, without a
    /// <see cref="LogRecord"/>; false when it does not decode (unknown template or category, damaged): nothing is written.
    /// </summary>
    public bool WriteRaw(byte* record, int length, ReadOnlySpan<object?> objects, string? threadName, BatchWriter batches, out LogLevel level, out bool truncated)
    {
        var bytes = new ReadOnlySpan<byte>(record, length);
        level = (LogLevel)bytes[RecordLayout.LevelOffset];
        var flags = (RecordFlags)bytes[RecordLayout.FlagsOffset];
        truncated = (flags & RecordFlags.Truncated) != 0;
        if (length < RecordLayout.HeaderSize || bytes[RecordLayout.VersionOffset] != RecordLayout.FormatVersion || (uint)level > (uint)LogLevel.None) return false;
        int templateId = BinaryPrimitives.ReadInt32LittleEndian(bytes[RecordLayout.TemplateIdOffset..]);
        int categoryId = BinaryPrimitives.ReadInt32LittleEndian(bytes[RecordLayout.LoggerIdOffset..]);
        int threadId = BinaryPrimitives.ReadInt32LittleEndian(bytes[RecordLayout.ThreadIdOffset..]);
        long raw = BinaryPrimitives.ReadInt64LittleEndian(bytes[RecordLayout.TimestampOffset..]);
        // the common case: the record continues the open frame with the template, category and thread of the one before,
        // and needs no extension (no flag, no object slot, no user-type value): its info byte, delta and arguments only
        var frameBatch = _frameBatch;
        if (templateId == _prevTemplate && categoryId == _prevCategory && threadId == _prevThread && flags == RecordFlags.None && objects.Length == 0
            && !_hasObjects[templateId] && _rendered[templateId] is null
            && ReferenceEquals(frameBatch, batches.Current) && _frameClockVersion == _clockVersion
            && frameBatch.Length - _frameStart < KlogFormat.TargetFrameBody + KlogFormat.HeaderSize && raw >= _prevTs)
        {
            var known = _templateCache[templateId]!;
            var payload = bytes[RecordLayout.HeaderSize..];
            var dest = batches.GetSpan(CompactPayload.MaxSize(payload.Length, known.Args.Length) + 16);
            int pos = 1;
            dest[0] = (byte)level;
            KlogFormat.PutVarUInt(dest, ref pos, (ulong)(raw - _prevTs));
            if (!CompactPayload.Encode(known, payload, Previous(templateId), dest, ref pos)) return false;
            batches.Advance(pos);
            _prevTs = raw;
            _frameCount++;
            Remember(templateId, payload);
            return true;
        }
        var template = (uint)templateId < (uint)_templateCache.Length ? _templateCache[templateId] : null;
        if (template is null)
        {
            template = _registry.Find(templateId);
            if (template is null) return false;
            if (templateId >= _templateCache.Length) Array.Resize(ref _templateCache, Math.Max(templateId + 1, _templateCache.Length * 2));
            _templateCache[templateId] = template;
        }
        LogCategory? category = null;
        if ((uint)categoryId >= (uint)_categories.Length || !_categories[categoryId])
        {
            category = _categoryTable?.Find(categoryId);
            if (category is null) return false;
        }
        return WriteCore(batches, template, category, level, flags, threadId, threadName, raw, -1, bytes[RecordLayout.HeaderSize..], objects, default, default, categoryId);
    }

    /// <summary>
    /// One record into the open frame (opening one when needed). <paramref name="utcTicks"/> ≥ 0: the record has no raw
    /// timestamp (the pipeline's own records), store the UTC time. <paramref name="category"/> may be null on the raw path when
    /// <paramref name="categoryId"/> was already announced.
    /// </summary>
    private bool WriteCore(BatchWriter batches, LogTemplate template, LogCategory? category, LogLevel level, RecordFlags flags, int threadId, string? threadName,
        long raw, long utcTicks, ReadOnlySpan<byte> payload, ReadOnlySpan<object?> objects, ReadOnlySpan<byte> properties, TraceIds trace, int categoryId = -1)
    {
        if (category is not null) categoryId = category.Id;
        Announce(template, category, categoryId, threadId, threadName);
        if (_rendered[template.Id] is { } rendered)
        {
            // user-type values become text here, where their type is (RenderedValues)
            if (!rendered.Rewrite(payload, _renderScratch, out payload)) return false;
            template = rendered.Stored;
        }

        var batch = batches.Current;
        int mark = batch.Length;
        bool opened = false;
        if (_frameBatch != batch || _frameClockVersion != _clockVersion || batch.Length - _frameStart >= KlogFormat.TargetFrameBody + KlogFormat.HeaderSize)
        {
            CloseFrame();
            OpenFrame(batches, utcTicks >= 0 ? _prevTs : raw);
            batch = batches.Current;
            opened = true;
        }
        try
        {
            var args = template.Args;
            var dest = batches.GetSpan(CompactPayload.MaxSize(payload.Length, args.Length) + 48);
            int pos = 1;
            int info = (int)level;
            if (template.Id != _prevTemplate)
            {
                info |= KlogFormat.HasTemplate;
                KlogFormat.PutVarUInt(dest, ref pos, (uint)template.Id);
            }
            if (categoryId != _prevCategory)
            {
                info |= KlogFormat.HasCategory;
                KlogFormat.PutVarUInt(dest, ref pos, (uint)categoryId);
            }
            if (threadId != _prevThread)
            {
                info |= KlogFormat.HasThread;
                KlogFormat.PutVarInt(dest, ref pos, threadId);
            }
            int ext = (flags & RecordFlags.Truncated) != 0 ? KlogFormat.ExtTruncated : 0;
            if (_hasObjects[template.Id]) ext |= KlogFormat.ExtObjects;
            int propsLength = properties.Length;
            bool sameProps = false;
            if (propsLength > 0)
            {
                sameProps = propsLength == _prevPropsLength && _prevPropsStart >= 0
                    && properties.SequenceEqual(new ReadOnlySpan<byte>(batch.Buffer, _prevPropsStart, _prevPropsLength));
                ext |= sameProps ? KlogFormat.ExtSameProperties : KlogFormat.ExtProperties;
            }
            if (trace.Present) ext |= KlogFormat.ExtTrace;
            if (utcTicks >= 0) ext |= KlogFormat.ExtUtcTimestamp;
            long delta = 0;
            if (ext != 0)
            {
                info |= KlogFormat.HasExtension;
                dest[pos++] = (byte)ext;
            }
            if (utcTicks >= 0) KlogFormat.PutVarUInt(dest, ref pos, (ulong)utcTicks);
            else
            {
                delta = raw - _prevTs;
                if (delta < 0)
                {
                    info |= KlogFormat.NegativeDelta;
                    KlogFormat.PutVarUInt(dest, ref pos, (ulong)(-delta));
                }
                else KlogFormat.PutVarUInt(dest, ref pos, (ulong)delta);
            }
            dest[0] = (byte)info;
            if (!CompactPayload.Encode(template, payload, Previous(template.Id), dest, ref pos))
            {
                Rewind(batch, mark, opened);
                return false;
            }
            batches.Advance(pos);
            if ((ext & KlogFormat.ExtObjects) != 0) WriteObjects(template, flags, objects, batches);
            int propsStart = -1;
            if ((ext & KlogFormat.ExtProperties) != 0)
            {
                var span = batches.GetSpan(propsLength + 5);
                int p = 0;
                KlogFormat.PutVarUInt(span, ref p, (uint)propsLength);
                properties.CopyTo(span[p..]);
                batches.Advance(p + propsLength);
                propsStart = batches.Current.Length - propsLength;
            }
            if (trace.Present)
            {
                trace.WriteTo(batches.GetSpan(25));
                batches.Advance(25);
            }
            // the record is whole: commit the frame state
            Remember(template.Id, payload);
            _prevTemplate = template.Id;
            _prevCategory = categoryId;
            _prevThread = threadId;
            if (utcTicks < 0) _prevTs = raw;
            if (propsStart >= 0)
            {
                _prevPropsStart = propsStart;
                _prevPropsLength = propsLength;
            }
            else if (!sameProps && propsLength == 0)
            {
                // a record without properties keeps the last block for the next one that has them
            }
            _frameCount++;
            return true;
        }
        catch
        {
            Rewind(batches.Current, mark, opened);
            throw;
        }
    }

    private static bool HasExceptionArgs(LogTemplate template)
    {
        foreach (var arg in template.Args) if (arg.IsException) return true;
        return false;
    }

    private bool[] _hasObjects = new bool[256];

    // per template, the v1 payload of its previous record in the open frame: the next one's arguments are written as
    // differences from it (CompactPayload, delta mode); a new frame starts without (so each frame decodes alone)
    private byte[]?[] _prevPayload = new byte[]?[256];
    private int[] _prevPayloadLength = new int[256];
    private int[] _prevPayloadFrame = new int[256];
    private int _frameSeq;

    private ReadOnlySpan<byte> Previous(int templateId)
        => (uint)templateId < (uint)_prevPayloadFrame.Length && _prevPayloadFrame[templateId] == _frameSeq && _prevPayload[templateId] is { } bytes
            ? bytes.AsSpan(0, _prevPayloadLength[templateId])
            : default;

    private void Remember(int templateId, ReadOnlySpan<byte> payload)
    {
        if (payload.IsEmpty) return; // a template without arguments has nothing to compare
        if (templateId >= _prevPayloadFrame.Length)
        {
            int size = Math.Max(templateId + 1, _prevPayloadFrame.Length * 2);
            Array.Resize(ref _prevPayload, size);
            Array.Resize(ref _prevPayloadLength, size);
            Array.Resize(ref _prevPayloadFrame, size);
        }
        var buffer = _prevPayload[templateId];
        if (buffer is null || buffer.Length < payload.Length) _prevPayload[templateId] = buffer = new byte[Math.Max(64, payload.Length)];
        payload.CopyTo(buffer);
        _prevPayloadLength[templateId] = payload.Length;
        _prevPayloadFrame[templateId] = _frameSeq;
    }
    private RenderedValues?[] _rendered = new RenderedValues?[256];
    private readonly ArrayBufferWriter<byte> _renderScratch = new(256);

    private void Rewind(LogBatch batch, int mark, bool opened)
    {
        batch.Length = mark;
        if (opened)
        {
            _frameBatch = null; // the frame header went with the record
        }
    }

    /// <summary>Exceptions as the detached form (docs/record-format.md): <c>u</c> count, then per exception argument its slot.</summary>
    private static void WriteObjects(LogTemplate template, RecordFlags flags, ReadOnlySpan<object?> objects, BatchWriter batches)
    {
        int slot = ((flags & RecordFlags.HasScope) != 0 ? 1 : 0) + ((flags & RecordFlags.HasActivity) != 0 ? 1 : 0);
        var w = new ManifestWriter(batches);
        int count = 0;
        foreach (var arg in template.Args) if (arg.IsException) count++;
        w.VarUInt((uint)count);
        foreach (var arg in template.Args)
        {
            if (!arg.IsException) continue;
            ExceptionInfo.WriteSlot(w, (uint)slot < (uint)objects.Length ? objects[slot] : null);
            slot++;
        }
    }

    /// <summary>Announces the template, category and thread name when this stream has not yet (the writer writes them first).</summary>
    private void Announce(LogTemplate template, LogCategory? category, int categoryId, int threadId, string? threadName)
    {
        int id = template.Id;
        if ((uint)id >= (uint)_templates.Length || !_templates[id])
        {
            if (id >= _templates.Length)
            {
                Array.Resize(ref _templates, Math.Max(id + 1, _templates.Length * 2));
                Array.Resize(ref _hasObjects, _templates.Length);
                Array.Resize(ref _rendered, _templates.Length);
            }
            var rendered = RenderedValues.For(template);
            Metadata.AddTemplate(rendered?.Stored ?? template);
            _rendered[id] = rendered;
            _hasObjects[id] = HasExceptionArgs(template);
            _templates[id] = true;
        }
        if ((uint)categoryId >= (uint)_categories.Length || !_categories[categoryId])
        {
            if (categoryId >= _categories.Length) Array.Resize(ref _categories, Math.Max(categoryId + 1, _categories.Length * 2));
            if (category is not null)
            {
                Metadata.AddCategory(category);
                _categories[categoryId] = true;
            }
        }
        if (threadId == _prevThread && _frameBatch is not null) return; // same thread as the record before: announced
        if ((uint)threadId < (uint)_threadKnown.Length)
        {
            if (_threadKnown[threadId] && ReferenceEquals(_threadNames[threadId], threadName)) return;
            if (_threadKnown[threadId] && _threadNames[threadId] == threadName) return;
            _threadKnown[threadId] = true;
            _threadNames[threadId] = threadName;
            Metadata.AddThread(threadId, threadName);
            return;
        }
        if (threadId >= 0 && threadId < 1 << 16)
        {
            int size = _threadKnown.Length;
            while (size <= threadId) size *= 2;
            Array.Resize(ref _threadKnown, size);
            Array.Resize(ref _threadNames, size);
            _threadKnown[threadId] = true;
            _threadNames[threadId] = threadName;
            Metadata.AddThread(threadId, threadName);
            return;
        }
        _otherThreads ??= new();
        if (_otherThreads.TryGetValue(threadId, out var known) && known == threadName) return;
        _otherThreads[threadId] = threadName;
        Metadata.AddThread(threadId, threadName);
    }

    // ------------------------------------------------------------------ frames

    private void OpenFrame(BatchWriter batches, long baseTs)
    {
        var batch = batches.Current;
        var span = batches.GetSpan(KlogFormat.HeaderSize + KlogFormat.RecordsPrologue);
        KlogFormat.WriteHeader(span, KlogFormat.RecordsFrame, _session, 0, 0);
        BinaryPrimitives.WriteInt64LittleEndian(span[KlogFormat.HeaderSize..], baseTs);
        _clock.WriteTo(span[(KlogFormat.HeaderSize + 8)..]);
        _frameStart = batch.Length;
        batches.Advance(KlogFormat.HeaderSize + KlogFormat.RecordsPrologue);
        _frameBatch = batches.Current;
        _frameCount = 0;
        _frameSeq++; // no record of this frame has a previous one yet
        _frameClockVersion = _clockVersion;
        _prevTs = baseTs;
        _prevTemplate = _prevCategory = -1;
        _prevThread = int.MinValue;
        _prevPropsStart = -1;
        _prevPropsLength = 0;
    }

    /// <summary>Finishes the open frame: its length and record count (a frame with no record is taken back out).</summary>
    private void CloseFrame()
    {
        var batch = _frameBatch;
        if (batch is null) return;
        _frameBatch = null;
        if (_frameCount == 0)
        {
            if (batch.Length == _frameStart + KlogFormat.HeaderSize + KlogFormat.RecordsPrologue) batch.Length = _frameStart;
            return;
        }
        var header = batch.Buffer.AsSpan(_frameStart);
        BinaryPrimitives.WriteInt32LittleEndian(header[8..], batch.Length - _frameStart - KlogFormat.HeaderSize);
        BinaryPrimitives.WriteInt32LittleEndian(header[12..], _frameCount);
    }

    /// <summary>The dispatcher is sealing <paramref name="batch"/>: its open frame ends with it.</summary>
    internal void OnSealing(LogBatch batch)
    {
        if (ReferenceEquals(_frameBatch, batch)) CloseFrame();
    }
}

/// <summary>A record's W3C trace context, kept as bytes for a stream that outlives its <see cref="System.Diagnostics.Activity"/>.</summary>
internal readonly struct TraceIds
{
    public TraceIds(System.Diagnostics.ActivityTraceId traceId, System.Diagnostics.ActivitySpanId spanId, byte flags)
    {
        Span<byte> bytes = stackalloc byte[24];
        traceId.CopyTo(bytes[..16]); // (CopyTo fills the whole span it is given: exactly 16 and 8 bytes)
        spanId.CopyTo(bytes.Slice(16, 8));
        Trace0 = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        Trace1 = BinaryPrimitives.ReadUInt64LittleEndian(bytes[8..]);
        SpanBits = BinaryPrimitives.ReadUInt64LittleEndian(bytes[16..]);
        Flags = flags;
        Present = true;
    }

    public ulong Trace0 { get; }
    public ulong Trace1 { get; }
    public ulong SpanBits { get; }
    public byte Flags { get; }
    public bool Present { get; }

    /// <summary>Writes the 25-byte form: trace id (16), span id (8), trace flags (1).</summary>
    public void WriteTo(Span<byte> dest)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(dest, Trace0);
        BinaryPrimitives.WriteUInt64LittleEndian(dest[8..], Trace1);
        BinaryPrimitives.WriteUInt64LittleEndian(dest[16..], SpanBits);
        dest[24] = Flags;
    }
}

/// <summary>The trace context of a record read back from a file, in the slot where a live record has its <see cref="System.Diagnostics.Activity"/>.</summary>
internal sealed class DetachedTrace(System.Diagnostics.ActivityTraceId traceId, System.Diagnostics.ActivitySpanId spanId, byte flags)
{
    public System.Diagnostics.ActivityTraceId TraceId { get; } = traceId;
    public System.Diagnostics.ActivitySpanId SpanId { get; } = spanId;
    public byte Flags { get; } = flags;

    public static DetachedTrace Read(ReadOnlySpan<byte> bytes)
        => new(System.Diagnostics.ActivityTraceId.CreateFromBytes(bytes[..16]), System.Diagnostics.ActivitySpanId.CreateFromBytes(bytes.Slice(16, 8)), bytes[24]);
}
