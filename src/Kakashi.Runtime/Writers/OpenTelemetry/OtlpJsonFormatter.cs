using System;
using System.Text;
using Kakashi.Formatting;
using Kakashi.OpenTelemetry;
using Kakashi.Templates;

namespace Kakashi;

/// <summary>
/// Formats each record as OTLP JSON for <see cref="OtlpWriter"/> with <see cref="OtlpProtocol.HttpJson"/>, per the OTLP JSON
/// mapping (lowerCamelCase field names, trace and span ids as hex, enums as integers, 64-bit integers as strings): one
/// <c>ScopeLogs</c> object per record, <c>{"scope":{"name":"Category"},"logRecords":[{...}]}</c>, which the writer groups
/// by scope into the request. The same fields as <see cref="OtlpFormatter"/>; no allocation per record in steady state.
/// </summary>
public sealed class OtlpJsonFormatter : LogFormatter
{
    /// <summary>What separates a record's scope from its log record: <c>},"logRecords":[</c> cannot occur inside the escaped category.</summary>
    internal static ReadOnlySpan<byte> RecordsStart => "},\"logRecords\":["u8;

    private readonly TemplateCache<Entry> _templates = new();

    /// <summary>Adds the message template as the <c>message_template.text</c> attribute. Default true.</summary>
    public bool IncludeTemplate { get; init; } = true;

    /// <summary>Adds the enrichers' properties as attributes (a template property of the same name wins). Default true.</summary>
    public bool IncludeProperties { get; init; } = true;

    /// <inheritdoc/>
    public override void Format(in LogRecord record, ref Utf8Writer output)
    {
        var entry = _templates.Get(record.Template, static t => new Entry(t));
        output.Write("{\"scope\":{\"name\":"u8);
        output.Write(record.CategoryInfo.JsonUtf8);
        output.Write(RecordsStart);
        ulong time = OtlpValues.UnixNanos(record.Timestamp);
        output.Write("{\"timeUnixNano\":\""u8);
        MessageRenderer.WriteUInt64(ref output, time);
        output.Write("\",\"observedTimeUnixNano\":\""u8);
        MessageRenderer.WriteUInt64(ref output, Math.Max(time, OtlpValues.UnixNanos(DateTime.UtcNow)));
        output.Write((byte)'"');
        int severity = OtlpValues.SeverityNumber(record.Level);
        if (severity != 0)
        {
            output.Write(",\"severityNumber\":"u8);
            MessageRenderer.WriteInt64(ref output, severity);
        }
        output.Write(",\"severityText\":\""u8);
        output.Write(OtlpValues.SeverityText(record.Level));
        output.Write("\",\"body\":{\"stringValue\":"u8);
        if (entry.ConstantMessage is { } constant)
        {
            output.Write(constant);
        }
        else
        {
            var text = OtlpValues.Text();
            var writer = new Utf8Writer(text);
            MessageRenderer.Render(in record, ref writer);
            writer.Commit();
            output.Write((byte)'"');
            JsonEscaping.WriteUtf8(ref output, text.WrittenSpan);
            output.Write((byte)'"');
        }
        output.Write("},\"attributes\":["u8);
        bool first = true;
        var args = record.Template.Args;
        var keys = entry.Keys;
        for (int i = 0; i < args.Length; i++)
        {
            if (keys[i] is not { } key) continue;
            var value = OtlpValues.Read(args[i], record.GetArgData(i));
            Attribute(ref output, ref first, key, in value);
        }
        if (IncludeTemplate) Attribute(ref output, ref first, entry.TemplateAttribute);
        if (entry.EventIdAttribute is { } eventId) Attribute(ref output, ref first, eventId);
        var exception = record.ExceptionObject;
        if (exception is not null)
        {
            var (type, message, stack) = OtlpValues.Exception(exception);
            TextAttribute(ref output, ref first, "\"exception.type\""u8, type);
            TextAttribute(ref output, ref first, "\"exception.message\""u8, message);
            TextAttribute(ref output, ref first, "\"exception.stacktrace\""u8, stack);
        }
        if (IncludeProperties)
        {
            foreach (var property in record.Properties)
            {
                if (property.Tag is WellKnownProperty.TraceId or WellKnownProperty.SpanId || entry.Defines(property.Name)) continue;
                if (!first) output.Write((byte)',');
                first = false;
                output.Write("{\"key\":\""u8);
                JsonEscaping.WriteUtf8(ref output, property.Name);
                output.Write("\",\"value\":"u8);
                var value = OtlpValues.Read(property);
                WriteValue(ref output, in value);
                output.Write((byte)'}');
            }
        }
        output.Write((byte)']');
        Span<byte> traceId = stackalloc byte[16];
        Span<byte> spanId = stackalloc byte[8];
        if (OtlpValues.TryGetTrace(in record, traceId, spanId, out uint flags))
        {
            output.Write(",\"flags\":"u8);
            MessageRenderer.WriteUInt64(ref output, flags & 0xFF);
            output.Write(",\"traceId\":\""u8);
            Hex(ref output, traceId);
            output.Write("\",\"spanId\":\""u8);
            Hex(ref output, spanId);
            output.Write((byte)'"');
        }
        if (entry.EventName is { } eventName)
        {
            output.Write(",\"eventName\":"u8);
            output.Write(eventName);
        }
        output.Write("}]}"u8);
    }

