using System;
using System.Buffers;
using System.Buffers.Binary;
using Kakashi.Buffers;
using Kakashi.Clock;
using Kakashi.Templates;
using Microsoft.Extensions.Logging;

namespace Kakashi;

/// <summary>What <see cref="RecordDecoder"/> made of a record's bytes.</summary>
public enum DecodeStatus
{
    /// <summary>A whole record, decoded.</summary>
    Ok,
    /// <summary>Shorter than its header, or its payload is shorter than its arguments say.</summary>
    Damaged,
    /// <summary>A record format version this Kakashi does not read.</summary>
    UnsupportedVersion,
    /// <summary>The template id is in no registered template.</summary>
    UnknownTemplate,
    /// <summary>The category id is in no known category.</summary>
    UnknownCategory,
}

/// <summary>
/// Turns a record's bytes (record format version 1, docs/record-format.md) into a <see cref="LogRecord"/>: looks up the
/// template and the category, converts the timestamp with the clock calibration, and finds each argument in the payload.
/// The pipeline's drain decodes ring records with one; a tool decodes a file's records with one built from the file's
/// manifest. Allocates nothing per record (detached object slots aside); one thread at a time.
/// </summary>
public sealed class RecordDecoder
{
    private readonly TemplateRegistry _templates;
    private readonly CategoryTable _categories;
    private LogTemplate? _lastTemplate;
    private LogCategory? _lastCategory;
    private int[] _offsets = new int[16];
    private object?[] _detached = new object?[4];

    /// <summary>A decoder for records described by <paramref name="manifest"/>.</summary>
    public RecordDecoder(LogManifest manifest)
        : this(manifest.Templates, manifest.Categories, manifest.Clock ?? default)
    {
    }

    /// <summary>A decoder for records whose templates and categories are these, with timestamps converted by <paramref name="clock"/>.</summary>
    public RecordDecoder(TemplateRegistry templates, CategoryTable categories, ClockCalibration clock)
    {
        ArgumentNullException.ThrowIfNull(templates);
        ArgumentNullException.ThrowIfNull(categories);
        _templates = templates;
        _categories = categories;
        Clock = clock;
    }

    /// <summary>The calibration raw timestamps are converted with (a stream's re-sync point replaces it).</summary>
    public ClockCalibration Clock { get; set; }

    /// <summary>
    /// Decodes one record. <paramref name="objects"/> are its object slots (from the ring, or read back by
    /// <see cref="TryDecodeDetached"/>); <paramref name="threadName"/> the logging thread's name if known.
    /// The record is valid until the next call.
    /// </summary>
    public DecodeStatus TryDecode(ReadOnlySpan<byte> bytes, ReadOnlySpan<object?> objects, string? threadName, out LogRecord record)
    {
        record = default;
        if (bytes.Length < RecordLayout.HeaderSize) return DecodeStatus.Damaged;
        int length = BinaryPrimitives.ReadInt32LittleEndian(bytes);
        if (length < RecordLayout.HeaderSize || length > bytes.Length) return DecodeStatus.Damaged;
        if (bytes[RecordLayout.VersionOffset] != RecordLayout.FormatVersion) return DecodeStatus.UnsupportedVersion;
        bytes = bytes[..length];
        int templateId = BinaryPrimitives.ReadInt32LittleEndian(bytes[RecordLayout.TemplateIdOffset..]);
        var template = _lastTemplate;
        if (template is null || template.Id != templateId)
        {
            template = _templates.Find(templateId);
            if (template is null) return DecodeStatus.UnknownTemplate;
            _lastTemplate = template;
        }
        int categoryId = BinaryPrimitives.ReadInt32LittleEndian(bytes[RecordLayout.LoggerIdOffset..]);
        var category = _lastCategory;
        if (category is null || category.Id != categoryId)
        {
            category = _categories.Find(categoryId);
            if (category is null) return DecodeStatus.UnknownCategory;
            _lastCategory = category;
        }
        var payload = bytes[RecordLayout.HeaderSize..];
        ReadOnlySpan<int> offsets;
        if (template.AllFixed)
        {
            if (payload.Length < template.MinPayloadSize) return DecodeStatus.Damaged;
            offsets = template.FixedOffsets;
        }
        else
        {
            int args = template.Args.Length;
            if (args > _offsets.Length) _offsets = new int[Math.Max(args, _offsets.Length * 2)];
            if (!template.TryGetOffsets(payload, _offsets)) return DecodeStatus.Damaged;
            offsets = _offsets.AsSpan(0, args);
        }
        long raw = BinaryPrimitives.ReadInt64LittleEndian(bytes[RecordLayout.TimestampOffset..]);
        var level = (LogLevel)bytes[RecordLayout.LevelOffset];
        if ((uint)level > (uint)LogLevel.None) return DecodeStatus.Damaged;
        record = new LogRecord(template, category, level, Clock.ToUtc(raw), raw,
            BinaryPrimitives.ReadInt32LittleEndian(bytes[RecordLayout.ThreadIdOffset..]), (RecordFlags)bytes[RecordLayout.FlagsOffset],
            payload, offsets, objects, threadName, default, bytes);
        return DecodeStatus.Ok;
    }

    // ------------------------------------------------------------------ detached records

    /// <summary>
    /// Writes <paramref name="record"/> detached from the process: its bytes (<see cref="LogRecord.RawBytes"/>), then its object
    /// slots with exceptions captured as <see cref="ExceptionInfo"/> (docs/record-format.md, "Detached record"). Records without
    /// raw bytes (the pipeline's own) cannot be detached.
    /// </summary>
    public static void WriteDetached(in LogRecord record, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        var raw = record.RawBytes;
        if (raw.IsEmpty) throw new ArgumentException("The record has no raw bytes (it was not decoded from the record format).", nameof(record));
        var w = new ManifestWriter(output);
        w.VarUInt((uint)raw.Length);
        w.Bytes(raw);
        var objects = record.Objects;
        w.VarUInt((uint)objects.Length);
        // null, or context (scope, activity) that lives only in the process, is kind 0: its enrichers ran before
        foreach (var o in objects) ExceptionInfo.WriteSlot(w, o);
    }

    /// <summary>Decodes a record written by <see cref="WriteDetached"/>; <paramref name="consumed"/> is its size in <paramref name="bytes"/>.</summary>
    public DecodeStatus TryDecodeDetached(ReadOnlySpan<byte> bytes, string? threadName, out LogRecord record, out int consumed)
    {
        record = default;
        consumed = 0;
        ReadOnlySpan<byte> raw;
        int count;
        var r = new ManifestReader(bytes);
        try
        {
            raw = r.Bytes(r.Count(RecordLayout.MaxDetachedRecord));
            count = r.Count(ushort.MaxValue);
            if (count > _detached.Length) _detached = new object?[Math.Max(count, _detached.Length * 2)];
            for (int i = 0; i < count; i++)
                _detached[i] = r.Byte() switch
                {
                    0 => null,
                    1 => ExceptionInfo.Read(ref r, 0),
                    _ => throw new System.IO.InvalidDataException("Unknown object slot kind."),
                };
        }
        catch (System.IO.InvalidDataException)
        {
            return DecodeStatus.Damaged;
        }
        consumed = r.Position;
        return TryDecode(raw, _detached.AsSpan(0, count), threadName, out record);
    }
}
