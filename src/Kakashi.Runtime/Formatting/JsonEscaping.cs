using System;
using System.Buffers;
using System.Text;

namespace Kakashi.Formatting;

/// <summary>
/// Writes text as the inside of a JSON string, UTF-8, without allocating. Escaped: <c>"</c> and <c>\</c>; every C0 control
/// character (<c>\n</c>, <c>\r</c>, <c>\t</c>, <c>\b</c>, <c>\f</c>, else <c>\u00XX</c>); DEL and the C1 controls
/// (U+007F–U+009F: NEL, CSI) and U+2028/U+2029 (valid JSON, but they end lines in JavaScript and some terminals) as
/// <c>\uXXXX</c>. Invalid UTF-8 and lone UTF-16 surrogates become U+FFFD, so every line is valid JSON whatever the input.
/// ASCII runs with nothing to escape are found with a vectorized search and copied as they are.
/// </summary>
internal static class JsonEscaping
{
    private static readonly SearchValues<byte> s_specialBytes = Build8();
    private static readonly SearchValues<char> s_specialChars = Build16();
    private static ReadOnlySpan<byte> Hex => "0123456789abcdef"u8;

    private static SearchValues<byte> Build8()
    {
        var bytes = new byte[0x20 + 2 + 0x81];
        int n = 0;
        for (int b = 0; b < 0x20; b++) bytes[n++] = (byte)b;
        bytes[n++] = (byte)'"';
        bytes[n++] = (byte)'\\';
        for (int b = 0x7F; b <= 0xFF; b++) bytes[n++] = (byte)b;
        return SearchValues.Create(bytes.AsSpan(0, n));
    }

    private static SearchValues<char> Build16()
    {
        var chars = new char[0x20 + 2 + 1];
        int n = 0;
        for (int c = 0; c < 0x20; c++) chars[n++] = (char)c;
        chars[n++] = '"';
        chars[n++] = '\\';
        chars[n++] = (char)0x7F;
        // everything from U+0080 up is handled one scalar at a time (searching for "not ASCII" is a range test)
        return SearchValues.Create(chars.AsSpan(0, n));
    }

    /// <summary>Writes <paramref name="utf8"/> escaped (no quotes).</summary>
    public static void WriteUtf8(ref Utf8Writer output, ReadOnlySpan<byte> utf8)
    {
        while (!utf8.IsEmpty)
        {
            int i = utf8.IndexOfAny(s_specialBytes);
            if (i < 0)
            {
                output.Write(utf8);
                return;
            }
            if (i > 0) output.Write(utf8[..i]);
            utf8 = utf8[i..];
            byte b = utf8[0];
            if (b < 0x80)
            {
                WriteAsciiEscape(ref output, b);
                utf8 = utf8[1..];
                continue;
            }
            var status = Rune.DecodeFromUtf8(utf8, out Rune rune, out int consumed);
            if (consumed <= 0) consumed = 1;
            if (status != OperationStatus.Done) WriteReplacement(ref output);
            else if (NeedsUnicodeEscape(rune.Value)) WriteUnicodeEscape(ref output, rune.Value);
            else output.Write(utf8[..consumed]);
            utf8 = utf8[consumed..];
        }
    }

    /// <summary>Writes <paramref name="text"/> escaped (no quotes), transcoded to UTF-8.</summary>
    public static void WriteUtf16(ref Utf8Writer output, ReadOnlySpan<char> text)
    {
        while (!text.IsEmpty)
        {
            // the longest run that is plain ASCII with nothing to escape
            int i = text.IndexOfAny(s_specialChars);
            int ascii = text.IndexOfAnyExceptInRange('\0', '\u007f');
            if (ascii >= 0 && (i < 0 || ascii < i)) i = ascii;
            if (i < 0) i = text.Length;
            if (i > 0)
            {
                var run = text[..i];
                var dest = output.GetSpan(run.Length);
                Ascii.FromUtf16(run, dest, out int written);
                output.Advance(written);
                text = text[i..];
                if (text.IsEmpty) return;
            }
            char c = text[0];
            if (c < 0x80)
            {
                WriteAsciiEscape(ref output, (byte)c);
                text = text[1..];
                continue;
            }
            var status = Rune.DecodeFromUtf16(text, out Rune rune, out int consumed);
            if (consumed <= 0) consumed = 1;
            if (status != OperationStatus.Done) WriteReplacement(ref output);
            else if (NeedsUnicodeEscape(rune.Value)) WriteUnicodeEscape(ref output, rune.Value);
            else
            {
                var dest = output.GetSpan(4);
                output.Advance(rune.EncodeToUtf8(dest));
            }
            text = text[consumed..];
        }
    }

