using System;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
using System.Text;
using Kakashi.Shared;
using Microsoft.Extensions.Logging;

namespace Kakashi.Templates;

/// <summary>
/// The metadata of one log method, as data: its parsed message template, its arguments' names and wire types. The
/// generator emits one per <c>[KakashiLog]</c> method and registers it in <see cref="TemplateRegistry.Shared"/>, which gives
/// it the id records carry; a template can also be built at run time (<see cref="Parse"/>) or read back from a manifest
/// (<see cref="TemplateRegistry.FromManifest"/>). Constructing one registers nothing.
/// </summary>
public sealed class LogTemplate
{
    /// <summary>A template from its parts (the generator's form; <see cref="Parse"/> builds one from a message).</summary>
    public LogTemplate(string method, LogLevel? level, int eventId, string? eventName, string message, TemplateSegment[] segments, TemplateArg[] args)
    {
        ArgumentNullException.ThrowIfNull(method);
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(segments);
        ArgumentNullException.ThrowIfNull(args);
        foreach (var segment in segments)
        {
            if (!segment.IsLiteral && (uint)segment.ArgIndex >= (uint)args.Length)
                throw new ArgumentException($"The hole {{{segment.Text}}} of {method} refers to argument {segment.ArgIndex}, but the template has {args.Length}.", nameof(segments));
        }
        Method = method;
        Level = level;
        EventId = eventId;
        EventName = eventName ?? ShortName(method);
        EventNameUtf8 = Encoding.UTF8.GetBytes(EventName);
        Message = message;
        Segments = segments;
        Args = args;
        FixedOffsets = new int[args.Length];
        int offset = 0;
        for (int i = 0; i < args.Length; i++)
        {
            if (args[i].IsException && ExceptionArg < 0) ExceptionArg = i;
            FixedOffsets[i] = offset;
            int fixedLength = args[i].Codec.FixedLength;
            offset = offset < 0 || fixedLength < 0 ? -1 : offset + fixedLength;
            MinPayloadSize += fixedLength >= 0 ? fixedLength : 4; // variable-length values can be cut down to their length prefix
        }
        AllFixed = offset >= 0;
    }

    /// <summary>
    /// Parses <paramref name="message"/> at run time, with the same parser the generator uses (Microsoft.Extensions.Logging's
    /// rules): holes bind to <paramref name="args"/> in order of first appearance, a name used again binds to the same argument.
    /// </summary>
    /// <exception cref="FormatException">The template is malformed, or has more distinct holes than arguments.</exception>
    public static LogTemplate Parse(string method, LogLevel? level, int eventId, string? eventName, string message, TemplateArg[] args)
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(args);
        var parsed = TemplateParser.Parse(message);
        if (parsed.Error is not null) throw new FormatException($"The message template \"{message}\" is invalid: {parsed.Error}.");
        var segments = new List<TemplateSegment>(parsed.Segments.Count);
        var bound = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var segment in parsed.Segments)
        {
            if (segment is string literal)
            {
                segments.Add(TemplateSegment.Literal(literal));
                continue;
            }
            var hole = (TemplateParser.Hole)segment;
            if (!bound.TryGetValue(hole.Name, out int index))
            {
                index = bound.Count;
                if (index >= args.Length) throw new FormatException($"The message template \"{message}\" has more holes than the {args.Length} arguments given.");
                bound.Add(hole.Name, index);
            }
            segments.Add(TemplateSegment.Hole(hole.Name, index, hole.Alignment, hole.Format));
        }
        return new LogTemplate(method, level, eventId, eventName, message, segments.ToArray(), args);
    }

    /// <summary>The id records carry, assigned by the registry the template is registered in; 0 before that.</summary>
    public int Id { get; internal set; }

    /// <summary>The registry that assigned <see cref="Id"/>, or null.</summary>
    public TemplateRegistry? Registry { get; internal set; }

    /// <summary>The declaring type and method, e.g. <c>TradeLog.OrderFilled</c>.</summary>
    public string Method { get; }

    /// <summary>The attribute's level, or null when the method takes a level parameter.</summary>
    public LogLevel? Level { get; }

    /// <summary>The event id (the attribute's <c>EventId</c>; 0 when it has none).</summary>
    public int EventId { get; }

    /// <summary>The event name (the attribute's <c>EventName</c>, else the method's name).</summary>
    public string EventName { get; }

    internal byte[] EventNameUtf8 { get; }

    /// <summary>The message template as written in the attribute.</summary>
    public string Message { get; }

    /// <summary>Literal text and holes, in order.</summary>
    public TemplateSegment[] Segments { get; }

    /// <summary>The encoded arguments, in the order they appear in a record's payload.</summary>
    public TemplateArg[] Args { get; }

    /// <summary>Payload offset of each argument, valid when <see cref="AllFixed"/>.</summary>
    internal int[] FixedOffsets { get; }

    /// <summary>The smallest payload a record of this template can have: fixed-size values, plus a length for each string (cut to nothing).</summary>
    internal long MinPayloadSize { get; }

    /// <summary>True when every argument has a fixed size, so <see cref="FixedOffsets"/> holds every offset.</summary>
    internal bool AllFixed { get; }

    /// <summary>Index in <see cref="Args"/> of the exception rendered after the message, or -1.</summary>
    public int ExceptionArg { get; } = -1;

    /// <summary>
    /// Computes where each argument starts in <paramref name="payload"/>. False when the payload is shorter than its arguments
    /// say (a damaged or hostile record): a decoder never reads past it.
    /// </summary>
    internal bool TryGetOffsets(ReadOnlySpan<byte> payload, Span<int> offsets)
    {
        var args = Args;
        int offset = 0;
        for (int i = 0; i < args.Length; i++)
        {
            offsets[i] = offset;
            var codec = args[i].Codec;
            int length = codec.FixedLength;
            if (length < 0)
            {
                if (payload.Length - offset < 4) return false;
                length = codec.GetLength(payload[offset..]);
            }
            if (length < 0 || length > payload.Length - offset) return false;
            offset += length;
        }
        return true;
    }

    private static string ShortName(string method)
    {
        int dot = method.LastIndexOf('.');
        return dot < 0 ? method : method.Substring(dot + 1);
    }

    /// <inheritdoc/>
    public override string ToString() => $"{Method} #{Id}: {Message}";
}

