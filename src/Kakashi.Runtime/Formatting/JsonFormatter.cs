using System;
using System.Buffers;
using System.Collections.Generic;
using System.Threading;
using Kakashi.Buffers;
using Kakashi.Formatting;
using Kakashi.Templates;
using Microsoft.Extensions.Logging;

namespace Kakashi;

/// <summary>Which fields a <see cref="JsonFormatter"/> writes, and under which names (docs/formats.md shows all three).</summary>
public enum JsonFieldSet
{
    /// <summary>Kakashi's own: <c>Timestamp</c>, <c>Level</c>, <c>Category</c>, <c>EventId</c>, <c>EventName</c>,
    /// <c>MessageTemplate</c>, <c>Message</c>, <c>Properties</c> (typed), <c>Exception</c> (type, message, stack trace, inner).</summary>
    Kakashi,
    /// <summary>Compact Log Event Format, what Seq ingests: <c>@t</c>, <c>@mt</c>, <c>@m</c>, <c>@l</c>, <c>@x</c>, <c>@i</c>,
    /// <c>@tr</c>/<c>@sp</c>, properties at the top level (a name starting with <c>@</c> is written <c>@@</c>).</summary>
    Clef,
    /// <summary>Elastic Common Schema 8.11, what Elasticsearch and Kibana expect: <c>@timestamp</c>, <c>log.level</c>,
    /// <c>message</c>, <c>ecs.version</c>, <c>log.logger</c>, <c>event.code</c>, <c>error.*</c>, <c>trace.id</c>,
    /// <c>span.id</c>, <c>process.thread.id</c>; template properties typed under the custom <c>kakashi.properties</c>
    /// namespace, other enricher properties under <c>labels</c>.</summary>
    Ecs,
}

/// <summary>
/// One UTF-8 JSON object per line, written straight into the batch: no string and no allocation per record in steady
/// state. Template properties keep their JSON type (numbers bare, <c>true</c>/<c>false</c>, <c>null</c>, enums by name,
/// dates and times ISO 8601, GUIDs as strings, NaN and infinities as strings); enricher properties keep theirs. Every line
/// is valid JSON for every input: control characters, quotes, backslashes, U+2028/2029, invalid UTF-8 and lone surrogates
/// are escaped or replaced (<c>JsonEscaping</c>).
/// </summary>
/// <remarks>One instance may serve several pipelines and threads: its caches are immutable entries swapped atomically and
/// its scratch space is per thread.</remarks>
public sealed class JsonFormatter : LogFormatter
{
    /// <summary>The ECS version written in <c>ecs.version</c>.</summary>
    public const string EcsVersion = "8.11.0";

    private static readonly byte[] s_ecsVersionThenLogger = System.Text.Encoding.UTF8.GetBytes(",\"ecs.version\":\"" + EcsVersion + "\",\"log.logger\":");
    private static readonly byte[][] s_levels = Names("Trace", "Debug", "Information", "Warning", "Error", "Critical", "None");
    private const int MaxExceptionDepth = 8;

    [ThreadStatic] private static ArrayBufferWriter<byte>? t_scratch;

    private readonly TemplateCache<TemplateJson> _templates = new();

    /// <summary>The field set. Default <see cref="JsonFieldSet.Kakashi"/>.</summary>
    public JsonFieldSet Fields { get; init; } = JsonFieldSet.Kakashi;

    /// <summary>Writes the rendered message (<c>Message</c>, <c>@m</c>, <c>message</c>). Default true; with CLEF, Seq renders
    /// <c>@mt</c> itself, so false saves the bytes. ECS always writes <c>message</c> (the schema requires it).</summary>
    public bool IncludeMessage { get; init; } = true;

    /// <summary>Writes the message template (<c>MessageTemplate</c>, <c>@mt</c>, <c>kakashi.message_template</c>). Default true;
    /// CLEF always writes <c>@mt</c> when <see cref="IncludeMessage"/> is false (a CLEF event needs one of them).</summary>
    public bool IncludeTemplate { get; init; } = true;

    /// <inheritdoc/>
    public override void Format(in LogRecord record, ref Utf8Writer output)
    {
        var template = Template(record.Template);
        switch (Fields)
        {
            case JsonFieldSet.Clef: FormatClef(in record, template, ref output); break;
            case JsonFieldSet.Ecs: FormatEcs(in record, template, ref output); break;
            default: FormatKakashi(in record, template, ref output); break;
        }
    }

