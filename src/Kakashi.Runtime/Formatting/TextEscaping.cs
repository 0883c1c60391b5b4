using System;
using System.Text;

namespace Kakashi.Formatting;

/// <summary>
/// Makes text that is not the application's message safe to put on a log line: control characters (C0, DEL, C1 such as
/// NEL) and the Unicode line and paragraph separators become visible escapes (<c>\n</c>, <c>\r</c>, <c>\t</c>,
/// <c>\u001b</c>, <c>\u2028</c>), so a category or a scope name can never start a new line or carry a terminal escape
/// sequence. Done once, when the name is created, never per record.
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
}
