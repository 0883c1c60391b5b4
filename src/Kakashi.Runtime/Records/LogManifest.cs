using System;
using System.Buffers;
using System.Collections.Generic;
using System.IO;
using Kakashi.Clock;
using Kakashi.Templates;
using Microsoft.Extensions.Logging;

namespace Kakashi;

/// <summary>
/// Everything needed to decode records without the process that wrote them: the templates (argument names, wire types,
/// enum tables, segments), the categories, the logging threads' names and the clock calibration. Serialized as a sequence
/// of self-delimiting entries (docs/record-format.md), so a stream such as a binary log can append entries as they appear
/// and a reader skips entry kinds it does not know.
/// </summary>
public sealed class LogManifest
{
    /// <summary>The manifest format this version writes and reads (newer versions are refused).</summary>
    public const byte FormatVersion = 1;

    /// <summary>The four bytes a manifest starts with: <c>KKMF</c>.</summary>
    public static ReadOnlySpan<byte> Magic => "KKMF"u8;

    internal enum EntryKind : byte
    {
        Template = 1,
        Category = 2,
        Clock = 3,
        Thread = 4,
    }

    private readonly Dictionary<int, string?> _threads = new();

    /// <summary>A manifest of these templates, categories (none when null) and clock calibration.</summary>
    public LogManifest(TemplateRegistry templates, CategoryTable? categories = null, ClockCalibration? clock = null)
    {
        ArgumentNullException.ThrowIfNull(templates);
        Templates = templates;
        Categories = categories ?? new CategoryTable();
        Clock = clock;
    }

    /// <summary>The templates records refer to by id.</summary>
    public TemplateRegistry Templates { get; }

    /// <summary>The categories records refer to by id.</summary>
    public CategoryTable Categories { get; }

    /// <summary>The clock calibration raw timestamps convert with; null when the manifest has none.</summary>
    public ClockCalibration? Clock { get; set; }

    /// <summary>Logging threads' names by managed thread id (null for a thread without a name).</summary>
    public IReadOnlyDictionary<int, string?> ThreadNames => _threads;

    /// <summary>Records the name of the logging thread <paramref name="threadId"/>.</summary>
    public void AddThread(int threadId, string? name) => _threads[threadId] = name;

    /// <summary>The manifest as bytes: the header, then every template, category, thread and the clock.</summary>
    public byte[] ToBytes()
    {
        var output = new ArrayBufferWriter<byte>(4096);
        WriteTo(output);
        return output.WrittenSpan.ToArray();
    }

    /// <summary>Writes the manifest (see <see cref="ToBytes"/>) into <paramref name="output"/>.</summary>
    public void WriteTo(IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        WriteHeader(output);
        foreach (var template in Templates.Templates) WriteTemplate(output, template);
        foreach (var category in Categories.Categories) WriteCategory(output, category);
        foreach (var (id, name) in _threads) WriteThread(output, id, name);
        if (Clock is { } clock) WriteClock(output, clock);
    }

    /// <summary>The 5-byte header: <see cref="Magic"/> and <see cref="FormatVersion"/>.</summary>
    public static void WriteHeader(IBufferWriter<byte> output)
    {
        new ManifestWriter(output).Bytes(Magic);
        new ManifestWriter(output).Byte(FormatVersion);
    }