    // Kakashi ---------------------------------------------------------------------------------------------------------

    private void FormatKakashi(in LogRecord record, TemplateJson template, ref Utf8Writer output)
    {
        output.Write("{\"Timestamp\":\""u8);
        TimestampFormatter.WriteRoundTrip(record.Timestamp, ref output);
        output.Write("\",\"Level\":\""u8);
        output.Write(LevelName(record.Level));
        output.Write("\",\"Category\":"u8);
        output.Write(record.CategoryInfo.JsonUtf8);
        output.Write(",\"EventId\":"u8);
        output.WriteFormatted(record.EventId);
        if (template.EventName is { } eventName)
        {
            output.Write(",\"EventName\":"u8);
            output.Write(eventName);
        }
        if (IncludeTemplate)
        {
            output.Write(",\"MessageTemplate\":"u8);
            output.Write(template.Message);
        }
        if (IncludeMessage)
        {
            output.Write(",\"Message\":"u8);
            WriteMessage(in record, template, ref output);
        }
        var properties = record.Properties;
        if (template.HasProperties || !properties.IsEmpty)
        {
            output.Write(",\"Properties\":{"u8);
            bool first = WriteTemplateProperties(in record, template, ref output, true);
            foreach (var property in properties)
            {
                if (template.Defines(property.Name)) continue; // the template's own value wins, as in Serilog
                Comma(ref output, ref first);
                WriteName(ref output, property.Name, clef: false);
                WriteValue(ref output, property);
            }
            output.Write((byte)'}');
        }
        var exception = record.ExceptionObject;
        if (exception is not null)
        {
            output.Write(",\"Exception\":"u8);
            WriteExceptionObject(ref output, exception, 0);
        }
        output.Write("}\n"u8);
    }

    // CLEF ------------------------------------------------------------------------------------------------------------

    private void FormatClef(in LogRecord record, TemplateJson template, ref Utf8Writer output)
    {
        output.Write("{\"@t\":\""u8);
        TimestampFormatter.WriteRoundTrip(record.Timestamp, ref output);
        output.Write((byte)'"');
        if (IncludeTemplate || !IncludeMessage)
        {
            output.Write(",\"@mt\":"u8);
            output.Write(template.Message);
        }
        if (IncludeMessage)
        {
            output.Write(",\"@m\":"u8);
            WriteMessage(in record, template, ref output);
        }
        if (record.Level != LogLevel.Information) // CLEF: no @l means Information
        {
            output.Write(",\"@l\":\""u8);
            output.Write(LevelName(record.Level));
            output.Write((byte)'"');
        }
        var exception = record.ExceptionObject;
        if (exception is not null)
        {
            output.Write(",\"@x\":"u8);
            WriteExceptionText(ref output, exception);
        }
        if (record.EventId != 0)
        {
            output.Write(",\"@i\":"u8);
            output.WriteFormatted(record.EventId);
        }
        var properties = record.Properties;
        foreach (var property in properties)
        {
            if (property.Tag == WellKnownProperty.TraceId) Field(ref output, ",\"@tr\":"u8, property.Value);
            else if (property.Tag == WellKnownProperty.SpanId) Field(ref output, ",\"@sp\":"u8, property.Value);
        }
        output.Write(",\"SourceContext\":"u8);
        output.Write(record.CategoryInfo.JsonUtf8);
        if (template.EventIdObject is { } eventIdObject) output.Write(eventIdObject);
        bool first = false;
        WriteTemplateProperties(in record, template, ref output, first);
        foreach (var property in properties)
        {
            if (property.Tag is WellKnownProperty.TraceId or WellKnownProperty.SpanId || template.Defines(property.Name)) continue;
            output.Write((byte)',');
            WriteName(ref output, property.Name, clef: true);
            WriteValue(ref output, property);
        }
        output.Write("}\n"u8);
    }

    // ECS -------------------------------------------------------------------------------------------------------------

