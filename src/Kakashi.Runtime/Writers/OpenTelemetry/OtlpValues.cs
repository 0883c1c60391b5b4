using System;
using System.Buffers;
using System.Buffers.Text;
using System.Collections.Generic;
using System.Runtime.InteropServices;
using System.Text;
using System.Threading;
using Kakashi.Buffers;
using Kakashi.Formatting;
using Kakashi.Templates;
using Microsoft.Extensions.Logging;

namespace Kakashi.OpenTelemetry;

/// <summary>Which <c>AnyValue</c> field an attribute gets.</summary>
internal enum OtlpKind : byte
{
    /// <summary>No field set: a null value.</summary>
    Empty,
    /// <summary><c>string_value</c> from UTF-16 chars (<see cref="OtlpValue.Chars"/>).</summary>
    Chars,
    /// <summary><c>string_value</c> from UTF-8 bytes (<see cref="OtlpValue.Utf8"/>).</summary>
    Utf8,
    Bool,
    Int,
    Double,
}

/// <summary>One attribute value, read from a record's argument bytes without allocating.</summary>
internal readonly ref struct OtlpValue
{
    public OtlpValue(OtlpKind kind, long integer = 0, double number = 0, bool boolean = false, ReadOnlySpan<char> chars = default, ReadOnlySpan<byte> utf8 = default, bool truncated = false)
    {
        Kind = kind;
        Int = integer;
        Double = number;
        Bool = boolean;
        Chars = chars;
        Utf8 = utf8;
        Truncated = truncated;
    }

    public OtlpKind Kind { get; }
    public long Int { get; }
    public double Double { get; }
    public bool Bool { get; }
    public ReadOnlySpan<char> Chars { get; }
    public ReadOnlySpan<byte> Utf8 { get; }
    /// <summary>The string was cut on the calling thread: the text gets the <c>…[truncated]</c> marker.</summary>
    public bool Truncated { get; }
}

/// <summary>
/// The OTLP mapping shared by the protobuf and the JSON formatters: severity numbers and texts, argument values to
/// <c>AnyValue</c> kinds, enricher properties, trace ids.
/// </summary>
internal static class OtlpValues
{
    public const string MessageTemplateAttribute = "message_template.text";
    public const string EventIdAttribute = "logrecord.event.id";
    public const string ExceptionType = "exception.type";
    public const string ExceptionMessage = "exception.message";
    public const string ExceptionStacktrace = "exception.stacktrace";

    public static ReadOnlySpan<byte> TruncatedMarker => "…[truncated]"u8;

    private static readonly byte[][] s_levelNames =
    [
        "Trace"u8.ToArray(), "Debug"u8.ToArray(), "Information"u8.ToArray(), "Warning"u8.ToArray(),
        "Error"u8.ToArray(), "Critical"u8.ToArray(), "None"u8.ToArray(),
    ];

    [ThreadStatic] private static ArrayBufferWriter<byte>? t_text;

    /// <summary>OTLP severity number of a level: Trace 1, Debug 5, Information 9, Warning 13, Error 17, Critical 21 (0 otherwise).</summary>
    public static int SeverityNumber(LogLevel level) => level switch
    {
        LogLevel.Trace => 1,
        LogLevel.Debug => 5,
        LogLevel.Information => 9,
        LogLevel.Warning => 13,
        LogLevel.Error => 17,
        LogLevel.Critical => 21,
        _ => 0,
    };

    /// <summary>The level's .NET name, as the source knows it (<c>Information</c>, <c>Warning</c>, <c>Critical</c>).</summary>
    public static ReadOnlySpan<byte> SeverityText(LogLevel level) => (uint)level < (uint)s_levelNames.Length ? s_levelNames[(int)level] : "None"u8;

    private static readonly long s_epochTicks = DateTime.UnixEpoch.Ticks;

    /// <summary>Nanoseconds since the Unix epoch of a UTC timestamp (0 before the epoch).</summary>
    public static ulong UnixNanos(DateTime utc)
    {
        long ticks = utc.Ticks - s_epochTicks;
        return ticks <= 0 ? 0 : (ulong)ticks * 100;
    }

    /// <summary>A scratch buffer for a value's text (per thread: one formatter may run on several drains).</summary>
    public static ArrayBufferWriter<byte> Text()
    {
        var text = t_text ??= new ArrayBufferWriter<byte>(1024);
        text.ResetWrittenCount();
        return text;
    }

