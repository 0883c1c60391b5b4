using System;
using System.Text;
using Kakashi.Formatting;
using Kakashi.OpenTelemetry;
using Kakashi.Templates;

namespace Kakashi;

/// <summary>
/// Formats each record as OTLP protobuf for <see cref="OtlpWriter"/>: one <c>ScopeLogs</c> message holding the record's
/// category as <c>InstrumentationScope.name</c> and the record as its single <c>LogRecord</c>, so the writer groups the
/// records of a request by scope without decoding them (field 1 is the scope, field 2 the record, exactly as a
/// <c>ScopeLogs</c> lays them out). The mapping is in docs/writers.md (OtlpWriter). No allocation per record in steady state
/// (a record with an exception allocates the exception's text, as every formatter does).
/// </summary>
/// <remarks>One instance may serve several pipelines and threads: its caches are immutable entries swapped atomically and
/// its scratch space is per thread.</remarks>
public sealed class OtlpFormatter : LogFormatter
{
    // LogRecord fields
    private const int TimeUnixNano = 1, SeverityNumberField = 2, SeverityTextField = 3, Body = 5, Attributes = 6, Flags = 8,
        TraceIdField = 9, SpanIdField = 10, ObservedTimeUnixNano = 11, EventName = 12;
    // AnyValue fields
    internal const int StringValue = 1, BoolValue = 2, IntValue = 3, DoubleValue = 4;

    [ThreadStatic] private static ProtoBuffer? t_record;

    private readonly TemplateCache<Entry> _templates = new();

    /// <summary>Adds the message template as the <c>message_template.text</c> attribute (the name Serilog's OTLP sink uses). Default true.</summary>
    public bool IncludeTemplate { get; init; } = true;

    /// <summary>Adds the enrichers' properties as attributes (a template property of the same name wins). Default true.</summary>
    public bool IncludeProperties { get; init; } = true;

    /// <inheritdoc/>
    public override void Format(in LogRecord record, ref Utf8Writer output)
    {
        var entry = _templates.Get(record.Template, static t => new Entry(t));
        var buffer = t_record ??= new ProtoBuffer();
        buffer.Reset();
        // ScopeLogs.scope = InstrumentationScope { name = category }
        var category = record.CategoryInfo.NameUtf8;
        buffer.Tag(1, ProtoBuffer.Len);
        buffer.WriteVarint((ulong)(category.Length + 1 + ProtoBuffer.VarintSize((ulong)category.Length)));
        buffer.StringField(1, category);
        // ScopeLogs.log_records[0]
        buffer.Tag(2, ProtoBuffer.Len);
        int recordAt = buffer.BeginLength();
        WriteRecord(in record, entry, buffer);
        buffer.EndLength(recordAt);
        output.Write(buffer.Written);
    }

    private void WriteRecord(in LogRecord record, Entry entry, ProtoBuffer buffer)
    {
        ulong time = OtlpValues.UnixNanos(record.Timestamp);
        buffer.Tag(TimeUnixNano, ProtoBuffer.Fixed64);
        buffer.WriteFixed64(time);
        int severity = OtlpValues.SeverityNumber(record.Level);
        if (severity != 0)
        {
            buffer.Tag(SeverityNumberField, ProtoBuffer.Varint);
            buffer.WriteVarint((ulong)severity);
        }
        buffer.StringField(SeverityTextField, OtlpValues.SeverityText(record.Level));

        // body: the rendered message
        if (entry.ConstantBody is { } constant)
        {
            buffer.WriteBytes(constant);
        }
        else
        {
            var text = OtlpValues.Text();
            var writer = new Utf8Writer(text);
            MessageRenderer.Render(in record, ref writer);
            writer.Commit();
            buffer.Tag(Body, ProtoBuffer.Len);
            int bodyAt = buffer.BeginLength();
            buffer.StringField(StringValue, text.WrittenSpan);
            buffer.EndLength(bodyAt);
        }

        // attributes: the template's properties, typed
        var args = record.Template.Args;
        var keys = entry.Keys;
        for (int i = 0; i < args.Length; i++)
        {
            if (keys[i] is not { } key) continue;
            var value = OtlpValues.Read(args[i], record.GetArgData(i));
            WriteAttribute(buffer, key, in value);
        }
        if (IncludeTemplate) buffer.WriteBytes(entry.TemplateAttribute);
        if (entry.EventIdAttribute is { } eventId) buffer.WriteBytes(eventId);

        var exception = record.ExceptionObject;
        if (exception is not null)
        {
            var (type, message, stack) = OtlpValues.Exception(exception);
            WriteTextAttribute(buffer, OtlpValues.ExceptionType, type);
            WriteTextAttribute(buffer, OtlpValues.ExceptionMessage, message);
            WriteTextAttribute(buffer, OtlpValues.ExceptionStacktrace, stack);
        }

        if (IncludeProperties)
        {
            foreach (var property in record.Properties)
            {
                if (property.Tag is WellKnownProperty.TraceId or WellKnownProperty.SpanId || entry.Defines(property.Name)) continue;
                buffer.Tag(Attributes, ProtoBuffer.Len);
                int at = buffer.BeginLength();
                buffer.StringField(1, property.Name);
                var value = OtlpValues.Read(property);
                WriteValue(buffer, in value);
                buffer.EndLength(at);
            }
        }

        Span<byte> traceId = stackalloc byte[16];
        Span<byte> spanId = stackalloc byte[8];
        if (OtlpValues.TryGetTrace(in record, traceId, spanId, out uint flags))
        {
            buffer.Tag(Flags, ProtoBuffer.Fixed32);
            buffer.WriteFixed32(flags & 0xFF);
            buffer.StringField(TraceIdField, traceId);
            buffer.StringField(SpanIdField, spanId);
        }

        buffer.Tag(ObservedTimeUnixNano, ProtoBuffer.Fixed64);
        buffer.WriteFixed64(Math.Max(time, OtlpValues.UnixNanos(DateTime.UtcNow)));
        buffer.WriteBytes(entry.EventNameField);
    }

