using System;
using System.Runtime.InteropServices;
using Kakashi.Buffers;
using Kakashi.Templates;
using Microsoft.Extensions.Logging;

namespace Kakashi.Pipeline;

/// <summary>
/// Records the pipeline writes about itself (categories <c>kakashi.backpressure</c> and <c>kakashi.async.error</c>): their
/// templates, and a small encoder that builds their payload in the ring's format so formatters see ordinary records.
/// </summary>
internal static class InternalRecords
{
    public const string BackpressureCategory = "kakashi.backpressure";
    public const string ErrorCategory = "kakashi.async.error";
    public const string FilterCategory = "kakashi.filter";

    public static readonly LogTemplate Dropped = new(
        "Kakashi.Backpressure.Dropped", LogLevel.Warning, 9001, "Dropped", "Dropped {Count} records due to backpressure (strategy {Strategy})",
        [TemplateSegment.Literal("Dropped "), TemplateSegment.Hole("Count", 0), TemplateSegment.Literal(" records due to backpressure (strategy "), TemplateSegment.Hole("Strategy", 1), TemplateSegment.Literal(")")],
        [new TemplateArg("count", ArgCodecs.Utf8Formattable<long>()), new TemplateArg("strategy", ArgCodecs.String)]);

    public static readonly LogTemplate BufferWarning = new(
        "Kakashi.Backpressure.BufferWarning", LogLevel.Warning, 9002, "BufferWarning", "Buffer {Fill}/{Capacity} (approaching limit)",
        [TemplateSegment.Literal("Buffer "), TemplateSegment.Hole("Fill", 0), TemplateSegment.Literal("/"), TemplateSegment.Hole("Capacity", 1), TemplateSegment.Literal(" (approaching limit)")],
        [new TemplateArg("fill", ArgCodecs.Utf8Formattable<long>()), new TemplateArg("capacity", ArgCodecs.Utf8Formattable<long>())]);

    public static readonly LogTemplate WriterFailed = new(
        "Kakashi.Async.WriterFailed", LogLevel.Error, 9003, "WriterFailed", "Writer {Writer} failed: {Error}",
        [TemplateSegment.Literal("Writer "), TemplateSegment.Hole("Writer", 0), TemplateSegment.Literal(" failed: "), TemplateSegment.Hole("Error", 1)],
        [new TemplateArg("writer", ArgCodecs.String), new TemplateArg("error", ArgCodecs.String), new TemplateArg("exception", ArgCodecs.Exception)]);

    public static readonly LogTemplate Summary = new(
        "Kakashi.Filter.Suppressed", LogLevel.Information, 9004, "Suppressed", "Suppressed {Count} records of {Source} ({Filter})",
        [TemplateSegment.Literal("Suppressed "), TemplateSegment.Hole("Count", 0), TemplateSegment.Literal(" records of "), TemplateSegment.Hole("Source", 1), TemplateSegment.Literal(" ("), TemplateSegment.Hole("Filter", 2), TemplateSegment.Literal(")")],
        [new TemplateArg("count", ArgCodecs.Utf8Formattable<long>()), new TemplateArg("source", ArgCodecs.String), new TemplateArg("filter", ArgCodecs.String)]);
}

/// <summary>Builds one internal record's payload (drain thread only; reused).</summary>
internal sealed class PayloadBuilder
{
    private byte[] _buffer = new byte[1024];
    private int _length;
    private readonly int[] _offsets = new int[8];
    private int _count;

    public void Reset()
    {
        _length = 0;
        _count = 0;
    }

    public PayloadBuilder Int64(long value)
    {
        Ensure(8);
        _offsets[_count++] = _length;
        MemoryMarshal.Write(_buffer.AsSpan(_length), in value);
        _length += 8;
        return this;
    }

    public PayloadBuilder String(string? value)
    {
        int chars = value?.Length ?? 0;
        Ensure(4 + chars * 2);
        _offsets[_count++] = _length;
        int header = value is null ? RecordLayout.NullString : chars;
        MemoryMarshal.Write(_buffer.AsSpan(_length), in header);
        if (value is not null) MemoryMarshal.AsBytes(value.AsSpan()).CopyTo(_buffer.AsSpan(_length + 4));
        _length += 4 + chars * 2;
        return this;
    }

    public PayloadBuilder Object()
    {
        _offsets[_count++] = _length; // exceptions travel in the object slots
        return this;
    }

    public ReadOnlySpan<byte> Payload => _buffer.AsSpan(0, _length);

    public int[] Offsets => _offsets;

    private void Ensure(int bytes)
    {
        if (_length + bytes > _buffer.Length) Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, _length + bytes));
    }
}