/// <summary>
/// One argument of a template: its name (as the parameter is named) and its wire type (<see cref="ArgType"/>), from which
/// the runtime picks the codec that decodes it.
/// </summary>
public sealed class TemplateArg
{
    /// <summary>An argument of a built-in wire type (numbers, dates, Guid, text, exception; <see cref="ArgType.Nullable"/> for a nullable value).</summary>
    /// <exception cref="ArgumentException"><paramref name="type"/> is <see cref="ArgType.Enum"/> or <see cref="ArgType.Custom"/> (use <see cref="Enum{T}"/>, <see cref="Formattable{T}"/>) or not a valid type.</exception>
    public TemplateArg(string name, ArgType type)
        : this(name, type, ArgCodecs.For(type) ?? throw new ArgumentException($"ArgType {type} needs a table or a type: use TemplateArg.Enum<T>, TemplateArg.Formattable<T> or the manifest.", nameof(type)), null, null)
    {
        if (!ArgTypes.IsDefined(type)) throw new ArgumentException($"ArgType {type} is not a valid argument type.", nameof(type));
    }

    private TemplateArg(string name, ArgType type, ArgCodec codec, EnumTable? enumTable, string? typeName)
    {
        ArgumentNullException.ThrowIfNull(name);
        Name = name;
        NameUtf8 = Encoding.UTF8.GetBytes(name);
        Type = type;
        Codec = codec;
        EnumTable = enumTable;
        TypeName = typeName;
        CanBeNull = codec.CanBeNull;
        IsException = codec.IsException;
    }

    /// <summary>An enum argument: rendered by name by the enum itself here, and from its <see cref="Templates.EnumTable"/> where the type is not loaded.</summary>
    public static TemplateArg Enum<T>(string name, bool nullable = false) where T : unmanaged, System.Enum
    {
        ArgCodec codec = EnumCodec<T>.Instance;
        if (nullable) codec = new NullableCodec(codec, Unsafe.SizeOf<T>());
        return new TemplateArg(name, nullable ? ArgType.Enum | ArgType.Nullable : ArgType.Enum, codec, EnumTable.Of<T>(), typeof(T).FullName);
    }

    /// <summary>A value type formatted with <see cref="IUtf8SpanFormattable"/>: a built-in wire type when <typeparamref name="T"/> is one, else <see cref="ArgType.Custom"/>.</summary>
    public static TemplateArg Formattable<T>(string name, bool nullable = false) where T : unmanaged, IUtf8SpanFormattable
    {
        var type = ArgTypes.Of(typeof(T));
        if (type != ArgType.None) return new TemplateArg(name, nullable ? type | ArgType.Nullable : type);
        return Custom<T>(name, nullable, Utf8FormattableCodec<T>.Instance);
    }

