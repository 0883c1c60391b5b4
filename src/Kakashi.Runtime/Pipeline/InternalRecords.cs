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

    // parsed at run time by the same parser the generator uses, and registered like generated templates
    public static readonly LogTemplate Dropped = Register(
        "Kakashi.Backpressure.Dropped", LogLevel.Warning, 9001, "Dropped", "Dropped {Count} records due to backpressure (strategy {Strategy})",
        new TemplateArg("count", ArgType.Int64), new TemplateArg("strategy", ArgType.String));

    public static readonly LogTemplate BufferWarning = Register(
        "Kakashi.Backpressure.BufferWarning", LogLevel.Warning, 9002, "BufferWarning", "Buffer {Fill}/{Capacity} (approaching limit)",
        new TemplateArg("fill", ArgType.Int64), new TemplateArg("capacity", ArgType.Int64));

    public static readonly LogTemplate WriterFailed = Register(
        "Kakashi.Async.WriterFailed", LogLevel.Error, 9003, "WriterFailed", "Writer {Writer} failed: {Error}",
        new TemplateArg("writer", ArgType.String), new TemplateArg("error", ArgType.String), new TemplateArg("exception", ArgType.Exception));

    public static readonly LogTemplate Summary = Register(
        "Kakashi.Filter.Suppressed", LogLevel.Information, 9004, "Suppressed", "Suppressed {Count} records of {Source} ({Filter})",
        new TemplateArg("count", ArgType.Int64), new TemplateArg("source", ArgType.String), new TemplateArg("filter", ArgType.String));

    /// <summary>The drain's start-up warm-up record (never registered, never written: <see cref="Drain"/>).</summary>
    public static readonly LogTemplate WarmUp = LogTemplate.Parse(
        "Kakashi.Drain.WarmUp", LogLevel.Information, 0, "WarmUp", "Warm {Id} {Count} {Price} {Name}",
        [new TemplateArg("id", ArgType.Int32), new TemplateArg("count", ArgType.Int64), new TemplateArg("price", ArgType.Double), new TemplateArg("name", ArgType.String)]);

    private static LogTemplate Register(string method, LogLevel level, int eventId, string eventName, string message, params TemplateArg[] args)
        => TemplateRegistry.Shared.Register(LogTemplate.Parse(method, level, eventId, eventName, message, args));
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

    public PayloadBuilder Int64(long value) => Fixed(value);

    public PayloadBuilder Int32(int value) => Fixed(value);

    public PayloadBuilder Double(double value) => Fixed(value);

    /// <summary>A fixed-size value as its raw little-endian bytes (the record format's encoding of every fixed-size type).</summary>
    private unsafe PayloadBuilder Fixed<T>(T value) where T : unmanaged
    {
        Ensure(sizeof(T));
        _offsets[_count++] = _length;
        MemoryMarshal.Write(_buffer.AsSpan(_length), in value);
        _length += sizeof(T);
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