    /// <summary>
    /// Reads argument <paramref name="arg"/>: integers up to 64 bits (a <c>ulong</c> past <c>long.MaxValue</c> as text) as
    /// <c>int_value</c>, <c>Half</c>/<c>float</c>/<c>double</c> as <c>double_value</c>, <c>bool</c> as <c>bool_value</c>,
    /// null as an empty value, and everything else as text: strings as they are, enums by name, <c>DateTime</c>,
    /// <c>DateTimeOffset</c>, <c>DateOnly</c>, <c>TimeOnly</c> ISO 8601 (<c>O</c>), <c>TimeSpan</c> <c>c</c>, <c>Guid</c> <c>D</c>,
    /// <c>decimal</c> and 128-bit integers in full, user types as their invariant text. A value that cannot be formatted
    /// becomes <c>(format failed: Reason)</c> and is counted.
    /// </summary>
    public static OtlpValue Read(TemplateArg arg, ReadOnlySpan<byte> data)
    {
        var codec = arg.Codec;
        if (arg.CanBeNull && codec.IsNull(data)) return new OtlpValue(OtlpKind.Empty);
        try
        {
            int at = arg.Type.IsNullable() ? 1 : 0;
            switch (arg.Type.Base())
            {
                case ArgType.Boolean: return new OtlpValue(OtlpKind.Bool, boolean: data[at] != 0);
                case ArgType.SByte: return new OtlpValue(OtlpKind.Int, (sbyte)data[at]);
                case ArgType.Byte: return new OtlpValue(OtlpKind.Int, data[at]);
                case ArgType.Int16: return new OtlpValue(OtlpKind.Int, MemoryMarshal.Read<short>(data[at..]));
                case ArgType.UInt16: return new OtlpValue(OtlpKind.Int, MemoryMarshal.Read<ushort>(data[at..]));
                case ArgType.Int32: return new OtlpValue(OtlpKind.Int, MemoryMarshal.Read<int>(data[at..]));
                case ArgType.UInt32: return new OtlpValue(OtlpKind.Int, MemoryMarshal.Read<uint>(data[at..]));
                case ArgType.Int64: return new OtlpValue(OtlpKind.Int, MemoryMarshal.Read<long>(data[at..]));
                case ArgType.UInt64:
                    {
                        ulong value = MemoryMarshal.Read<ulong>(data[at..]);
                        if (value <= long.MaxValue) return new OtlpValue(OtlpKind.Int, (long)value);
                        break; // past int64: exact text
                    }
                case ArgType.Half: return new OtlpValue(OtlpKind.Double, number: (double)MemoryMarshal.Read<Half>(data[at..]));
                case ArgType.Single: return new OtlpValue(OtlpKind.Double, number: MemoryMarshal.Read<float>(data[at..]));
                case ArgType.Double: return new OtlpValue(OtlpKind.Double, number: MemoryMarshal.Read<double>(data[at..]));
                case ArgType.String:
                    {
                        int header = MemoryMarshal.Read<int>(data);
                        return new OtlpValue(OtlpKind.Chars, chars: StringCodec.GetChars(data), truncated: (header & RecordLayout.TruncatedStringBit) != 0);
                    }
                case ArgType.Utf8Text:
                    {
                        int header = MemoryMarshal.Read<int>(data);
                        return new OtlpValue(OtlpKind.Utf8, utf8: data.Slice(4, header & ~RecordLayout.TruncatedStringBit), truncated: (header & RecordLayout.TruncatedStringBit) != 0);
                    }
                case ArgType.DateTime or ArgType.DateTimeOffset or ArgType.DateOnly or ArgType.TimeOnly:
                    return Formatted(codec, data, "O");
                case ArgType.TimeSpan:
                    return Formatted(codec, data, "c");
                case ArgType.Guid:
                    return Formatted(codec, data, "D");
            }
            // enums (by name), chars, decimals, 128-bit integers, user types: their invariant text
            var text = Text();
            var writer = new Utf8Writer(text);
            bool ok = MessageRenderer.WriteArg(ref writer, codec, data, 0, null);
            writer.Commit();
            if (!ok) throw new FormatException("no output fits");
            return new OtlpValue(OtlpKind.Utf8, utf8: text.WrittenSpan);
        }
        catch (Exception e)
        {
            FormatFailures.Count();
            var text = Text();
            var writer = new Utf8Writer(text);
            writer.Write("(format failed: "u8);
            writer.Write(e.GetType().Name.AsSpan());
            writer.Write((byte)')');
            writer.Commit();
            return new OtlpValue(OtlpKind.Utf8, utf8: text.WrittenSpan);
        }
    }

    private static OtlpValue Formatted(ArgCodec codec, ReadOnlySpan<byte> data, string format)
    {
        var text = Text();
        var dest = text.GetSpan(96);
        if (!codec.TryFormat(data, dest, out int n, format)) throw new FormatException("no output fits");
        text.Advance(n);
        return new OtlpValue(OtlpKind.Utf8, utf8: text.WrittenSpan);
    }

