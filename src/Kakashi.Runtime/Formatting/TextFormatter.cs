using System;
using System.Buffers;
using System.Collections.Generic;
using System.Globalization;
using System.Text;
using Kakashi.Formatting;
using Microsoft.Extensions.Logging;

namespace Kakashi;

/// <summary>
/// Plain-text lines from an output template (docs/formats.md, "Text").
/// </summary>
/// <remarks>
/// <para>
/// Tokens: <c>{Timestamp}</c> (see below), <c>{Level}</c> (<c>{Level:u3}</c> = <c>INF</c>, <c>{Level:w3}</c> = <c>inf</c>),
/// <c>{Category}</c>, <c>{EventId}</c>, <c>{EventName}</c>, <c>{ThreadId}</c>, <c>{ThreadName}</c> (empty when the thread has
/// none), <c>{TraceId}</c> and <c>{SpanId}</c> (the W3C ids of the activity captured at the logging call, in hex; empty when
/// none was captured: it is captured when an <see cref="ActivityEnricher"/> is configured), <c>{Message}</c>,
/// <c>{Exception}</c> (the exception and a new line when the record has one, nothing otherwise), <c>{Properties}</c> (the
/// enrichers' properties as logfmt <c>Name=Value</c> pairs) and <c>{NewLine}</c> (<c>\n</c>). <c>{{</c> and <c>}}</c>
/// write literal braces.
/// </para>
/// <para>
/// Every token takes an alignment, as in <c>string.Format</c>: <c>{Level,-11}</c> pads on the right to 11 chars,
/// <c>{Category,30}</c> on the left to 30, <c>{Level,-5:u3}</c> aligns a formatted token. The width counts UTF-16 chars;
/// longer text is never cut.
/// </para>
/// <para>
/// <c>{Timestamp}</c> is the record's time in UTC in the round-trip format <c>O</c>; <c>{Timestamp:format}</c> takes any
/// standard or custom .NET date and time format (invariant culture), <c>{Timestamp:local}</c> is the local time with its
/// offset (<c>yyyy-MM-ddTHH:mm:ss.fffffffzzz</c>) and <c>{Timestamp:local:format}</c> the local time in a format
/// (<c>z</c>, <c>zz</c>, <c>zzz</c> and <c>K</c> write the local offset). <c>utc</c> and <c>utc:format</c> say UTC
/// explicitly. Every format is fast: the part that depends only on the whole second is formatted once per second, and each
/// record writes its fraction digits.
/// </para>
/// <para>
/// With <see cref="EscapeControlCharacters"/> (the default), a value can never start a new line or carry a terminal
/// escape sequence: control characters in argument values, thread names, properties and exception messages are written
/// as <c>\n</c>, <c>\r</c>, <c>\t</c> or <c>\u001b</c>. The template's literal text is the developer's and is written as it
/// is. <c>{Exception}</c> keeps .NET's stack trace on lines of their own: a line break is kept only before a line .NET writes
/// itself, a stack frame (spaces, then <c>at </c>), an inner exception (<c> ---&gt; </c>) or the
/// <c>--- End of inner exception stack trace ---</c> and <c>--- End of stack trace from previous location ---</c> markers;
/// every other line break (one in a message) is escaped, so no line of an exception can pass for a record.
/// </para>
/// </remarks>
public sealed class TextFormatter : LogFormatter
{
    /// <summary>The default layout: <c>{Timestamp:O} [{Level}] {Category}: {Message}{NewLine}{Exception}</c>.</summary>
    public const string DefaultTemplate = "{Timestamp:O} [{Level}] {Category}: {Message}{NewLine}{Exception}";

    private const string KnownTokens = "Timestamp, Level, Category, EventId, EventName, ThreadId, ThreadName, TraceId, SpanId, Message, Exception, NewLine, Properties";

    private static readonly string[] s_levelNames = ["Trace", "Debug", "Information", "Warning", "Error", "Critical", "None"];
    private static readonly string[] s_levelU3 = ["TRC", "DBG", "INF", "WRN", "ERR", "CRT", "NON"];
    private static readonly string[] s_levelW3 = ["trc", "dbg", "inf", "wrn", "err", "crt", "non"];

