using System.Collections.Generic;
using System.Text;

namespace Kakashi.Shared;

/// <summary>
/// Parses a message template the way Microsoft.Extensions.Logging does (LogValuesFormatter turns named holes into a
/// composite format string; string.Format then renders it), so Kakashi renders byte for byte what MEL renders:
/// holes are <c>{Name[,alignment][:format]}</c>, <c>{{</c> and <c>}}</c> are literal braces, and a brace that does not
/// start a hole is literal text.
/// </summary>
internal static class TemplateParser
{
    internal sealed class Hole
    {
        public Hole(string name, int alignment, string? format, int start, int length)
        {
            Name = name;
            Alignment = alignment;
            Format = format;
            Start = start;
            Length = length;
        }

        /// <summary>The hole's name as written (trimmed).</summary>
        public string Name { get; }
        public int Alignment { get; }
        public string? Format { get; }
        /// <summary>Position of the opening brace in the template.</summary>
        public int Start { get; }
        public int Length { get; }
    }

    internal sealed class Result
    {
        public List<object> Segments { get; } = new List<object>(); // string (literal, unescaped) or Hole
        public List<Hole> Holes { get; } = new List<Hole>();
        /// <summary>Null when the template is valid; otherwise what is wrong with it.</summary>
        public string? Error { get; private set; }
        /// <summary>Where in the template the error is (the analyzers point at it); -1 without an error.</summary>
        public int ErrorStart { get; private set; } = -1;
        public int ErrorLength { get; private set; }

        /// <summary>Keeps the first error.</summary>
        public void SetError(string error, int start, int length)
        {
            if (Error is not null) return;
            Error = error;
            ErrorStart = start;
            ErrorLength = length;
        }

        public void ClearError()
        {
            Error = null;
            ErrorStart = -1;
            ErrorLength = 0;
        }
    }

    public static Result Parse(string template)
    {
        var result = new Result();
        var literal = new StringBuilder();
        int scan = 0;
        int end = template.Length;
        while (scan < end)
        {
            int open = FindBraceIndex(template, '{', scan, end);
            if (scan == 0 && open == end) break; // no hole at all: verbatim (below)
            int close = FindBraceIndex(template, '}', open, end);
            if (close == end)
            {
                Unescape(template, scan, end, literal, result);
                break;
            }
            Unescape(template, scan, open, literal, result);
            int delimiter = IndexOfAny(template, open, close);
            string name = template.Substring(open + 1, delimiter - open - 1).Trim();
            int alignment = 0;
            string? format = null;
            if (delimiter < close && template[delimiter] == ',')
            {
                int colon = template.IndexOf(':', delimiter);
                int alignEnd = colon < 0 || colon > close ? close : colon;
                string text = template.Substring(delimiter + 1, alignEnd - delimiter - 1).Trim();
                if (!int.TryParse(text, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out alignment))
                    result.SetError($"the alignment '{text}' of hole '{name}' is not an integer", delimiter + 1, alignEnd - delimiter - 1);
                delimiter = alignEnd;
            }
            if (delimiter < close && template[delimiter] == ':')
            {
                format = template.Substring(delimiter + 1, close - delimiter - 1);
            }
            if (name.Length == 0) result.SetError("a hole has no name ('{}')", open, close - open + 1);
            var hole = new Hole(name, alignment, format, open, close - open + 1);
            if (literal.Length > 0)
            {
                result.Segments.Add(literal.ToString());
                literal.Clear();
            }
            result.Segments.Add(hole);
            result.Holes.Add(hole);
            scan = close + 1;
        }
        if (literal.Length > 0) result.Segments.Add(literal.ToString());
        if (result.Holes.Count == 0)
        {
            // MEL renders a template without holes verbatim (no string.Format pass): "{{" stays "{{"
            result.Segments.Clear();
            if (template.Length > 0) result.Segments.Add(template);
            result.ClearError();
        }
        return result;
    }

    private static void Unescape(string template, int start, int end, StringBuilder literal, Result result)
    {
        for (int i = start; i < end; i++)
        {
            char c = template[i];
            if ((c == '{' || c == '}') && i + 1 < end && template[i + 1] == c)
            {
                literal.Append(c);
                i++;
                continue;
            }
            if (c == '{' || c == '}') result.SetError($"unbalanced '{c}' at position {i}", i, 1);
            literal.Append(c);
        }
    }

    private static int IndexOfAny(string s, int start, int end)
    {
        for (int i = start; i < end; i++)
        {
            if (s[i] == ',' || s[i] == ':') return i;
        }
        return end;
    }

    // Microsoft.Extensions.Logging's brace search: for '{' the last of a run, for '}' the first; an even run is escaped text.
    private static int FindBraceIndex(string format, char brace, int startIndex, int endIndex)
    {
        int braceIndex = endIndex;
        int scanIndex = startIndex;
        int braceOccurrenceCount = 0;
        while (scanIndex < endIndex)
        {
            if (braceOccurrenceCount > 0 && format[scanIndex] != brace)
            {
                if (braceOccurrenceCount % 2 == 0)
                {
                    braceOccurrenceCount = 0;
                    braceIndex = endIndex;
                }
                else
                {
                    break;
                }
            }
            else if (format[scanIndex] == brace)
            {
                if (brace == '}')
                {
                    if (braceOccurrenceCount == 0) braceIndex = scanIndex;
                }
                else
                {
                    braceIndex = scanIndex;
                }
                braceOccurrenceCount++;
            }
            scanIndex++;
        }
        return braceIndex;
    }
}