    private void FormatEcs(in LogRecord record, TemplateJson template, ref Utf8Writer output)
    {
        output.Write("{\"@timestamp\":\""u8);
        TimestampFormatter.WriteRoundTrip(record.Timestamp, ref output);
        output.Write("\",\"log.level\":\""u8);
        output.Write(LevelName(record.Level));
        output.Write("\",\"message\":"u8);
        WriteMessage(in record, template, ref output);
        output.Write(s_ecsVersionThenLogger);
        output.Write(record.CategoryInfo.JsonUtf8);
        if (record.EventId != 0)
        {
            output.Write(",\"event.code\":\""u8);
            output.WriteFormatted(record.EventId);
            output.Write((byte)'"');
        }
        if (template.EventName is { } eventName)
        {
            output.Write(",\"event.action\":"u8);
            output.Write(eventName);
        }
        var exception = record.ExceptionObject;
        if (exception is not null) WriteEcsError(ref output, exception);
        var properties = record.Properties;
        bool labels = false;
        foreach (var property in properties)
        {
            var name = EcsName(property.Tag);
            if (name.IsEmpty)
            {
                labels |= !template.Defines(property.Name);
                continue;
            }
            output.Write(name);
            if (property.Tag is WellKnownProperty.ThreadId or WellKnownProperty.ProcessId && JsonEscaping.IsJsonNumber(property.Value)) output.Write(property.Value);
            else WriteString(ref output, property.Value);
        }
        if (labels)
        {
            // ECS labels are keywords: their values are written as strings
            output.Write(",\"labels\":{"u8);
            bool first = true;
            foreach (var property in properties)
            {
                if (!EcsName(property.Tag).IsEmpty || template.Defines(property.Name)) continue;
                Comma(ref output, ref first);
                WriteName(ref output, property.Name, clef: false);
                WriteString(ref output, property.Value);
            }
            output.Write((byte)'}');
        }
        if (IncludeTemplate || template.HasProperties)
        {
            output.Write(",\"kakashi\":{"u8);
            bool first = true;
            if (IncludeTemplate)
            {
                output.Write("\"message_template\":"u8);
                output.Write(template.Message);
                first = false;
            }
            if (template.HasProperties)
            {
                Comma(ref output, ref first);
                output.Write("\"properties\":{"u8);
                WriteTemplateProperties(in record, template, ref output, true);
                output.Write((byte)'}');
            }
            output.Write((byte)'}');
        }
        output.Write("}\n"u8);
    }

    private static ReadOnlySpan<byte> EcsName(WellKnownProperty tag) => tag switch
    {
        WellKnownProperty.TraceId => ",\"trace.id\":"u8,
        WellKnownProperty.SpanId => ",\"span.id\":"u8,
        WellKnownProperty.ThreadId => ",\"process.thread.id\":"u8,
        WellKnownProperty.ThreadName => ",\"process.thread.name\":"u8,
        WellKnownProperty.MachineName => ",\"host.name\":"u8,
        WellKnownProperty.ProcessId => ",\"process.pid\":"u8,
        WellKnownProperty.ProcessName => ",\"process.name\":"u8,
        WellKnownProperty.Application => ",\"service.name\":"u8,
        WellKnownProperty.Version => ",\"service.version\":"u8,
        _ => default,
    };

    private static void WriteEcsError(ref Utf8Writer output, object exception)
    {
        output.Write(",\"error.type\":"u8);
        if (exception is ExceptionInfo info)
        {
            WriteString(ref output, info.Type);
            output.Write(",\"error.message\":"u8);
            WriteString(ref output, info.Message);
        }
        else
        {
            WriteString(ref output, exception.GetType().FullName ?? exception.GetType().Name);
            output.Write(",\"error.message\":"u8);
            WriteString(ref output, SafeMessage((Exception)exception));
        }
        output.Write(",\"error.stack_trace\":"u8);
        WriteExceptionText(ref output, exception);
    }

    // shared pieces ---------------------------------------------------------------------------------------------------

    /// <summary>Writes the template's properties (not the exception), each with a leading comma unless <paramref name="first"/>. Returns whether none was written.</summary>
    private static bool WriteTemplateProperties(in LogRecord record, TemplateJson template, ref Utf8Writer output, bool first)
    {
        var args = record.Template.Args;
        var names = template.ArgNames;
        for (int i = 0; i < args.Length; i++)
        {
            var arg = args[i];
            if (arg.IsException || names[i] is not { } name) continue;
            Comma(ref output, ref first);
            output.Write(name);
            WriteArg(ref output, arg, record.GetArgData(i));
        }
        return first;
    }