    /// <summary>True when <paramref name="utf8"/> is a JSON number (<c>-?digits[.digits][e[+-]digits]</c>): NaN, Infinity and
    /// culture-shaped numbers are not, and are then written as strings.</summary>
    public static bool IsJsonNumber(ReadOnlySpan<byte> utf8)
    {
        int i = 0;
        if (i < utf8.Length && utf8[i] == '-') i++;
        int digits = i;
        while (i < utf8.Length && (uint)(utf8[i] - '0') <= 9) i++;
        if (i == digits) return false;
        if (i - digits > 1 && utf8[digits] == '0') return false; // no leading zeros
        if (i < utf8.Length && utf8[i] == '.')
        {
            int fraction = ++i;
            while (i < utf8.Length && (uint)(utf8[i] - '0') <= 9) i++;
            if (i == fraction) return false;
        }
        if (i < utf8.Length && (utf8[i] | 0x20) == 'e')
        {
            i++;
            if (i < utf8.Length && (utf8[i] == '+' || utf8[i] == '-')) i++;
            int exponent = i;
            while (i < utf8.Length && (uint)(utf8[i] - '0') <= 9) i++;
            if (i == exponent) return false;
        }
        return i == utf8.Length;
    }

    /// <summary>A property name, escaped and quoted, with a colon: <c>"Name":</c> (made once per template, not per record).</summary>
    public static byte[] EncodeName(string name, bool clef = false)
    {
        if (clef && name.StartsWith('@')) name = "@" + name; // CLEF: a property named @x is written @@x
        var buffer = new ArrayBufferWriter<byte>(name.Length + 8);
        var writer = new Utf8Writer(buffer);
        writer.Write((byte)'"');
        WriteUtf16(ref writer, name);
        writer.Write("\":"u8);
        writer.Commit();
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Text escaped and quoted, as bytes (made once per template, not per record).</summary>
    public static byte[] EncodeString(string text)
    {
        var buffer = new ArrayBufferWriter<byte>(text.Length + 8);
        var writer = new Utf8Writer(buffer);
        writer.Write((byte)'"');
        WriteUtf16(ref writer, text);
        writer.Write((byte)'"');
        writer.Commit();
        return buffer.WrittenSpan.ToArray();
    }

    private static bool NeedsUnicodeEscape(int scalar) => scalar <= 0x9F || scalar == 0x2028 || scalar == 0x2029;

    private static void WriteAsciiEscape(ref Utf8Writer output, byte b)
    {
        switch (b)
        {
            case (byte)'"': output.Write("\\\""u8); break;
            case (byte)'\\': output.Write("\\\\"u8); break;
            case (byte)'\n': output.Write("\\n"u8); break;
            case (byte)'\r': output.Write("\\r"u8); break;
            case (byte)'\t': output.Write("\\t"u8); break;
            case (byte)'\b': output.Write("\\b"u8); break;
            case (byte)'\f': output.Write("\\f"u8); break;
            default: WriteUnicodeEscape(ref output, b); break;
        }
    }

    private static void WriteUnicodeEscape(ref Utf8Writer output, int scalar)
    {
        var dest = output.GetSpan(6);
        dest[0] = (byte)'\\';
        dest[1] = (byte)'u';
        dest[2] = Hex[(scalar >> 12) & 0xF];
        dest[3] = Hex[(scalar >> 8) & 0xF];
        dest[4] = Hex[(scalar >> 4) & 0xF];
        dest[5] = Hex[scalar & 0xF];
        output.Advance(6);
    }

    private static void WriteReplacement(ref Utf8Writer output) => output.Write("\uFFFD"u8);
}
