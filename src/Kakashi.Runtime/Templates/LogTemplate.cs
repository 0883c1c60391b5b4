using System;
using System.ComponentModel;
using System.Text;
using System.Threading;
using Microsoft.Extensions.Logging;

namespace Kakashi.Templates;

/// <summary>
/// Compile-time metadata of one <c>[KakashiLog]</c> method: its parsed message template, argument names and codecs.
/// The generator emits one per method as a static field; the drain looks it up by the record's template id and never
/// parses a template at run time. It is also the manifest a binary-log decoder needs to render a record.
/// </summary>
public sealed class LogTemplate
{
    private static readonly Lock s_lock = new();
    private static LogTemplate?[] s_byId = new LogTemplate?[256];
    private static int s_count;

    /// <summary>Creates and registers a template (called once per method by generated code).</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public LogTemplate(string method, LogLevel? level, int eventId, string? eventName, string message, TemplateSegment[] segments, TemplateArg[] args)
    {
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
        lock (s_lock)
        {
            Id = ++s_count; // ids start at 1: a zeroed header never names a template
            if (Id >= s_byId.Length) Array.Resize(ref s_byId, s_byId.Length * 2);
            Volatile.Write(ref s_byId[Id], this);
        }
    }

    /// <summary>The id written into each record's header.</summary>
    public int Id { get; }

    /// <summary>The declaring type and method, e.g. <c>TradeLog.OrderFilled</c>.</summary>
    public string Method { get; }

    /// <summary>The attribute's level, or null when the method takes a level parameter.</summary>
    public LogLevel? Level { get; }

    public int EventId { get; }

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

    /// <summary>Looks up a registered template; null for an unknown id.</summary>
    public static LogTemplate? FromId(int id)
    {
        var table = Volatile.Read(ref s_byId);
        return (uint)id < (uint)table.Length ? table[id] : null;
    }

    private static string ShortName(string method)
    {
        int dot = method.LastIndexOf('.');
        return dot < 0 ? method : method.Substring(dot + 1);
    }

    public override string ToString() => $"{Method} #{Id}: {Message}";
}

/// <summary>One argument of a template: its name (as the parameter is named) and how its bytes are encoded.</summary>
public sealed class TemplateArg
{
    public TemplateArg(string name, ArgCodec codec)
    {
        Name = name;
        NameUtf8 = Encoding.UTF8.GetBytes(name);
        Codec = codec;
        CanBeNull = codec.CanBeNull;
        IsException = codec.IsException;
    }

    // the codec's constant answers, read without a virtual call per record
    internal readonly bool CanBeNull;
    internal readonly bool IsException;

    public string Name { get; }
    internal byte[] NameUtf8 { get; }
    public ArgCodec Codec { get; }
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

    public bool IsLiteral => LiteralUtf8 is not null;

    /// <summary>The literal's text, or the hole's name as written in the template.</summary>
    public string? Text { get; }

    internal byte[]? LiteralUtf8 { get; }

    public int ArgIndex { get; }

    public int Alignment { get; }

    public string? Format { get; }
}