    /// <summary>A user value type formatted with <see cref="ISpanFormattable"/> (then transcoded to UTF-8): <see cref="ArgType.Custom"/>.</summary>
    public static TemplateArg SpanFormattable<T>(string name, bool nullable = false) where T : unmanaged, ISpanFormattable
    {
        var type = ArgTypes.Of(typeof(T));
        if (type != ArgType.None) return new TemplateArg(name, nullable ? type | ArgType.Nullable : type);
        return Custom<T>(name, nullable, SpanFormattableCodec<T>.Instance);
    }

    private static TemplateArg Custom<T>(string name, bool nullable, ArgCodec codec) where T : unmanaged
    {
        if (nullable) codec = new NullableCodec(codec, Unsafe.SizeOf<T>());
        return new TemplateArg(name, nullable ? ArgType.Custom | ArgType.Nullable : ArgType.Custom, codec, null, typeof(T).FullName) { CustomSize = Unsafe.SizeOf<T>() };
    }

    /// <summary>An enum argument described by its table alone (a template read back from a manifest).</summary>
    public static TemplateArg FromTable(string name, EnumTable table, bool nullable = false)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgCodec codec = new EnumTableCodec(table);
        if (nullable) codec = new NullableCodec(codec, ArgTypes.FixedSize(table.Underlying));
        return new TemplateArg(name, nullable ? ArgType.Enum | ArgType.Nullable : ArgType.Enum, codec, table, table.TypeName);
    }

    /// <summary>A user value type read back from a manifest where the type is not loaded: rendered as its type name and raw bytes.</summary>
    public static TemplateArg Opaque(string name, string typeName, int size, bool nullable = false)
    {
        ArgumentNullException.ThrowIfNull(typeName);
        if (size is < 1 or > 4096) throw new ArgumentOutOfRangeException(nameof(size), size, "A custom value is 1 to 4096 bytes.");
        ArgCodec codec = new OpaqueCodec(typeName, size);
        if (nullable) codec = new NullableCodec(codec, size);
        return new TemplateArg(name, nullable ? ArgType.Custom | ArgType.Nullable : ArgType.Custom, codec, null, typeName) { CustomSize = size };
    }

    // the codec's constant answers, read without a virtual call per record
    internal readonly bool CanBeNull;
    internal readonly bool IsException;

    /// <summary>The parameter's name (the property name in structured output).</summary>
    public string Name { get; }
    internal byte[] NameUtf8 { get; }

    /// <summary>The wire type (with <see cref="ArgType.Nullable"/> when the value may be null).</summary>
    public ArgType Type { get; }

    /// <summary>How the bytes decode and format (picked from <see cref="Type"/>).</summary>
    public ArgCodec Codec { get; }

    /// <summary>The enum's names and values, for <see cref="ArgType.Enum"/>.</summary>
    public EnumTable? EnumTable { get; }

    /// <summary>The CLR type name of an enum or custom value.</summary>
    public string? TypeName { get; }

    /// <summary>Bytes of a <see cref="ArgType.Custom"/> value (without the presence byte).</summary>
    public int CustomSize { get; private init; }
}

/// <summary>A piece of a parsed message template: literal UTF-8 text, or a hole that renders an argument.</summary>
public readonly struct TemplateSegment
{
    private TemplateSegment(byte[]? literal, string? text, int arg, int alignment, string? format)
    {
        LiteralUtf8 = literal;
        Text = text;
        ArgIndex = arg;
        Alignment = alignment;
        Format = format;
    }

    /// <summary>Literal text (braces already unescaped).</summary>
    public static TemplateSegment Literal(string text) => new(Encoding.UTF8.GetBytes(text), text, -1, 0, null);

    /// <summary>A hole: the argument index in <see cref="LogTemplate.Args"/>, its alignment and format.</summary>
    public static TemplateSegment Hole(string name, int arg, int alignment = 0, string? format = null) => new(null, name, arg, alignment, format);

    /// <summary>True for literal text, false for a hole.</summary>
    public bool IsLiteral => LiteralUtf8 is not null;

    /// <summary>The literal's text, or the hole's name as written in the template.</summary>
    public string? Text { get; }

    internal byte[]? LiteralUtf8 { get; }

    /// <summary>The hole's argument index in <see cref="LogTemplate.Args"/>; -1 for a literal.</summary>
    public int ArgIndex { get; }

    /// <summary>The hole's alignment (<c>{Name,-10}</c>): negative pads on the right; 0 for none.</summary>
    public int Alignment { get; }

    /// <summary>The hole's format (<c>{Price:F2}</c>), or null.</summary>
    public string? Format { get; }
}
