using System;
using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Text;
using Kakashi.Buffers;
using Kakashi.Formatting;
using Kakashi.Templates;

namespace Kakashi.Writers.BinaryLog;

/// <summary>
/// How a template with user-type values (<see cref="ArgType.Custom"/>: unmanaged structs the type's own code formats, and
/// <see cref="nint"/>, <see cref="System.Numerics.Complex"/>, <see cref="System.Text.Rune"/>…) is stored in a <c>.klog</c>: a
/// decoder on another machine has the bytes but not the type, so the writer formats those values on the drain, once per
/// distinct format the template's holes ask for, and stores them as strings under a stored template of the same id
/// (docs/binary-log.md, "User types"). The value a hole without a format shows (and structured output's property) is the
/// argument itself, turned into a string; each other format is an extra argument of the same name, which structured output
/// leaves out (a name twice in one object is written once) and which only its hole refers to. Every other argument is copied
/// as it is. Decoded output then equals live output byte for byte, on any machine.
/// </summary>
internal sealed class RenderedValues
{
    private const int MaxChars = 16 * 1024; // a longer rendering is cut (and marked truncated, as a long string is)

    private readonly LogTemplate _original;
    private readonly (int Source, string? Format, string Hole)[] _rendered; // per stored argument past the original ones
    private readonly bool[] _isCustom;

    private RenderedValues(LogTemplate original, LogTemplate stored, bool[] isCustom, (int, string?, string)[] rendered)
    {
        _original = original;
        Stored = stored;
        _isCustom = isCustom;
        _rendered = rendered;
    }

    /// <summary>The template the file declares under the original's id.</summary>
    public LogTemplate Stored { get; }

    /// <summary>The plan for <paramref name="template"/>, or null when it has no user-type value (stored as it is).</summary>
    public static RenderedValues? For(LogTemplate template)
    {
        var args = template.Args;
        bool[]? isCustom = null;
        for (int i = 0; i < args.Length; i++)
        {
            if (args[i].Type.Base() != ArgType.Custom) continue;
            isCustom ??= new bool[args.Length];
            isCustom[i] = true;
        }
        if (isCustom is null) return null;

        // the property name structured output gives each argument: its first hole's name, else the parameter's
        var names = new string[args.Length];
        for (int i = 0; i < args.Length; i++)
        {
            names[i] = args[i].Name;
            foreach (var segment in template.Segments)
            {
                if (!segment.IsLiteral && segment.ArgIndex == i && segment.Text is { Length: > 0 } hole)
                {
                    names[i] = hole;
                    break;
                }
            }
        }
        var stored = new List<TemplateArg>(args.Length + 2);
        for (int i = 0; i < args.Length; i++) stored.Add(isCustom[i] ? new TemplateArg(names[i], ArgType.String) : args[i]);
        var rendered = new List<(int, string?, string)>();
        var segments = new TemplateSegment[template.Segments.Length];
        for (int s = 0; s < segments.Length; s++)
        {
            var segment = template.Segments[s];
            if (segment.IsLiteral || !isCustom[segment.ArgIndex])
            {
                segments[s] = segment;
                continue;
            }
            int arg = segment.ArgIndex;
            if (string.IsNullOrEmpty(segment.Format))
            {
                segments[s] = TemplateSegment.Hole(segment.Text ?? names[arg], arg, segment.Alignment);
                continue;
            }
            int index = rendered.FindIndex(r => r.Item1 == arg && r.Item2 == segment.Format);
            if (index < 0)
            {
                index = rendered.Count;
                rendered.Add((arg, segment.Format, segment.Text ?? names[arg]));
                stored.Add(new TemplateArg(names[arg], ArgType.String));
            }
            // named as the argument's property, so structured output writes the property once (the first, unformatted, value)
            segments[s] = TemplateSegment.Hole(names[arg], args.Length + index, segment.Alignment);
        }
        var copy = new LogTemplate(template.Method, template.Level, template.EventId, template.EventName, template.Message, segments, [.. stored]) { Id = template.Id };
        return new RenderedValues(template, copy, isCustom, [.. rendered]);
    }

    /// <summary>
    /// The v1 payload of <see cref="Stored"/> for a record of the original template with <paramref name="payload"/>, built in
    /// <paramref name="scratch"/> (reset first); false when the payload does not hold its arguments (a damaged record).
    /// </summary>
    public bool Rewrite(ReadOnlySpan<byte> payload, ArrayBufferWriter<byte> scratch, out ReadOnlySpan<byte> result)
    {
        result = default;
        scratch.ResetWrittenCount();
        var args = _original.Args;
        Span<int> offsets = args.Length <= 32 ? stackalloc int[args.Length] : new int[args.Length];
        int pos = 0;
        for (int i = 0; i < args.Length; i++)
        {
            offsets[i] = pos;
            int length = args[i].Codec.GetLength(payload[pos..]);
            if (length < 0 || length > payload.Length - pos) return false;
            if (_isCustom[i]) WriteRendered(scratch, args[i], payload.Slice(pos, length), null, args[i].Name);
            else
            {
                payload.Slice(pos, length).CopyTo(scratch.GetSpan(length));
                scratch.Advance(length);
            }
            pos += length;
        }
        foreach (var (source, format, hole) in _rendered)
        {
            int length = args[source].Codec.GetLength(payload[offsets[source]..]);
            WriteRendered(scratch, args[source], payload.Slice(offsets[source], length), format, hole);
        }
        result = scratch.WrittenSpan;
        return true;
    }

    /// <summary>The value formatted (or null, or the live renderer's failure marker) as a v1 string: int32 length in chars, UTF-16.</summary>
    private static void WriteRendered(ArrayBufferWriter<byte> output, TemplateArg arg, ReadOnlySpan<byte> data, string? format, string hole)
    {
        if (arg.CanBeNull && arg.Codec.IsNull(data))
        {
            BinaryPrimitives.WriteInt32LittleEndian(output.GetSpan(4), -1);
            output.Advance(4);
            return;
        }
        string text;
        try
        {
            text = Format(arg.Codec, data, format) ?? $"{{{hole}{(format is null ? "" : ":" + format)} format failed: no output fits}}";
        }
        catch (Exception e)
        {
            FormatFailures.Count();
            text = $"{{{hole}{(format is null ? "" : ":" + format)} format failed: {e.GetType().Name}}}";
        }
        bool truncated = text.Length > MaxChars;
        if (truncated) text = text[..MaxChars];
        var span = output.GetSpan(4 + text.Length * 2);
        BinaryPrimitives.WriteInt32LittleEndian(span, text.Length | (truncated ? RecordLayout.TruncatedStringBit : 0));
        for (int i = 0; i < text.Length; i++) BinaryPrimitives.WriteUInt16LittleEndian(span[(4 + i * 2)..], text[i]);
        output.Advance(4 + text.Length * 2);
    }

    private static string? Format(ArgCodec codec, ReadOnlySpan<byte> data, string? format)
    {
        Span<byte> small = stackalloc byte[256];
        if (codec.TryFormat(data, small, out int n, format)) return Encoding.UTF8.GetString(small[..n]);
        for (int size = 1024; size <= MaxChars * 8; size *= 4)
        {
            byte[] rented = ArrayPool<byte>.Shared.Rent(size);
            try
            {
                if (codec.TryFormat(data, rented, out n, format)) return Encoding.UTF8.GetString(rented, 0, n);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
        return null;
    }
}
