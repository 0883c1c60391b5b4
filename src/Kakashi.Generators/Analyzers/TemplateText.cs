using System.Globalization;
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Text;

namespace Kakashi.Generators.Analyzers;

/// <summary>
/// Maps positions in a message's value to positions in the string literal that spells it (escapes, verbatim and raw strings),
/// so diagnostics point at the exact hole and code fixes edit only the characters they change.
/// </summary>
internal static class TemplateText
{
    /// <summary>
    /// For each index of the value (and its end), the offset in the token's text; null when the expression is not a
    /// literal this can map (a constant from elsewhere, a multi-line raw string...).
    /// </summary>
    public static int[]? Map(SyntaxToken token, string value)
    {
        if (!token.IsKind(SyntaxKind.StringLiteralToken) && !token.IsKind(SyntaxKind.SingleLineRawStringLiteralToken)) return null;
        string text = token.Text;
        var map = new int[value.Length + 1];
        int v = 0;
        if (token.IsKind(SyntaxKind.SingleLineRawStringLiteralToken))
        {
            int quotes = 0;
            while (quotes < text.Length && text[quotes] == '"') quotes++;
            if (text.Length - 2 * quotes != value.Length) return null;
            for (int i = 0; i <= value.Length; i++) map[i] = quotes + i;
            return map;
        }
        if (text.StartsWith("@\"", System.StringComparison.Ordinal))
        {
            int i = 2;
            while (i < text.Length - 1 && v < value.Length)
            {
                map[v++] = i;
                i += text[i] == '"' ? 2 : 1;
            }
            map[v] = i;
            return v == value.Length && i == text.Length - 1 ? map : null;
        }
        if (!text.StartsWith("\"", System.StringComparison.Ordinal)) return null;
        int p = 1;
        while (p < text.Length - 1 && v < value.Length)
        {
            map[v] = p;
            if (text[p] != '\\')
            {
                v++;
                p++;
                continue;
            }
            char kind = p + 1 < text.Length ? text[p + 1] : '\0';
            int length;
            int chars = 1;
            switch (kind)
            {
                case 'x':
                    length = 2;
                    while (length < 6 && p + length < text.Length - 1 && System.Uri.IsHexDigit(text[p + length])) length++;
                    break;
                case 'u':
                    length = 6;
                    break;
                case 'U':
                    length = 10;
                    if (uint.TryParse(text.Substring(p + 2, 8), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out uint code) && code > 0xFFFF)
                        chars = 2;
                    break;
                default:
                    length = 2;
                    break;
            }
            for (int c = 0; c < chars && v < value.Length; c++) map[v++] = p;
            p += length;
        }
        map[v] = p;
        return v == value.Length && p == text.Length - 1 ? map : null;
    }

    /// <summary>Location of value[start..start+length] inside the literal, or the whole expression.</summary>
    public static Location Locate(ExpressionSyntax expression, string value, int start, int length)
    {
        if (expression is LiteralExpressionSyntax literal && start >= 0 && start + length <= value.Length)
        {
            var map = Map(literal.Token, value);
            if (map is not null)
            {
                int from = map[start];
                int to = start + length < value.Length ? map[start + length] : map[value.Length];
                return Location.Create(expression.SyntaxTree, new TextSpan(literal.Token.SpanStart + from, to - from));
            }
        }
        return expression.GetLocation();
    }

    /// <summary>
    /// The literal with value[start..start+length] replaced by <paramref name="replacement"/> (escaped for the literal's kind),
    /// the rest of its text and its trivia untouched; null when the literal cannot be mapped.
    /// </summary>
    public static SyntaxToken? Replace(SyntaxToken token, string value, int start, int length, string replacement)
    {
        var map = Map(token, value);
        if (map is null) return null;
        string text = token.Text;
        string escaped = Escape(token, replacement);
        if (escaped is null) return null;
        string newText = text.Substring(0, map[start]) + escaped + text.Substring(map[start + length]);
        string newValue = value.Substring(0, start) + replacement + value.Substring(start + length);
        return SyntaxFactory.Token(token.LeadingTrivia, token.Kind(), newText, newValue, token.TrailingTrivia);
    }

    private static string Escape(SyntaxToken token, string text)
    {
        if (token.IsKind(SyntaxKind.SingleLineRawStringLiteralToken)) return text;
        if (token.Text.StartsWith("@", System.StringComparison.Ordinal)) return text.Replace("\"", "\"\"");
        var sb = new StringBuilder(text.Length);
        foreach (char c in text)
        {
            switch (c)
            {
                case '\\': sb.Append("\\\\"); break;
                case '"': sb.Append("\\\""); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                default:
                    if (char.IsControl(c)) sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    else sb.Append(c);
                    break;
            }
        }
        return sb.ToString();
    }
}
