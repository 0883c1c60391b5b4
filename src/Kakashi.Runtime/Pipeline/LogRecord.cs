using System;
using Kakashi.Buffers;
using Kakashi.Formatting;
using Kakashi.Templates;
using Microsoft.Extensions.Logging;

namespace Kakashi;

/// <summary>
/// One decoded record, as formatters see it on the drain thread: header fields, the template, and views over the raw
/// argument bytes still in the ring. Valid only during the formatter call; nothing is copied or allocated to build it.
/// </summary>
public readonly ref struct LogRecord
{
    private readonly ReadOnlySpan<byte> _payload;
    private readonly ReadOnlySpan<int> _offsets;
    private readonly ReadOnlySpan<object?> _objects;
    private readonly KakashiLogger _logger;
    private readonly ReadOnlySpan<byte> _properties;

    internal LogRecord(LogTemplate template, KakashiLogger logger, LogLevel level, DateTime timestamp, long rawTimestamp, int threadId,
        RecordFlags flags, ReadOnlySpan<byte> payload, ReadOnlySpan<int> offsets, ReadOnlySpan<object?> objects, string? threadName = null,
        ReadOnlySpan<byte> properties = default)
    {
        ThreadName = threadName;
        _properties = properties;
        Template = template;
        _logger = logger;
        Level = level;
        Timestamp = timestamp;
        RawTimestamp = rawTimestamp;
        ThreadId = threadId;
        Flags = flags;
        _payload = payload;
        _offsets = offsets;
        _objects = objects;
    }

    public LogTemplate Template { get; }

    public LogLevel Level { get; }

    /// <summary>When the record was logged, UTC.</summary>
    public DateTime Timestamp { get; }

    /// <summary>The raw clock value taken on the calling thread.</summary>
    public long RawTimestamp { get; }

    public int ThreadId { get; }

    public RecordFlags Flags { get; }

    public string Category => _logger.Category;

    /// <summary>The category's id within the pipeline (stable for the pipeline's lifetime).</summary>
    public int CategoryId => _logger._id;

    /// <summary>The logging thread's name, if it has one.</summary>
    public string? ThreadName { get; }

    /// <summary>The innermost <see cref="LogScope"/> at the logging call (captured when a <see cref="ScopeEnricher"/> is configured).</summary>
    public LogScope? Scope => (Flags & RecordFlags.HasScope) != 0 && _objects.Length > 0 ? _objects[0] as LogScope : null;

    /// <summary><see cref="System.Diagnostics.Activity.Current"/> at the logging call (captured when an <see cref="ActivityEnricher"/> is configured).</summary>
    public System.Diagnostics.Activity? Activity
    {
        get
        {
            if ((Flags & RecordFlags.HasActivity) == 0) return null;
            int slot = (Flags & RecordFlags.HasScope) != 0 ? 1 : 0;
            return slot < _objects.Length ? _objects[slot] as System.Diagnostics.Activity : null;
        }
    }

    /// <summary>The enrichers' properties, rendered as UTF-8 <c>Name=Value</c> pairs separated by spaces (logfmt); empty when there are none.</summary>
    public ReadOnlySpan<byte> Properties => _properties;


    public ReadOnlySpan<byte> CategoryUtf8 => _logger.CategoryUtf8;

    public int EventId => Template.EventId;

    public string EventName => Template.EventName;

    /// <summary>The exception parameter's value, if the method has one.</summary>
    public Exception? Exception => Template.ExceptionArg >= 0 ? GetObject(Template.ExceptionArg) as Exception : null;

    public int ArgCount => Template.Args.Length;

    /// <summary>The encoded bytes of argument <paramref name="index"/> (decode with its <see cref="ArgCodec"/>).</summary>
    public ReadOnlySpan<byte> GetArgData(int index) => _payload[_offsets[index]..];

    /// <summary>The object (exception) an argument refers to, for codecs of kind <see cref="ArgKind.Exception"/>.</summary>
    public object? GetObject(int argIndex)
    {
        // object slots: the caller's context first (scope, activity), then exception arguments in order
        int slot = ((Flags & RecordFlags.HasScope) != 0 ? 1 : 0) + ((Flags & RecordFlags.HasActivity) != 0 ? 1 : 0);
        var args = Template.Args;
        for (int i = 0; i < argIndex; i++) if (args[i].IsException) slot++;
        return (uint)slot < (uint)_objects.Length ? _objects[slot] : null;
    }

    /// <summary>Renders the message (template with arguments) as UTF-8.</summary>
    public void WriteMessage(ref Utf8Writer output) => MessageRenderer.Render(in this, ref output);

    /// <summary>Renders the message to a string (allocates; for tests and diagnostics).</summary>
    public string GetMessage()
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        var writer = new Utf8Writer(buffer);
        WriteMessage(ref writer);
        writer.Commit();
        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}