    private static void WriteArg(ref Utf8Writer output, TemplateArg arg, ReadOnlySpan<byte> data)
    {
        var codec = arg.Codec;
        if (arg.CanBeNull && codec.IsNull(data))
        {
            output.Write("null"u8);
            return;
        }
        long mark = output.Mark;
        try
        {
            var type = arg.Type.Base();
            switch (arg.Type)
            {
                // the common numbers, written directly (no codec call, no JSON-number check: these are always valid)
                case ArgType.Int32: MessageRenderer.WriteInt64(ref output, System.Runtime.InteropServices.MemoryMarshal.Read<int>(data)); return;
                case ArgType.Int64: MessageRenderer.WriteInt64(ref output, System.Runtime.InteropServices.MemoryMarshal.Read<long>(data)); return;
                case ArgType.UInt32: MessageRenderer.WriteUInt64(ref output, System.Runtime.InteropServices.MemoryMarshal.Read<uint>(data)); return;
                case ArgType.UInt64: MessageRenderer.WriteUInt64(ref output, System.Runtime.InteropServices.MemoryMarshal.Read<ulong>(data)); return;
                case ArgType.Double:
                    {
                        var dest = output.GetSpan(32);
                        if (DoubleCodec.TryFormatShortDecimal(System.Runtime.InteropServices.MemoryMarshal.Read<double>(data), dest, out int n))
                        {
                            output.Advance(n);
                            return;
                        }
                        break;
                    }
            }
            switch (type)
            {
                case ArgType.Boolean:
                    output.Write(data[arg.Type.IsNullable() ? 1 : 0] != 0 ? "true"u8 : "false"u8);
                    return;
                case ArgType.String:
                    {
                        int header = System.Runtime.InteropServices.MemoryMarshal.Read<int>(data);
                        output.Write((byte)'"');
                        JsonEscaping.WriteUtf16(ref output, StringCodec.GetChars(data));
                        if ((header & RecordLayout.TruncatedStringBit) != 0) output.Write("…[truncated]"u8);
                        output.Write((byte)'"');
                        return;
                    }
                case ArgType.Utf8Text:
                    {
                        int header = System.Runtime.InteropServices.MemoryMarshal.Read<int>(data);
                        output.Write((byte)'"');
                        JsonEscaping.WriteUtf8(ref output, data.Slice(4, header & ~RecordLayout.TruncatedStringBit));
                        if ((header & RecordLayout.TruncatedStringBit) != 0) output.Write("…[truncated]"u8);
                        output.Write((byte)'"');
                        return;
                    }
                case ArgType.SByte or ArgType.Byte or ArgType.Int16 or ArgType.UInt16 or ArgType.Int32 or ArgType.UInt32 or ArgType.Int64
                    or ArgType.UInt64 or ArgType.Int128 or ArgType.UInt128 or ArgType.Half or ArgType.Single or ArgType.Double or ArgType.Decimal:
                    {
                        var dest = output.GetSpan(64);
                        if (codec.TryFormat(data, dest, out int n, default) && JsonEscaping.IsJsonNumber(dest[..n]))
                        {
                            output.Advance(n);
                            return;
                        }
                        break; // NaN, Infinity: a string
                    }
                case ArgType.DateTime or ArgType.DateTimeOffset or ArgType.DateOnly or ArgType.TimeOnly:
                    WriteAsciiValue(ref output, codec, data, "O");
                    return;
                case ArgType.TimeSpan:
                    WriteAsciiValue(ref output, codec, data, "c");
                    return;
                case ArgType.Guid:
                    WriteAsciiValue(ref output, codec, data, "D");
                    return;
            }
            // enums (by name), chars, user types: their text, escaped
            var scratch = Scratch();
            var text = new Utf8Writer(scratch);
            bool ok = MessageRenderer.WriteArg(ref text, codec, data, 0, null);
            text.Commit();
            if (!ok) throw new FormatException("no output fits");
            WriteString(ref output, scratch.WrittenSpan);
        }
        catch (Exception e)
        {
            // the value's bytes so far are taken back; the property says why it is missing, and the rest of the line stays
            FormatFailures.Count();
            output.Rewind(mark);
            output.Write("\"(format failed: "u8);
            output.Write(e.GetType().Name.AsSpan());
            output.Write(")\""u8);
        }
    }