    /// <summary>Where an aligned token is rendered before it is padded (per formatting thread, reused).</summary>
    [ThreadStatic] private static ArrayBufferWriter<byte>? t_aligned;

    private readonly Token[] _tokens;

    /// <summary>Creates a formatter; throws <see cref="ArgumentException"/> for an unknown token or format, a bad alignment or an unbalanced brace.</summary>
    public TextFormatter(string template = DefaultTemplate)
    {
        ArgumentNullException.ThrowIfNull(template);
        Template = template;
        _tokens = FuseLevels(Parse(template));
    }

    /// <summary>The output template.</summary>
    public string Template { get; }

    /// <summary>
    /// Escape control characters (C0, DEL, C1 such as NEL, U+2028 and U+2029) in argument values, thread names,
    /// properties and exception text as <c>\n</c>, <c>\r</c>, <c>\t</c>, <c>\u001b</c>, so that a record is one line (plus
    /// its exception's stack trace) whatever its values hold. Default true. False writes values as they are (the message is
    /// then byte for byte the one Microsoft.Extensions.Logging renders).
    /// </summary>
    public bool EscapeControlCharacters { get; init; } = true;

    /// <summary>The template's timestamp formats, in order (tests check which path each takes).</summary>
    internal IReadOnlyList<TimestampFormat> TimestampFormats
    {
        get
        {
            var formats = new List<TimestampFormat>();
            foreach (var token in _tokens)
                if (token.Timestamp is { } format) formats.Add(format);
            return formats;
        }
    }

    /// <inheritdoc/>
    public override void Format(in LogRecord record, ref Utf8Writer output)
    {
        var tokens = _tokens;
        for (int i = 0; i < tokens.Length; i++)
        {
            var token = tokens[i];
            if (token.Alignment == 0) WriteToken(token, in record, ref output);
            else WriteAligned(token, in record, ref output);
        }
    }

    private void WriteToken(Token token, in LogRecord record, ref Utf8Writer output)
    {
        switch (token.Kind)
        {
            case TokenKind.Literal: output.Write(token.Literal); break;
            case TokenKind.Message: record.WriteMessage(ref output, EscapeControlCharacters); break;
            case TokenKind.Timestamp: token.Timestamp!.Write(record.Timestamp, ref output); break;
            case TokenKind.Level:
                var levels = token.Levels;
                output.Write((uint)record.Level < (uint)levels.Length ? levels[(int)record.Level] : token.UnknownLevel ?? "?"u8);
                break;
            case TokenKind.Category: output.Write(record.CategoryUtf8); break;
            case TokenKind.EventId: output.WriteFormatted(record.EventId); break;
            case TokenKind.EventName: output.Write(record.Template.EventNameUtf8); break;
            case TokenKind.ThreadId: output.WriteFormatted(record.ThreadId); break;
            case TokenKind.ThreadName:
                if (record.ThreadName is { } name)
                {
                    if (EscapeControlCharacters) TextEscaping.WriteEscaped(ref output, name.AsSpan());
                    else output.Write(name.AsSpan());
                }
                break;
            case TokenKind.TraceId:
                if (record.TryGetTraceIds(out var traceId, out _, out _)) output.Write(traceId.ToHexString().AsSpan());
                break;
            case TokenKind.SpanId:
                if (record.TryGetTraceIds(out _, out var spanId, out _)) output.Write(spanId.ToHexString().AsSpan());
                break;
            case TokenKind.NewLine: output.Write((byte)'\n'); break;
            case TokenKind.Properties:
                record.Properties.WriteLogfmt(ref output, EscapeControlCharacters); // escaping: also DEL, C1, U+2028 (logfmt escapes the rest)
                break;
            case TokenKind.Exception:
                var exception = record.ExceptionObject;
                if (exception is not null)
                {
                    string text = FormatFailures.ExceptionText(exception);
                    if (EscapeControlCharacters) TextEscaping.WriteException(ref output, text);
                    else output.Write(text.AsSpan());
                    output.Write((byte)'\n');
                }
                break;
        }
    }