    private static void Attribute(ref Utf8Writer output, ref bool first, byte[] key, in OtlpValue value)
    {
        if (!first) output.Write((byte)',');
        first = false;
        output.Write("{\"key\":"u8);
        output.Write(key);
        output.Write(",\"value\":"u8);
        WriteValue(ref output, in value);
        output.Write((byte)'}');
    }

    private static void Attribute(ref Utf8Writer output, ref bool first, byte[] whole)
    {
        if (!first) output.Write((byte)',');
        first = false;
        output.Write(whole);
    }

    private static void TextAttribute(ref Utf8Writer output, ref bool first, ReadOnlySpan<byte> key, string value)
    {
        if (!first) output.Write((byte)',');
        first = false;
        output.Write("{\"key\":"u8);
        output.Write(key);
        output.Write(",\"value\":{\"stringValue\":\""u8);
        JsonEscaping.WriteUtf16(ref output, value);
        output.Write("\"}}"u8);
    }

    private static void WriteValue(ref Utf8Writer output, in OtlpValue value)
    {
        switch (value.Kind)
        {
            case OtlpKind.Chars:
                output.Write("{\"stringValue\":\""u8);
                JsonEscaping.WriteUtf16(ref output, value.Chars);
                if (value.Truncated) output.Write(OtlpValues.TruncatedMarker);
                output.Write("\"}"u8);
                return;
            case OtlpKind.Utf8:
                output.Write("{\"stringValue\":\""u8);
                JsonEscaping.WriteUtf8(ref output, value.Utf8);
                if (value.Truncated) output.Write(OtlpValues.TruncatedMarker);
                output.Write("\"}"u8);
                return;
            case OtlpKind.Bool:
                output.Write(value.Bool ? "{\"boolValue\":true}"u8 : "{\"boolValue\":false}"u8);
                return;
            case OtlpKind.Int:
                output.Write("{\"intValue\":\""u8);
                MessageRenderer.WriteInt64(ref output, value.Int);
                output.Write("\"}"u8);
                return;
            case OtlpKind.Double:
                output.Write("{\"doubleValue\":"u8);
                double number = value.Double;
                if (double.IsNaN(number)) output.Write("\"NaN\""u8);
                else if (double.IsPositiveInfinity(number)) output.Write("\"Infinity\""u8);
                else if (double.IsNegativeInfinity(number)) output.Write("\"-Infinity\""u8);
                else
                {
                    // the shortest text that round-trips; written directly (the generic WriteFormatted boxes until the JIT optimizes it)
                    var dest = output.GetSpan(32);
                    if (!DoubleCodec.TryFormatShortDecimal(number, dest, out int n) && !number.TryFormat(dest, out n, default, System.Globalization.CultureInfo.InvariantCulture)) n = 0;
                    output.Advance(n);
                }
                output.Write((byte)'}');
                return;
            default:
                output.Write("{}"u8);
                return;
        }
    }

    private static void Hex(ref Utf8Writer output, scoped ReadOnlySpan<byte> bytes)
    {
        var dest = output.GetSpan(bytes.Length * 2);
        for (int i = 0; i < bytes.Length; i++)
        {
            dest[2 * i] = "0123456789abcdef"u8[bytes[i] >> 4];
            dest[2 * i + 1] = "0123456789abcdef"u8[bytes[i] & 0xF];
        }
        output.Advance(bytes.Length * 2);
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
                Keys[i] = JsonEscaping.EncodeString(name);
                _names[i] = Encoding.UTF8.GetBytes(name);
            }
            TemplateAttribute = Encoding.UTF8.GetBytes("{\"key\":\"" + OtlpValues.MessageTemplateAttribute + "\",\"value\":{\"stringValue\":"
                + Encoding.UTF8.GetString(JsonEscaping.EncodeString(template.Message)) + "}}");
            if (template.EventId != 0)
            {
                EventIdAttribute = Encoding.UTF8.GetBytes("{\"key\":\"" + OtlpValues.EventIdAttribute + "\",\"value\":{\"intValue\":\""
                    + template.EventId.ToString(System.Globalization.CultureInfo.InvariantCulture) + "\"}}");
            }
            if (!string.IsNullOrEmpty(template.EventName)) EventName = JsonEscaping.EncodeString(template.EventName);
            if (OtlpValues.ConstantMessage(template) is { } constant) ConstantMessage = JsonEscaping.EncodeString(constant);
        }

        /// <summary>Per argument: the attribute's name as a quoted JSON string, or null when the argument is not an attribute.</summary>
        public byte[]?[] Keys { get; }
        public byte[] TemplateAttribute { get; }
        public byte[]? EventIdAttribute { get; }
        public byte[]? EventName { get; }
        public byte[]? ConstantMessage { get; }

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
