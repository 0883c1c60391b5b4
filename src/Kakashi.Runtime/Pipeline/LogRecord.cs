using System;
using Kakashi.Buffers;
using Kakashi.Formatting;
using Kakashi.Templates;
using Microsoft.Extensions.Logging;

namespace Kakashi;

/// <summary>
/// One decoded record, as filters, enrichers, observers and formatters see it: header fields, the template, the category,
/// and views over the raw argument bytes (still in the ring, on the drain). Valid only during the call it is passed to;
/// nothing is copied or allocated to build it. Built by the pipeline's decoder, or by hand from a template and a category
/// (a decoder tool, a test) with the public constructor.
/// </summary>
public readonly ref struct LogRecord
{
    private readonly ReadOnlySpan<byte> _payload;
    private readonly ReadOnlySpan<int> _offsets;
    private readonly ReadOnlySpan<object?> _objects;
    private readonly LogCategory _category;
    private readonly ReadOnlySpan<byte> _properties;
    private readonly ReadOnlySpan<byte> _raw;

    /// <summary>
    /// A record from its parts. <paramref name="argOffsets"/> gives where each of the template's arguments starts in
    /// <paramref name="payload"/>; <paramref name="objects"/> holds the object slots (exceptions, as <see cref="Exception"/> or
    /// <see cref="ExceptionInfo"/>; a scope and an activity first when <paramref name="flags"/> says so).
    /// </summary>
    public LogRecord(LogTemplate template, LogCategory category, LogLevel level, DateTime timestamp, int threadId, ReadOnlySpan<byte> payload,
        ReadOnlySpan<int> argOffsets, ReadOnlySpan<object?> objects = default, string? threadName = null, RecordFlags flags = RecordFlags.None)
        : this(template, category, level, timestamp, 0, threadId, flags, payload, argOffsets, objects, threadName)
    {
        ArgumentNullException.ThrowIfNull(template);
        ArgumentNullException.ThrowIfNull(category);
        if (argOffsets.Length < template.Args.Length) throw new ArgumentException($"{template.Method} has {template.Args.Length} arguments; {argOffsets.Length} offsets given.", nameof(argOffsets));
    }

    internal LogRecord(LogTemplate template, LogCategory category, LogLevel level, DateTime timestamp, long rawTimestamp, int threadId,
        RecordFlags flags, ReadOnlySpan<byte> payload, ReadOnlySpan<int> offsets, ReadOnlySpan<object?> objects, string? threadName = null,
        ReadOnlySpan<byte> properties = default, ReadOnlySpan<byte> raw = default)
    {
        ThreadName = threadName;
        _properties = properties;
        Template = template;
        _category = category;
        Level = level;
        Timestamp = timestamp;
        RawTimestamp = rawTimestamp;
        ThreadId = threadId;
        Flags = flags;
        _payload = payload;
        _offsets = offsets;
        _objects = objects;
        _raw = raw;
    }

    /// <summary>This record with the enrichers' <paramref name="properties"/>.</summary>
    internal LogRecord WithProperties(ReadOnlySpan<byte> properties)
        => new(Template, _category, Level, Timestamp, RawTimestamp, ThreadId, Flags, _payload, _offsets, _objects, ThreadName, properties, _raw);

    /// <summary>The log method's template: message, event id and name, the arguments' names and types.</summary>
    public LogTemplate Template { get; }

    /// <summary>The record's level.</summary>
    public LogLevel Level { get; }

    /// <summary>When the record was logged, UTC.</summary>
    public DateTime Timestamp { get; }

    /// <summary>The raw clock value taken on the calling thread (0 for a record built by hand).</summary>
    public long RawTimestamp { get; }

    /// <summary>The logging thread's managed thread id.</summary>
    public int ThreadId { get; }

    /// <summary>The record's flags (truncated, captured scope or activity).</summary>
    public RecordFlags Flags { get; }

    /// <summary>The category (logger name) the record was logged under.</summary>
    public string Category => _category.Name;

    /// <summary>The category as data.</summary>
    public LogCategory CategoryInfo => _category;

    /// <summary>The category's id within the pipeline (stable for the pipeline's lifetime).</summary>
    public int CategoryId => _category.Id;

    /// <summary>The logging thread's name, if it has one.</summary>
    public string? ThreadName { get; }

    /// <summary>
    /// The record's bytes in the record format (header and payload, docs/record-format.md) when it was decoded from them
    /// (the ring, a file); empty for the pipeline's own records and records built by hand. Object slots are not in them.
    /// </summary>
    public ReadOnlySpan<byte> RawBytes => _raw;

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

    /// <summary>
    /// The W3C trace context of the record: from the <see cref="Activity"/> captured at the logging call, or, for a record
    /// read back from a .klog file, from the ids stored with it. False when there is none (or the activity is not W3C).
    /// </summary>
    internal bool TryGetTraceIds(out System.Diagnostics.ActivityTraceId traceId, out System.Diagnostics.ActivitySpanId spanId, out byte traceFlags)
    {
        traceId = default;
        spanId = default;
        traceFlags = 0;
        if ((Flags & RecordFlags.HasActivity) == 0) return false;
        int slot = (Flags & RecordFlags.HasScope) != 0 ? 1 : 0;
        object? o = slot < _objects.Length ? _objects[slot] : null;
        if (o is System.Diagnostics.Activity { IdFormat: System.Diagnostics.ActivityIdFormat.W3C } activity)
        {
            traceId = activity.TraceId;
            spanId = activity.SpanId;
            traceFlags = (byte)activity.ActivityTraceFlags;
            return true;
        }
        if (o is Writers.BinaryLog.DetachedTrace detached)
        {
            traceId = detached.TraceId;
            spanId = detached.SpanId;
            traceFlags = detached.Flags;
            return true;
        }
        return false;
    }

    /// <summary>The trace context as the .klog writer stores it.</summary>
    internal bool TryGetTrace(out Writers.BinaryLog.TraceIds trace)
    {
        trace = default;
        if (!TryGetTraceIds(out var traceId, out var spanId, out byte flags)) return false;
        trace = new Writers.BinaryLog.TraceIds(traceId, spanId, flags);
        return true;
    }

    /// <summary>The enrichers' properties as encoded bytes (what a .klog record stores).</summary>
    internal ReadOnlySpan<byte> PropertiesBytes => _properties;

    /// <summary>The enrichers' properties (names, values and kinds); text writes them as logfmt (<see cref="RecordProperties.WriteLogfmt(ref Utf8Writer)"/>), JSON as typed fields.</summary>
    public RecordProperties Properties => new(_properties);

    /// <summary>The category as UTF-8, control characters escaped (what text formats write).</summary>
    public ReadOnlySpan<byte> CategoryUtf8 => _category.TextUtf8;

    /// <summary>The event id (<see cref="LogTemplate.EventId"/>).</summary>
    public int EventId => Template.EventId;

    /// <summary>The event name (<see cref="LogTemplate.EventName"/>).</summary>
    public string EventName => Template.EventName;

    /// <summary>The exception parameter's value, if the method has one and it is a live exception (not one read back as <see cref="ExceptionInfo"/>).</summary>
    public Exception? Exception => Template.ExceptionArg >= 0 ? GetObject(Template.ExceptionArg) as Exception : null;

    /// <summary>The exception parameter's value as an <see cref="System.Exception"/> or an <see cref="ExceptionInfo"/>; null when there is none.</summary>
    public object? ExceptionObject => Template.ExceptionArg >= 0 ? GetObject(Template.ExceptionArg) : null;

    /// <summary>How many arguments the record carries.</summary>
    public int ArgCount => Template.Args.Length;

    /// <summary>The encoded bytes of argument <paramref name="index"/> (decode with its <see cref="ArgCodec"/>).</summary>
    public ReadOnlySpan<byte> GetArgData(int index) => _payload[_offsets[index]..];

    /// <summary>The argument bytes of the whole record.</summary>
    public ReadOnlySpan<byte> Payload => _payload;

    /// <summary>The object slots (see the constructor).</summary>
    public ReadOnlySpan<object?> Objects => _objects;

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

    /// <summary>
    /// Renders the message; with <paramref name="escapeControl"/>, control characters in argument values are escaped
    /// (what the text formatter does by default, see <see cref="TextFormatter.EscapeControlCharacters"/>). Structured
    /// formatters that escape the whole message themselves (JSON) render it without.
    /// </summary>
    internal void WriteMessage(ref Utf8Writer output, bool escapeControl) => MessageRenderer.Render(in this, ref output, escapeControl);

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