    /// <summary>One template entry (a stream writes it before the first record that uses the template).</summary>
    public static void WriteTemplate(IBufferWriter<byte> output, LogTemplate template)
    {
        ArgumentNullException.ThrowIfNull(template);
        if (template.Id <= 0) throw new ArgumentException($"{template.Method} is not registered: it has no id.", nameof(template));
        var body = new ArrayBufferWriter<byte>(256);
        var w = new ManifestWriter(body);
        w.VarUInt((uint)template.Id);
        w.String(template.Method);
        w.Byte(template.Level is { } level ? (byte)level : (byte)0xFF);
        w.VarInt(template.EventId);
        w.String(template.EventName);
        w.String(template.Message);
        w.VarUInt((uint)template.Args.Length);
        foreach (var arg in template.Args)
        {
            w.String(arg.Name);
            w.Byte((byte)arg.Type);
            switch (arg.Type.Base())
            {
                case ArgType.Enum:
                    var table = arg.EnumTable!;
                    w.String(table.TypeName);
                    w.Byte((byte)table.Underlying);
                    w.Byte(table.IsFlags ? (byte)1 : (byte)0);
                    w.VarUInt((uint)table.Names.Length);
                    for (int i = 0; i < table.Names.Length; i++)
                    {
                        w.String(table.Names[i]);
                        w.VarInt(table.Values[i]);
                    }
                    break;
                case ArgType.Custom:
                    w.String(arg.TypeName ?? "?");
                    w.VarUInt((uint)arg.CustomSize);
                    break;
            }
        }
        w.VarUInt((uint)template.Segments.Length);
        foreach (var segment in template.Segments)
        {
            if (segment.IsLiteral)
            {
                w.Byte(0);
                w.String(segment.Text ?? "");
            }
            else
            {
                w.Byte(1);
                w.String(segment.Text ?? "");
                w.VarUInt((uint)segment.ArgIndex);
                w.VarInt(segment.Alignment);
                w.NullableString(segment.Format);
            }
        }
        Entry(output, EntryKind.Template, body.WrittenSpan);
    }

    /// <summary>Writes one category entry (appended to a manifest already written).</summary>
    public static void WriteCategory(IBufferWriter<byte> output, LogCategory category)
    {
        var body = new ArrayBufferWriter<byte>(64);
        var w = new ManifestWriter(body);
        w.VarUInt((uint)category.Id);
        w.String(category.Name);
        Entry(output, EntryKind.Category, body.WrittenSpan);
    }

    /// <summary>Writes one thread-name entry (appended to a manifest already written).</summary>
    public static void WriteThread(IBufferWriter<byte> output, int threadId, string? name)
    {
        var body = new ArrayBufferWriter<byte>(64);
        var w = new ManifestWriter(body);
        w.VarInt(threadId);
        w.NullableString(name);
        Entry(output, EntryKind.Thread, body.WrittenSpan);
    }

    /// <summary>A clock entry: in a stream, the calibration for the records after it (a re-sync point).</summary>
    public static void WriteClock(IBufferWriter<byte> output, ClockCalibration clock)
    {
        Span<byte> body = stackalloc byte[ClockCalibration.Size];
        clock.WriteTo(body);
        Entry(output, EntryKind.Clock, body);
    }

    private static void Entry(IBufferWriter<byte> output, EntryKind kind, ReadOnlySpan<byte> body)
    {
        var w = new ManifestWriter(output);
        w.Byte((byte)kind);
        w.VarUInt((uint)body.Length);
        w.Bytes(body);
    }

    /// <summary>Rebuilds a manifest from its bytes: a fresh registry, category table, thread names and clock.</summary>
    /// <exception cref="InvalidDataException">Not a manifest, damaged, or from a newer format version.</exception>
    public static LogManifest Read(ReadOnlySpan<byte> bytes)
    {
        var manifest = new LogManifest(new TemplateRegistry());
        var r = new ManifestReader(bytes);
        if (bytes.Length < 5 || !bytes[..4].SequenceEqual(Magic)) throw new InvalidDataException("Not a Kakashi manifest (it does not start with KKMF).");
        r.Bytes(4);
        byte version = r.Byte();
        if (version > FormatVersion)
            throw new InvalidDataException($"The manifest is format version {version}; this Kakashi reads up to version {FormatVersion}: update Kakashi to read it.");
        if (version == 0) throw new InvalidDataException("The manifest's format version is 0 (not a manifest).");
        while (!r.End) manifest.ReadEntry(ref r);
        return manifest;
    }