    private static void WriteAttribute(ProtoBuffer buffer, byte[] key, in OtlpValue value)
    {
        buffer.Tag(Attributes, ProtoBuffer.Len);
        int at = buffer.BeginLength();
        buffer.WriteBytes(key);
        WriteValue(buffer, in value);
        buffer.EndLength(at);
    }

    private static void WriteTextAttribute(ProtoBuffer buffer, string key, string value)
    {
        buffer.Tag(Attributes, ProtoBuffer.Len);
        int at = buffer.BeginLength();
        buffer.StringField(1, key.AsSpan());
        buffer.Tag(2, ProtoBuffer.Len);
        int valueAt = buffer.BeginLength();
        buffer.StringField(StringValue, value.AsSpan());
        buffer.EndLength(valueAt);
        buffer.EndLength(at);
    }

    /// <summary>KeyValue.value = AnyValue (field 2).</summary>
    internal static void WriteValue(ProtoBuffer buffer, in OtlpValue value)
    {
        buffer.Tag(2, ProtoBuffer.Len);
        int at = buffer.BeginLength();
        switch (value.Kind)
        {
            case OtlpKind.Chars:
                buffer.StringField(StringValue, value.Chars, value.Truncated ? OtlpValues.TruncatedMarker : default);
                break;
            case OtlpKind.Utf8:
                if (value.Truncated)
                {
                    buffer.Tag(StringValue, ProtoBuffer.Len);
                    int textAt = buffer.BeginLength();
                    buffer.WriteBytes(value.Utf8);
                    buffer.WriteBytes(OtlpValues.TruncatedMarker);
                    buffer.EndLength(textAt);
                }
                else
                {
                    buffer.StringField(StringValue, value.Utf8);
                }
                break;
            case OtlpKind.Bool:
                buffer.Tag(BoolValue, ProtoBuffer.Varint);
                buffer.WriteVarint(value.Bool ? 1UL : 0UL);
                break;
            case OtlpKind.Int:
                buffer.Tag(IntValue, ProtoBuffer.Varint);
                buffer.WriteVarint((ulong)value.Int);
                break;
            case OtlpKind.Double:
                buffer.Tag(DoubleValue, ProtoBuffer.Fixed64);
                buffer.WriteFixed64(BitConverter.DoubleToUInt64Bits(value.Double));
                break;
        }
        buffer.EndLength(at);
    }

    /// <summary>A whole KeyValue attribute field with a string value, encoded once.</summary>
    internal static byte[] TextAttribute(string key, string value)
    {
        var buffer = new ProtoBuffer(64);
        WriteTextAttribute(buffer, key, value);
        return buffer.Written.ToArray();
    }

    private sealed class Entry
    {
        private readonly byte[]?[] _names;

        public Entry(LogTemplate template)
        {
            var names = OtlpValues.ArgNames(template);
            Keys = new byte[]?[names.Length];
            _names = new byte[]?[names.Length];
            for (int i = 0; i < names.Length; i++)
            {
                if (names[i] is not { } name) continue;
                var key = new ProtoBuffer(64);
                key.StringField(1, name.AsSpan());
                Keys[i] = key.Written.ToArray();
                _names[i] = Encoding.UTF8.GetBytes(name);
            }
            TemplateAttribute = TextAttribute(OtlpValues.MessageTemplateAttribute, template.Message);
            if (template.EventId != 0)
            {
                var id = new ProtoBuffer(64);
                id.Tag(Attributes, ProtoBuffer.Len);
                int at = id.BeginLength();
                id.StringField(1, OtlpValues.EventIdAttribute.AsSpan());
                WriteValue(id, new OtlpValue(OtlpKind.Int, template.EventId));
                id.EndLength(at);
                EventIdAttribute = id.Written.ToArray();
            }
            var eventName = new ProtoBuffer(64);
            if (!string.IsNullOrEmpty(template.EventName)) eventName.StringField(EventName, template.EventName.AsSpan());
            EventNameField = eventName.Written.ToArray();
            if (OtlpValues.ConstantMessage(template) is { } constant)
            {
                var body = new ProtoBuffer(64);
                body.Tag(Body, ProtoBuffer.Len);
                int at = body.BeginLength();
                body.StringField(StringValue, constant.AsSpan());
                body.EndLength(at);
                ConstantBody = body.Written.ToArray();
            }
        }

        /// <summary>Per argument: the KeyValue's key field (tag, length, name), or null when the argument is not an attribute.</summary>
        public byte[]?[] Keys { get; }
        public byte[] TemplateAttribute { get; }
        public byte[]? EventIdAttribute { get; }
        public byte[] EventNameField { get; }
        public byte[]? ConstantBody { get; }

        public bool Defines(ReadOnlySpan<byte> name)
        {
            foreach (var own in _names)
            {
                if (own is not null && name.SequenceEqual(own)) return true;
            }
            return false;
        }
    }
}