    /// <summary>An enricher property: numbers that are integers as <c>int_value</c>, other numbers as <c>double_value</c>, <c>true</c>/<c>false</c> as <c>bool_value</c>, the rest as text.</summary>
    public static OtlpValue Read(RecordProperty property)
    {
        var value = property.Value;
        if (property.Kind == PropertyKind.Number)
        {
            if (Utf8Parser.TryParse(value, out long integer, out int used) && used == value.Length) return new OtlpValue(OtlpKind.Int, integer);
            if (Utf8Parser.TryParse(value, out double number, out used) && used == value.Length) return new OtlpValue(OtlpKind.Double, number: number);
        }
        else if (property.Kind == PropertyKind.Boolean)
        {
            if (value.SequenceEqual("true"u8)) return new OtlpValue(OtlpKind.Bool, boolean: true);
            if (value.SequenceEqual("false"u8)) return new OtlpValue(OtlpKind.Bool, boolean: false);
        }
        return new OtlpValue(OtlpKind.Utf8, utf8: value);
    }

    /// <summary>
    /// The record's trace context: from its <see cref="LogRecord.Activity"/> (captured when an <see cref="ActivityEnricher"/> is
    /// configured), else from <c>TraceId</c>/<c>SpanId</c> properties in hex. False when the record has none.
    /// </summary>
    public static bool TryGetTrace(in LogRecord record, Span<byte> traceId, Span<byte> spanId, out uint flags)
    {
        flags = 0;
        if (record.TryGetTraceIds(out var trace, out var span, out byte traceFlags))
        {
            if (trace == default) return false;
            trace.CopyTo(traceId);
            span.CopyTo(spanId);
            flags = traceFlags;
            return true;
        }
        bool hasTrace = false, hasSpan = false;
        foreach (var property in record.Properties)
        {
            if (property.Tag == WellKnownProperty.TraceId) hasTrace = TryHex(property.Value, traceId);
            else if (property.Tag == WellKnownProperty.SpanId) hasSpan = TryHex(property.Value, spanId);
        }
        return hasTrace && hasSpan;
    }

    private static bool TryHex(ReadOnlySpan<byte> hex, Span<byte> destination)
    {
        if (hex.Length != destination.Length * 2) return false;
        for (int i = 0; i < destination.Length; i++)
        {
            int high = Nibble(hex[2 * i]), low = Nibble(hex[2 * i + 1]);
            if ((high | low) < 0) return false;
            destination[i] = (byte)((high << 4) | low);
        }
        return true;

        static int Nibble(byte c) => c switch
        {
            >= (byte)'0' and <= (byte)'9' => c - '0',
            >= (byte)'a' and <= (byte)'f' => c - 'a' + 10,
            >= (byte)'A' and <= (byte)'F' => c - 'A' + 10,
            _ => -1,
        };
    }

    /// <summary>The exception's type (full name), message and text (<c>ToString</c>) for the <c>exception.*</c> attributes.</summary>
    public static (string Type, string Message, string Text) Exception(object exception)
    {
        if (exception is ExceptionInfo info) return (info.Type, info.Message, info.Text);
        var e = (Exception)exception;
        string message;
        try
        {
            message = e.Message;
        }
        catch (Exception failure)
        {
            FormatFailures.Count();
            message = $"(Message failed: {failure.GetType().Name})";
        }
        return (e.GetType().FullName ?? e.GetType().Name, message, FormatFailures.ExceptionText(e));
    }

    /// <summary>The attribute name of each template argument (its hole's name, else the parameter's); null for exceptions and repeated names.</summary>
    public static string?[] ArgNames(LogTemplate template)
    {
        var args = template.Args;
        var names = new string?[args.Length];
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < args.Length; i++)
        {
            string name = args[i].Name;
            foreach (var segment in template.Segments)
            {
                if (!segment.IsLiteral && segment.ArgIndex == i && segment.Text is { Length: > 0 } hole)
                {
                    name = hole;
                    break;
                }
            }
            if (args[i].IsException || !seen.Add(name)) continue;
            names[i] = name;
        }
        return names;
    }

    /// <summary>True when the template's message has no hole (the body is the same for every record).</summary>
    public static string? ConstantMessage(LogTemplate template)
    {
        var text = new StringBuilder();
        foreach (var segment in template.Segments)
        {
            if (!segment.IsLiteral) return null;
            text.Append(segment.Text);
        }
        return text.ToString();
    }
}