    /// <summary>An aligned token: rendered aside, measured in UTF-16 chars, padded with spaces (a level's padded names are precomputed).</summary>
    private void WriteAligned(Token token, in LogRecord record, ref Utf8Writer output)
    {
        if (token.Kind is TokenKind.Level or TokenKind.Literal)
        {
            WriteToken(token, in record, ref output);
            return;
        }
        var scratch = t_aligned ??= new ArrayBufferWriter<byte>(256);
        scratch.ResetWrittenCount();
        var aside = new Utf8Writer(scratch);
        WriteToken(token, in record, ref aside);
        aside.Commit();
        var text = scratch.WrittenSpan;
        int pad = Math.Abs(token.Alignment) - (Ascii.IsValid(text) ? text.Length : Encoding.UTF8.GetCharCount(text));
        if (token.Alignment > 0) output.Fill((byte)' ', pad);
        output.Write(text);
        if (token.Alignment < 0) output.Fill((byte)' ', pad);
    }

    /// <summary>
    /// Folds the literal text on either side of each <c>{Level}</c> into that level's precomputed names
    /// (<c>" [Information] "</c>): one copy per record instead of three. The output is the same bytes.
    /// </summary>
    private static Token[] FuseLevels(Token[] tokens)
    {
        var fused = new List<Token>(tokens.Length);
        for (int i = 0; i < tokens.Length; i++)
        {
            var token = tokens[i];
            if (token.Kind != TokenKind.Level)
            {
                fused.Add(token);
                continue;
            }
            byte[] before = fused.Count > 0 && fused[^1].Kind == TokenKind.Literal && fused[^1].Alignment == 0 ? fused[^1].Literal : [];
            if (before.Length > 0) fused.RemoveAt(fused.Count - 1);
            byte[] after = i + 1 < tokens.Length && tokens[i + 1].Kind == TokenKind.Literal && tokens[i + 1].Alignment == 0 ? tokens[++i].Literal : [];
            var levels = new byte[token.Levels.Length][];
            for (int l = 0; l < levels.Length; l++) levels[l] = [.. before, .. token.Levels[l], .. after];
            fused.Add(new Token(TokenKind.Level) { Levels = levels, Alignment = 0, UnknownLevel = [.. before, .. "?"u8, .. after] });
        }
        return [.. fused];
    }

    private static Token[] Parse(string template)
    {
        var tokens = new List<Token>();
        var literal = new StringBuilder();
        int i = 0;
        while (i < template.Length)
        {
            char c = template[i];
            if (c == '{' && i + 1 < template.Length && template[i + 1] == '{') { literal.Append('{'); i += 2; continue; }
            if (c == '}' && i + 1 < template.Length && template[i + 1] == '}') { literal.Append('}'); i += 2; continue; }
            if (c == '}') throw new ArgumentException($"Unbalanced '}}' at position {i} of the output template \"{template}\" (write '}}}}' for a literal brace).", nameof(template));
            if (c != '{') { literal.Append(c); i++; continue; }

            int close = template.IndexOf('}', i + 1);
            if (close < 0) throw new ArgumentException($"Unclosed '{{' at position {i} of the output template \"{template}\" (write '{{{{' for a literal brace).", nameof(template));
            string body = template.Substring(i + 1, close - i - 1);
            int colon = body.IndexOf(':');
            string head = colon < 0 ? body : body[..colon];
            string? format = colon < 0 ? null : body[(colon + 1)..];
            int comma = head.IndexOf(',');
            string name = (comma < 0 ? head : head[..comma]).Trim();
            int alignment = comma < 0 ? 0 : ParseAlignment(head[(comma + 1)..], name, template);
            if (literal.Length > 0) { tokens.Add(Token.Text(literal.ToString())); literal.Clear(); }
            tokens.Add(CreateToken(name, format, alignment, template));
            i = close + 1;
        }
        if (literal.Length > 0) tokens.Add(Token.Text(literal.ToString()));
        return tokens.ToArray();
    }

