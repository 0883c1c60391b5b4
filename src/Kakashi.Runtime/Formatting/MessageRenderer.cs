using System;
using System.Text;
using Kakashi.Templates;

namespace Kakashi.Formatting;

/// <summary>
/// Renders a record's message from its template segments and argument bytes, with the semantics of
/// Microsoft.Extensions.Logging (<c>string.Format</c> with the invariant culture; <c>(null)</c> for null;
/// alignment pads with spaces to a width counted in UTF-16 chars).
/// </summary>
internal static class MessageRenderer
{
    private static ReadOnlySpan<byte> Null => "(null)"u8;

    /// <summary>
    /// Most bytes one value may format to. A codec that still answers "too small" past this never will (a broken
    /// <c>TryFormat</c> that always returns false): the hole gets a marker instead of the drain retrying forever.
    /// </summary>
    internal static int MaxValueBytes(int dataLength) => (int)Math.Min(Array.MaxLength / 2, Math.Max(1L << 20, dataLength * 4L + 4096));

    /// <summary>Renders the message exactly as MEL would (no escaping).</summary>
    public static void Render(in LogRecord record, ref Utf8Writer output) => Render(in record, ref output, escapeControl: false);

    /// <summary>
    /// Renders the message; with <paramref name="escapeControl"/>, control characters in what the holes write (argument
    /// values, exceptions in holes) are escaped (<see cref="TextEscaping"/>), so a value can never start a new line. The
    /// template's literal text is written as it is. Without it, the bytes are those of MEL's rendering.
    /// </summary>
    public static void Render(in LogRecord record, ref Utf8Writer output, bool escapeControl)
    {
        var segments = record.Template.Segments;
        var args = record.Template.Args;
        for (int i = 0; i < segments.Length; i++)
        {
            ref readonly var segment = ref segments[i];
            var literal = segment.LiteralUtf8;
            if (literal is not null)
            {
                output.Write(literal);
                continue;
            }
            var arg = args[segment.ArgIndex];
            // the common holes (a number, a short string, a bool; no format, no alignment) are written directly: no codec
            // call, and no escaping scan for values that cannot hold a control character
            if (segment.Format is null && segment.Alignment == 0 && TryWriteDirect(ref output, arg.Type, record.GetArgData(segment.ArgIndex), escapeControl)) continue;
            long mark = output.Mark;
            try
            {
                if (arg.IsException)
                {
                    var value = record.GetObject(segment.ArgIndex);
                    WriteText(ref output, value is null ? null : FormatFailures.ExceptionText(value), segment.Alignment, escapeControl);
                    continue;
                }
                var data = record.GetArgData(segment.ArgIndex);
                if (arg.CanBeNull && arg.Codec.IsNull(data)) WritePadded(ref output, Null, segment.Alignment);
                else if (!WriteArg(ref output, arg.Codec, data, segment.Alignment, segment.Format, escapeControl)) FormatFailures.Hole(ref output, mark, in segment, "no output fits");
            }
            catch (Exception e)
            {
                // a throwing TryFormat or ToString, or a format the type rejects ({Price:Q2}): the hole's bytes so far are
                // taken back and the hole is marked, so the record stays whole
                FormatFailures.Hole(ref output, mark, in segment, e.GetType().Name);
            }
        }
    }

    /// <summary>
    /// Writes a value of a common wire type with no format and no alignment, exactly as its codec would (invariant culture).
    /// False for anything else (nullable, null, truncated or long strings, strings that need escaping, doubles off the
    /// short-decimal path): the general path writes those.
    /// </summary>
    private static bool TryWriteDirect(ref Utf8Writer output, ArgType type, ReadOnlySpan<byte> data, bool escapeControl)
    {
        switch (type)
        {
            case ArgType.Int32: WriteInt64(ref output, System.Runtime.InteropServices.MemoryMarshal.Read<int>(data)); return true;
            case ArgType.Int64: WriteInt64(ref output, System.Runtime.InteropServices.MemoryMarshal.Read<long>(data)); return true;
            case ArgType.UInt32: WriteUInt64(ref output, System.Runtime.InteropServices.MemoryMarshal.Read<uint>(data)); return true;
            case ArgType.UInt64: WriteUInt64(ref output, System.Runtime.InteropServices.MemoryMarshal.Read<ulong>(data)); return true;
            case ArgType.Int16: WriteInt64(ref output, System.Runtime.InteropServices.MemoryMarshal.Read<short>(data)); return true;
            case ArgType.UInt16: WriteUInt64(ref output, System.Runtime.InteropServices.MemoryMarshal.Read<ushort>(data)); return true;
            case ArgType.Byte: WriteUInt64(ref output, data[0]); return true;
            case ArgType.SByte: WriteInt64(ref output, (sbyte)data[0]); return true;
            case ArgType.Boolean: output.Write(data[0] != 0 ? "True"u8 : "False"u8); return true;
            case ArgType.Double:
                {
                    var dest = output.GetSpan(32);
                    if (!DoubleCodec.TryFormatShortDecimal(System.Runtime.InteropServices.MemoryMarshal.Read<double>(data), dest, out int n)) return false;
                    output.Advance(n);
                    return true;
                }
            case ArgType.String:
                {
                    int header = System.Runtime.InteropServices.MemoryMarshal.Read<int>(data);
                    if ((uint)header > 4096) return false; // null (-1), truncated (bit 30) or long: the general path
                    var chars = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, char>(data.Slice(4, header * 2));
                    if (escapeControl && TextEscaping.NeedsEscape(chars)) return false;
                    var dest = output.GetSpan(chars.Length * 3);
                    System.Text.Unicode.Utf8.FromUtf16(chars, dest, out _, out int written, replaceInvalidSequences: true);
                    output.Advance(written);
                    return true;
                }
            default:
                return false;
        }
    }