    private static void WriteAsciiValue(ref Utf8Writer output, ArgCodec codec, ReadOnlySpan<byte> data, string format)
    {
        var dest = output.GetSpan(72);
        dest[0] = (byte)'"';
        if (!codec.TryFormat(data, dest[1..], out int n, format)) throw new FormatException("no output fits");
        dest[n + 1] = (byte)'"';
        output.Advance(n + 2);
    }

    private static void WriteMessage(in LogRecord record, TemplateJson template, ref Utf8Writer output)
    {
        if (template.ConstantMessage is { } constant)
        {
            output.Write(constant);
            return;
        }
        var scratch = Scratch();
        var text = new Utf8Writer(scratch);
        MessageRenderer.Render(in record, ref text);
        text.Commit();
        WriteString(ref output, scratch.WrittenSpan);
    }

    private static void WriteValue(ref Utf8Writer output, RecordProperty property)
    {
        if (property.Kind == PropertyKind.Number && JsonEscaping.IsJsonNumber(property.Value)) output.Write(property.Value);
        else if (property.Kind == PropertyKind.Boolean && (property.Value.SequenceEqual("true"u8) || property.Value.SequenceEqual("false"u8))) output.Write(property.Value);
        else WriteString(ref output, property.Value);
    }

    private static void WriteName(ref Utf8Writer output, ReadOnlySpan<byte> name, bool clef)
    {
        output.Write((byte)'"');
        if (clef && !name.IsEmpty && name[0] == '@') output.Write((byte)'@');
        JsonEscaping.WriteUtf8(ref output, name);
        output.Write("\":"u8);
    }

    private static void Field(ref Utf8Writer output, ReadOnlySpan<byte> name, ReadOnlySpan<byte> value)
    {
        output.Write(name);
        WriteString(ref output, value);
    }

    private static void WriteString(ref Utf8Writer output, ReadOnlySpan<byte> utf8)
    {
        output.Write((byte)'"');
        JsonEscaping.WriteUtf8(ref output, utf8);
        output.Write((byte)'"');
    }

    private static void WriteString(ref Utf8Writer output, string? text)
    {
        if (text is null)
        {
            output.Write("null"u8);
            return;
        }
        output.Write((byte)'"');
        JsonEscaping.WriteUtf16(ref output, text);
        output.Write((byte)'"');
    }

    private static void Comma(ref Utf8Writer output, ref bool first)
    {
        if (!first) output.Write((byte)',');
        first = false;
    }

    private static void WriteExceptionText(ref Utf8Writer output, object exception)
        => WriteString(ref output, exception is ExceptionInfo info ? info.Text : FormatFailures.ExceptionText(exception));

    private static void WriteExceptionObject(ref Utf8Writer output, object exception, int depth)
    {
        output.Write("{\"Type\":"u8);
        if (exception is ExceptionInfo info)
        {
            WriteString(ref output, info.Type);
            output.Write(",\"Message\":"u8);
            WriteString(ref output, info.Message);
            output.Write(",\"StackTrace\":"u8);
            WriteString(ref output, info.StackTrace);
            if (info.Inner.Count > 0 && depth < MaxExceptionDepth)
            {
                output.Write(",\"InnerExceptions\":["u8);
                for (int i = 0; i < info.Inner.Count; i++)
                {
                    if (i > 0) output.Write((byte)',');
                    WriteExceptionObject(ref output, info.Inner[i], depth + 1);
                }
                output.Write((byte)']');
            }
        }
        else
        {
            var e = (Exception)exception;
            WriteString(ref output, e.GetType().FullName ?? e.GetType().Name);
            output.Write(",\"Message\":"u8);
            WriteString(ref output, SafeMessage(e));
            output.Write(",\"StackTrace\":"u8);
            string? stack;
            try { stack = e.StackTrace; } catch (Exception) { stack = null; }
            WriteString(ref output, stack);
            if (depth < MaxExceptionDepth)
            {
                if (e is AggregateException aggregate && aggregate.InnerExceptions.Count > 0)
                {
                    output.Write(",\"InnerExceptions\":["u8);
                    for (int i = 0; i < aggregate.InnerExceptions.Count; i++)
                    {
                        if (i > 0) output.Write((byte)',');
                        WriteExceptionObject(ref output, aggregate.InnerExceptions[i], depth + 1);
                    }
                    output.Write((byte)']');
                }
                else if (e.InnerException is { } inner)
                {
                    output.Write(",\"InnerExceptions\":["u8);
                    WriteExceptionObject(ref output, inner, depth + 1);
                    output.Write((byte)']');
                }
            }
        }
        output.Write((byte)'}');
    }

