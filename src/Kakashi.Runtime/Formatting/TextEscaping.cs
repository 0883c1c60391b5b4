using System;
using System.Buffers;
using System.Text;

namespace Kakashi.Formatting;

/// <summary>
/// Makes text that is not the application's message safe to put on a log line: control characters (C0, DEL, C1 such as
/// NEL) and the Unicode line and paragraph separators become visible escapes (<c>\n</c>, <c>\r</c>, <c>\t</c>,
/// <c>\u001b</c>, <c>\u2028</c>), so a category or a scope name can never start a new line or carry a terminal escape
/// sequence. For names, done once, when the name is created; for argument values and exception text (the
/// <see cref="TextFormatter.EscapeControlCharacters"/> option), per record, with a vectorized scan that finds nothing in
/// ordinary text.
/// </summary>
internal static class TextEscaping
{
    public static bool NeedsEscape(char c) => c < 0x20 || (c >= 0x7F && c <= 0x9F) || c == '\u2028' || c == '\u2029';

    /// <summary><paramref name="text"/> with every character that could break a line escaped (the same string when there is none).</summary>
    public static string EscapeControl(string text)
    {
        int first = -1;
        for (int i = 0; i < text.Length; i++)
        {
            if (NeedsEscape(text[i]))
            {
                first = i;
                break;
            }
        }
        if (first < 0) return text;
        var sb = new StringBuilder(text.Length + 16).Append(text, 0, first);
        for (int i = first; i < text.Length; i++)
        {
            char c = text[i];
            if (!NeedsEscape(c))
            {
                sb.Append(c);
                continue;
            }
            switch (c)
            {
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                default: sb.Append("\\u").Append(((int)c).ToString("x4", System.Globalization.CultureInfo.InvariantCulture)); break;
            }
        }
        return sb.ToString();
    }

    // ------------------------------------------------------------------ per record (drain): UTF-8 and UTF-16 scanners, no allocation

    /// <summary>
    /// First bytes of what <see cref="NeedsEscape(char)"/> matches in UTF-8: C0 controls and DEL (one byte), and the lead
    /// bytes of C1 controls (<c>C2 80</c>..<c>C2 9F</c>) and of U+2028/U+2029 (<c>E2 80 A8</c>/<c>E2 80 A9</c>).
    /// </summary>
    private static readonly SearchValues<byte> s_utf8Starts = SearchValues.Create(Utf8StartBytes());

    private static readonly SearchValues<char> s_chars = SearchValues.Create(EscapedChars());

    /// <summary>True when some char of <paramref name="text"/> would be escaped (one vectorized scan).</summary>
    public static bool NeedsEscape(ReadOnlySpan<char> text) => text.IndexOfAny(s_chars) >= 0;

    private static byte[] Utf8StartBytes()
    {
        var bytes = new byte[0x20 + 3];
        for (int i = 0; i < 0x20; i++) bytes[i] = (byte)i;
        bytes[0x20] = 0x7F;
        bytes[0x21] = 0xC2;
        bytes[0x22] = 0xE2;
        return bytes;
    }

    private static string EscapedChars()
    {
        var chars = new char[0x20 + (0x9F - 0x7F + 1) + 2];
        int n = 0;
        for (int c = 0; c < 0x20; c++) chars[n++] = (char)c;
        for (int c = 0x7F; c <= 0x9F; c++) chars[n++] = (char)c;
        chars[n++] = '\u2028';
        chars[n++] = '\u2029';
        return new string(chars, 0, n);
    }

    /// <summary>
    /// How many bytes escaping <paramref name="utf8"/> adds (0 when nothing in it needs escaping: one vectorized scan).
    /// Invalid UTF-8 is left as it is, byte for byte; only the exact encodings of the escaped characters are matched.
    /// </summary>
    public static int ExtraBytes(ReadOnlySpan<byte> utf8)
    {
        int i = utf8.IndexOfAny(s_utf8Starts);
        if (i < 0) return 0;
        int extra = 0;
        while (true)
        {
            int consumed = Match(utf8, i, out int code);
            if (consumed > 0) extra += EscapeLength(code) - consumed;
            else consumed = 1;
            i += consumed;
            int next = utf8[i..].IndexOfAny(s_utf8Starts);
            if (next < 0) return extra;
            i += next;
        }
    }

    /// <summary>
    /// Escapes the first <paramref name="length"/> bytes of <paramref name="buffer"/> in place, backwards, into
    /// <paramref name="length"/> + <see cref="ExtraBytes"/> bytes (the buffer must hold them).
    /// </summary>
    public static void ExpandInPlace(Span<byte> buffer, int length, int extra)
    {
        int r = length - 1, w = length + extra - 1;
        while (w > r)
        {
            byte b = buffer[r];
            int code = -1, consumed = 1;
            if (b < 0x20 || b == 0x7F) code = b;
            else if (b >= 0x80 && b <= 0x9F && r >= 1 && buffer[r - 1] == 0xC2) { code = b; consumed = 2; }
            else if ((b == 0xA8 || b == 0xA9) && r >= 2 && buffer[r - 1] == 0x80 && buffer[r - 2] == 0xE2) { code = 0x2000 + b - 0x80; consumed = 3; }
            if (code < 0)
            {
                buffer[w--] = b;
                r--;
                continue;
            }
            int n = EscapeLength(code);
            WriteEscape(buffer.Slice(w - n + 1, n), code);
            w -= n;
            r -= consumed;
        }
    }