    /// <summary>
    /// Reads one entry into this manifest (unknown kinds are skipped whole: the compatibility rule). With
    /// <paramref name="stream"/> (a .klog file, which repeats its metadata at the start of every file it rolls to and may
    /// repeat an entry), a template whose id is already known is skipped.
    /// </summary>
    internal void ReadEntry(ref ManifestReader r, bool stream = false)
    {
        var kind = (EntryKind)r.Byte();
        int length = r.Count(r.Remaining);
        var body = new ManifestReader(r.Bytes(length));
        try
        {
            switch (kind)
            {
                case EntryKind.Template:
                    var template = ReadTemplate(ref body, out int id);
                    if (!stream || Templates.Find(id) is null) Templates.Register(template, id);
                    break;
                case EntryKind.Category:
                    Categories.Add(new LogCategory(body.Count(TemplateLimits.MaxCategoryId), body.String()));
                    break;
                case EntryKind.Thread:
                    _threads[body.Int32(int.MinValue, int.MaxValue)] = body.NullableString();
                    break;
                case EntryKind.Clock:
                    Clock = ClockCalibration.Read(body.Bytes(ClockCalibration.Size));
                    break;
            }
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or FormatException)
        {
            throw new InvalidDataException($"A {kind} entry of the manifest is invalid: {e.Message}", e);
        }
    }

    private static LogTemplate ReadTemplate(ref ManifestReader r, out int id)
    {
        id = r.Count(TemplateRegistry.MaxId);
        string method = r.String();
        byte level = r.Byte();
        if (level != 0xFF && level > (byte)LogLevel.None) throw new InvalidDataException($"Template {id} has level {level}.");
        int eventId = r.Int32(int.MinValue, int.MaxValue);
        string eventName = r.String();
        string message = r.String();
        int argCount = r.Count(TemplateLimits.MaxArgs);
        var args = new TemplateArg[argCount];
        for (int i = 0; i < argCount; i++)
        {
            string name = r.String();
            var type = (ArgType)r.Byte();
            if (!ArgTypes.IsDefined(type)) throw new InvalidDataException($"Argument {name} of template {id} has an unknown type {(byte)type}.");
            bool nullable = type.IsNullable();
            switch (type.Base())
            {
                case ArgType.Enum:
                    string typeName = r.String();
                    var underlying = (ArgType)r.Byte();
                    bool flags = r.Byte() != 0;
                    int count = r.Count(TemplateLimits.MaxEnumNames);
                    var names = new string[count];
                    var values = new long[count];
                    for (int k = 0; k < count; k++)
                    {
                        names[k] = r.String();
                        values[k] = r.VarInt();
                    }
                    args[i] = TemplateArg.FromTable(name, new EnumTable(typeName, underlying, flags, names, values), nullable);
                    break;
                case ArgType.Custom:
                    string custom = r.String();
                    args[i] = TemplateArg.Opaque(name, custom, r.Count(4096), nullable);
                    break;
                default:
                    args[i] = new TemplateArg(name, type);
                    break;
            }
        }
        int segmentCount = r.Count(TemplateLimits.MaxSegments);
        var segments = new TemplateSegment[segmentCount];
        for (int i = 0; i < segmentCount; i++)
        {
            byte kind = r.Byte();
            if (kind == 0)
            {
                segments[i] = TemplateSegment.Literal(r.String());
                continue;
            }
            if (kind != 1) throw new InvalidDataException($"Template {id} has a segment of unknown kind {kind}.");
            string hole = r.String();
            int arg = r.Count(TemplateLimits.MaxArgs);
            int alignment = r.Int32(-1_000_000, 1_000_000);
            segments[i] = TemplateSegment.Hole(hole, arg, alignment, r.NullableString());
        }
        return new LogTemplate(method, level == 0xFF ? null : (LogLevel)level, eventId, eventName, message, segments, args);
    }
}