    internal static void WriteInt64(ref Utf8Writer output, long value)
    {
        if (value >= 0)
        {
            WriteUInt64(ref output, (ulong)value);
            return;
        }
        output.Write((byte)'-');
        WriteUInt64(ref output, (ulong)-(value + 1) + 1); // long.MinValue too
    }

    internal static void WriteUInt64(ref Utf8Writer output, ulong value)
    {
        var dest = output.GetSpan(20);
        int digits = CountDigits(value);
        int i = digits;
        var pairs = DigitPairs;
        while (value >= 100)
        {
            // two digits per division (a multiply and a shift for a constant divisor)
            ulong q = value / 100;
            int pair = (int)(value - q * 100) * 2;
            dest[--i] = pairs[pair + 1];
            dest[--i] = pairs[pair];
            value = q;
        }
        if (value >= 10)
        {
            int pair = (int)value * 2;
            dest[--i] = pairs[pair + 1];
            dest[--i] = pairs[pair];
        }
        else
        {
            dest[--i] = (byte)('0' + (int)value);
        }
        output.Advance(digits);
    }

    private static ReadOnlySpan<byte> DigitPairs => "00010203040506070809101112131415161718192021222324252627282930313233343536373839404142434445464748495051525354555657585960616263646566676869707172737475767778798081828384858687888990919293949596979899"u8;

    private static int CountDigits(ulong value)
    {
        int digits = 1;
        while (value >= 10_000) { value /= 10_000; digits += 4; }
        if (value >= 100) digits += value >= 1_000 ? 3 : 2;
        else if (value >= 10) digits += 1;
        return digits;
    }

    /// <summary>
    /// Formats a non-null argument, growing the span until the value and its padding fit, then aligns it. False when the
    /// codec cannot format the value within <see cref="MaxValueBytes"/> (nothing is written then).
    /// </summary>
    internal static bool WriteArg(ref Utf8Writer output, ArgCodec codec, ReadOnlySpan<byte> data, int alignment, string? format, bool escapeControl = false)
    {
        int hint = 64 + Math.Abs(alignment);
        int max = MaxValueBytes(data.Length) + Math.Abs(alignment);
        int regrow = 0;
        while (true)
        {
            var dest = output.GetSpan(hint);
            if (!codec.TryFormat(data, dest, out int written, format))
            {
                if (dest.Length >= max) return false;
                hint = (int)Math.Min(max, dest.Length * 2L);
                continue;
            }
            if (escapeControl)
            {
                // the value is formatted as usual, then scanned (vectorized; nothing found in ordinary values) and, when it
                // holds a control character, escaped in place, backwards; when the escapes do not fit in the span, the value
                // is formatted again into one big enough (formatting is deterministic: once is enough; a value whose
                // length changes between calls gets a few tries, then its hole is marked)
                int extra = TextEscaping.ExtraBytes(dest[..written]);
                if (extra > 0)
                {
                    if (written + extra > dest.Length)
                    {
                        if (++regrow > 3) return false;
                        hint = written + extra + Math.Abs(alignment);
                        continue;
                    }
                    TextEscaping.ExpandInPlace(dest, written, extra);
                    written += extra;
                }
            }
            if (alignment == 0)
            {
                output.Advance(written);
                return true;
            }
            // padding is counted in UTF-16 chars, but non-ASCII values take more bytes than chars: make sure both fit
            int pad = Math.Abs(alignment) - CountChars(dest[..written]);
            if (pad > 0 && written + pad > dest.Length)
            {
                hint = written + pad;
                continue;
            }
            if (pad > 0 && alignment > 0)
            {
                dest[..written].CopyTo(dest[pad..]);
                dest[..pad].Fill((byte)' ');
            }
            else if (pad > 0)
            {
                dest.Slice(written, pad).Fill((byte)' ');
            }
            output.Advance(written + Math.Max(pad, 0));
            return true;
        }
    }

    private static void WritePadded(ref Utf8Writer output, ReadOnlySpan<byte> text, int alignment)
    {
        int pad = Math.Abs(alignment) - CountChars(text);
        if (alignment > 0) output.Fill((byte)' ', pad);
        output.Write(text);
        if (alignment < 0) output.Fill((byte)' ', pad);
    }

    private static void WriteText(ref Utf8Writer output, string? text, int alignment, bool escapeControl)
    {
        if (text is null)
        {
            WritePadded(ref output, Null, alignment);
            return;
        }
        int pad = Math.Abs(alignment) - (escapeControl && alignment != 0 ? TextEscaping.EscapedLength(text) : text.Length);
        if (alignment > 0) output.Fill((byte)' ', pad);
        // an exception in a hole is part of the message: escaped, it stays on the message's line (the {Exception} token
        // of the text formatter is where its stack trace is written on lines of its own)
        if (escapeControl) TextEscaping.WriteEscaped(ref output, text.AsSpan());
        else output.Write(text.AsSpan());
        if (alignment < 0) output.Fill((byte)' ', pad);
    }

    /// <summary>UTF-16 length of UTF-8 text (the unit string.Format pads by).</summary>
    private static int CountChars(ReadOnlySpan<byte> utf8)
    {
        if (System.Text.Ascii.IsValid(utf8)) return utf8.Length;
        return Encoding.UTF8.GetCharCount(utf8);
    }
}