    /// <summary>Writes UTF-8 text with its control characters escaped.</summary>
    public static void WriteEscaped(ref Utf8Writer output, scoped ReadOnlySpan<byte> utf8)
    {
        int extra = ExtraBytes(utf8);
        if (extra == 0)
        {
            output.Write(utf8);
            return;
        }
        var dest = output.GetSpan(utf8.Length + extra);
        utf8.CopyTo(dest);
        ExpandInPlace(dest, utf8.Length, extra);
        output.Advance(utf8.Length + extra);
    }

    /// <summary>Writes text as UTF-8 with its control characters escaped (lone surrogates become U+FFFD, as everywhere).</summary>
    public static void WriteEscaped(ref Utf8Writer output, scoped ReadOnlySpan<char> text)
    {
        while (true)
        {
            int i = text.IndexOfAny(s_chars);
            if (i < 0)
            {
                output.Write(text);
                return;
            }
            if (i > 0) output.Write(text[..i]);
            int code = text[i];
            WriteEscape(output.GetSpan(6), code);
            output.Advance(EscapeLength(code));
            text = text[(i + 1)..];
        }
    }

    /// <summary>The length in chars of <paramref name="text"/> once escaped (what alignment pads to).</summary>
    public static int EscapedLength(ReadOnlySpan<char> text)
    {
        int length = text.Length;
        while (true)
        {
            int i = text.IndexOfAny(s_chars);
            if (i < 0) return length;
            length += EscapeLength(text[i]) - 1;
            text = text[(i + 1)..];
        }
    }

    /// <summary>
    /// Writes an exception's text (<see cref="Exception.ToString"/>) so that it cannot forge a log line: a line break is
    /// kept (as <c>\n</c>) only before a line .NET writes itself: a stack frame (spaces, then <c>at </c>), an inner
    /// exception (<c> ---&gt; </c>), or the <c>--- End of inner exception stack trace ---</c> and
    /// <c>--- End of stack trace from previous location ---</c> markers. Every other line break (one in a message) is
    /// escaped, like every other control character, so the text after it stays on the line it belongs to.
    /// </summary>
    public static void WriteException(ref Utf8Writer output, string text)
    {
        var rest = text.AsSpan();
        while (true)
        {
            int nl = rest.IndexOf('\n');
            if (nl < 0)
            {
                WriteEscaped(ref output, rest);
                return;
            }
            var line = rest[..nl];
            var next = rest[(nl + 1)..];
            if (IsExceptionLine(next))
            {
                if (line.Length > 0 && line[^1] == '\r') line = line[..^1];
                WriteEscaped(ref output, line);
                output.Write((byte)'\n');
            }
            else
            {
                WriteEscaped(ref output, line);
                output.Write("\\n"u8);
            }
            rest = next;
        }
    }

    /// <summary>True when <paramref name="text"/> (up to its first line break) is a line .NET writes in an exception's text.</summary>
    internal static bool IsExceptionLine(ReadOnlySpan<char> text)
    {
        int nl = text.IndexOf('\n');
        var line = nl < 0 ? text : text[..nl];
        if (line.Length > 0 && line[^1] == '\r') line = line[..^1];
        if (line.StartsWith(" ---> ", StringComparison.Ordinal)) return true;
        if (line.SequenceEqual(EndOfPreviousLocation)) return true;
        var trimmed = line.TrimStart(' ');
        if (trimmed.Length == line.Length) return false; // not indented
        return trimmed.StartsWith("at ", StringComparison.Ordinal) || trimmed.SequenceEqual(EndOfInner) || trimmed.SequenceEqual(EndOfPreviousLocation);
    }

    private const string EndOfInner = "--- End of inner exception stack trace ---";
    private const string EndOfPreviousLocation = "--- End of stack trace from previous location ---";

    /// <summary>The escaped character starting at <paramref name="i"/> (its code point in <paramref name="code"/>) and its length in bytes, or 0.</summary>
    private static int Match(ReadOnlySpan<byte> utf8, int i, out int code)
    {
        byte b = utf8[i];
        code = b;
        if (b < 0x20 || b == 0x7F) return 1;
        if (b == 0xC2)
        {
            if (i + 1 < utf8.Length && utf8[i + 1] >= 0x80 && utf8[i + 1] <= 0x9F)
            {
                code = utf8[i + 1];
                return 2;
            }
            return 0;
        }
        if (i + 2 < utf8.Length && utf8[i + 1] == 0x80 && (utf8[i + 2] == 0xA8 || utf8[i + 2] == 0xA9))
        {
            code = 0x2000 + utf8[i + 2] - 0x80;
            return 3;
        }
        return 0;
    }

    private static int EscapeLength(int code) => code is '\n' or '\r' or '\t' ? 2 : 6;

    private static void WriteEscape(Span<byte> dest, int code)
    {
        dest[0] = (byte)'\\';
        switch (code)
        {
            case '\n': dest[1] = (byte)'n'; return;
            case '\r': dest[1] = (byte)'r'; return;
            case '\t': dest[1] = (byte)'t'; return;
        }
        dest[1] = (byte)'u';
        dest[2] = Hex(code >> 12);
        dest[3] = Hex(code >> 8);
        dest[4] = Hex(code >> 4);
        dest[5] = Hex(code);
    }

    private static byte Hex(int nibble) => "0123456789abcdef"u8[nibble & 0xF];
}