    private static int ParseAlignment(string text, string name, string template)
    {
        // as string.Format: an optional sign and digits, spaces around, less than 1,000,000
        if (!int.TryParse(text.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int alignment) || Math.Abs((long)alignment) >= 1_000_000)
            throw new ArgumentException($"Invalid alignment \",{text}\" of {{{name}}} in the output template \"{template}\" (write {{{name},-10}} to pad on the right, {{{name},10}} on the left).", nameof(template));
        return alignment;
    }

    private static Token CreateToken(string name, string? format, int alignment, string template)
    {
        if (format is not null && name is not ("Timestamp" or "Level"))
            throw new ArgumentException($"{{{name}}} takes no format (\"{format}\") in the output template \"{template}\"; only Timestamp and Level do.", nameof(template));
        switch (name)
        {
            case "Timestamp":
                bool local = false;
                string f = format ?? "O";
                if (f == "local" || f == "utc")
                {
                    local = f == "local";
                    f = "O";
                }
                else if (f.StartsWith("local:", StringComparison.Ordinal) || f.StartsWith("utc:", StringComparison.Ordinal))
                {
                    local = f[0] == 'l';
                    f = f[(f.IndexOf(':') + 1)..];
                }
                TimestampFormat timestamp;
                try { timestamp = TimestampFormat.Create(f, local); }
                catch (FormatException e) { throw new ArgumentException($"Invalid {{Timestamp}} format \"{format}\" in the output template \"{template}\".", nameof(template), e); }
                return new Token(TokenKind.Timestamp) { Timestamp = timestamp, Alignment = alignment };
            case "Level":
                var names = format switch
                {
                    null => s_levelNames,
                    "u3" => s_levelU3,
                    "w3" => s_levelW3,
                    _ => throw new ArgumentException($"Unknown {{Level}} format \"{format}\" in the output template \"{template}\" (use u3 or w3).", nameof(template)),
                };
                return new Token(TokenKind.Level) { Levels = Names(names, alignment), Alignment = alignment };
            case "Category": return new Token(TokenKind.Category) { Alignment = alignment };
            case "EventId": return new Token(TokenKind.EventId) { Alignment = alignment };
            case "EventName": return new Token(TokenKind.EventName) { Alignment = alignment };
            case "ThreadId": return new Token(TokenKind.ThreadId) { Alignment = alignment };
            case "ThreadName": return new Token(TokenKind.ThreadName) { Alignment = alignment };
            case "TraceId": return new Token(TokenKind.TraceId) { Alignment = alignment };
            case "SpanId": return new Token(TokenKind.SpanId) { Alignment = alignment };
            case "Message": return new Token(TokenKind.Message) { Alignment = alignment };
            case "Exception": return new Token(TokenKind.Exception) { Alignment = alignment };
            case "NewLine": return new Token(TokenKind.NewLine) { Alignment = alignment };
            case "Properties": return new Token(TokenKind.Properties) { Alignment = alignment };
            default:
                throw new ArgumentException($"Unknown token {{{name}}} in the output template \"{template}\". Known tokens: {KnownTokens}.", nameof(template));
        }
    }

    /// <summary>The level names as UTF-8, padded to <paramref name="alignment"/> once here rather than per record.</summary>
    private static byte[][] Names(string[] names, int alignment)
    {
        var result = new byte[names.Length][];
        for (int i = 0; i < names.Length; i++)
        {
            string name = alignment >= 0 ? names[i].PadLeft(alignment) : names[i].PadRight(-alignment);
            result[i] = Encoding.UTF8.GetBytes(name);
        }
        return result;
    }

    private enum TokenKind { Literal, Timestamp, Level, Category, EventId, EventName, ThreadId, ThreadName, TraceId, SpanId, Message, Exception, NewLine, Properties }

    private sealed class Token(TokenKind kind)
    {
        public TokenKind Kind { get; } = kind;
        public byte[] Literal { get; private init; } = [];
        public TimestampFormat? Timestamp { get; init; }
        public byte[][] Levels { get; init; } = [];
        /// <summary>What a level outside <see cref="Levels"/> writes (with the literals fused around it), null for <c>?</c>.</summary>
        public byte[]? UnknownLevel { get; init; }
        public int Alignment { get; init; }
        public static Token Text(string text) => new(TokenKind.Literal) { Literal = Encoding.UTF8.GetBytes(text) };
    }
}