    private static string SafeMessage(Exception e)
    {
        try
        {
            return e.Message;
        }
        catch (Exception failure)
        {
            FormatFailures.Count();
            return $"(Message failed: {failure.GetType().Name})";
        }
    }

    private static ArrayBufferWriter<byte> Scratch()
    {
        var scratch = t_scratch ??= new ArrayBufferWriter<byte>(4096);
        scratch.ResetWrittenCount();
        return scratch;
    }

    private static ReadOnlySpan<byte> LevelName(LogLevel level) => (uint)level < (uint)s_levels.Length ? s_levels[(int)level] : "None"u8;

    private static byte[][] Names(params string[] names)
    {
        var result = new byte[names.Length][];
        for (int i = 0; i < names.Length; i++) result[i] = System.Text.Encoding.UTF8.GetBytes(names[i]);
        return result;
    }

    /// <summary>The template's JSON pieces for this formatter, made once (per template id; a template of another registry
    /// with the same id replaces the entry).</summary>
    private TemplateJson Template(LogTemplate template)
        => _templates.Get(template, static (t, clef) => new TemplateJson(t, clef), Fields == JsonFieldSet.Clef);

    private sealed class TemplateJson
    {
        public TemplateJson(LogTemplate template, bool clef)
        {
            Message = JsonEscaping.EncodeString(template.Message);
            EventName = string.IsNullOrEmpty(template.EventName) ? null : JsonEscaping.EncodeString(template.EventName);
            var args = template.Args;
            ArgNames = new byte[]?[args.Length];
            _argNamesUtf8 = new byte[]?[args.Length];
            var seen = new HashSet<string>(StringComparer.Ordinal);
            for (int i = 0; i < args.Length; i++)
            {
                // the property is named as the template's hole (as MEL's state and Serilog name it), else as the parameter
                string name = args[i].Name;
                foreach (var segment in template.Segments)
                {
                    if (!segment.IsLiteral && segment.ArgIndex == i && segment.Text is { Length: > 0 } hole)
                    {
                        name = hole;
                        break;
                    }
                }
                if (args[i].IsException || !seen.Add(name)) continue; // a name twice in one object is not valid JSON for every reader
                ArgNames[i] = JsonEscaping.EncodeName(name, clef);
                _argNamesUtf8[i] = System.Text.Encoding.UTF8.GetBytes(name);
                HasProperties = true;
            }
            bool holes = false;
            foreach (var segment in template.Segments) holes |= !segment.IsLiteral;
            if (!holes) ConstantMessage = JsonEscaping.EncodeString(string.Concat(SegmentsText(template)));
            if (clef && (template.EventId != 0 || EventName is not null))
            {
                // Serilog's Microsoft.Extensions.Logging provider writes the event id as an EventId object
                var text = $",\"EventId\":{{\"Id\":{template.EventId}" + (EventName is null ? "}" : ",\"Name\":" + System.Text.Encoding.UTF8.GetString(EventName) + "}");
                EventIdObject = System.Text.Encoding.UTF8.GetBytes(text);
            }
        }

        private readonly byte[]?[] _argNamesUtf8;

        public byte[] Message { get; }
        public byte[]? EventName { get; }
        public byte[]?[] ArgNames { get; }
        public bool HasProperties { get; }
        public byte[]? ConstantMessage { get; }
        public byte[]? EventIdObject { get; }

        /// <summary>True when the template has a property named <paramref name="name"/> (an enricher's property of that name is then left out).</summary>
        public bool Defines(ReadOnlySpan<byte> name)
        {
            foreach (var own in _argNamesUtf8)
            {
                if (own is not null && name.SequenceEqual(own)) return true;
            }
            return false;
        }

        private static IEnumerable<string> SegmentsText(LogTemplate template)
        {
            foreach (var segment in template.Segments) yield return segment.Text ?? "";
        }
    }
}
