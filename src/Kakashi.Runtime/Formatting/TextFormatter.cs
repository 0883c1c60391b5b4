using System;
using System.Collections.Generic;
using System.Text;
using Microsoft.Extensions.Logging;

namespace Kakashi;

/// <summary>
/// Plain-text lines from an output template. Tokens: <c>{Timestamp[:format]}</c> (UTC, default <c>O</c>),
/// <c>{Level}</c> (<c>{Level:u3}</c> = <c>INF</c>, <c>{Level:w3}</c> = <c>inf</c>), <c>{Category}</c>, <c>{EventId}</c>,
/// <c>{EventName}</c>, <c>{ThreadId}</c>, <c>{Message}</c>, <c>{Exception}</c> (the exception and a new line when the record
/// has one, nothing otherwise), <c>{Properties}</c> (the enrichers' properties as logfmt <c>Name=Value</c> pairs) and
/// <c>{NewLine}</c> (<c>\n</c>).
/// <c>{{</c> and <c>}}</c> write literal braces.
/// </summary>
public sealed class TextFormatter : LogFormatter
{
    /// <summary>The default layout: <c>{Timestamp:O} [{Level}] {Category}: {Message}{NewLine}{Exception}</c>.</summary>
    public const string DefaultTemplate = "{Timestamp:O} [{Level}] {Category}: {Message}{NewLine}{Exception}";

    private static readonly byte[][] s_levelNames = Names("Trace", "Debug", "Information", "Warning", "Error", "Critical", "None");
    private static readonly byte[][] s_levelU3 = Names("TRC", "DBG", "INF", "WRN", "ERR", "CRT", "NON");
    private static readonly byte[][] s_levelW3 = Names("trc", "dbg", "inf", "wrn", "err", "crt", "non");

    private readonly Token[] _tokens;

    /// <summary>Creates a formatter; throws <see cref="ArgumentException"/> for an unknown token or an unbalanced brace.</summary>
    public TextFormatter(string template = DefaultTemplate)
    {
        ArgumentNullException.ThrowIfNull(template);
        Template = template;
        _tokens = Parse(template);
    }

    public string Template { get; }

    public override void Format(in LogRecord record, ref Utf8Writer output)
    {
        var tokens = _tokens;
        for (int i = 0; i < tokens.Length; i++)
        {
            var token = tokens[i];
            switch (token.Kind)
            {
                case TokenKind.Literal: output.Write(token.Literal); break;
                case TokenKind.Message: record.WriteMessage(ref output); break;
                case TokenKind.Timestamp:
                    if (token.RoundTrip) Formatting.TimestampFormatter.WriteRoundTrip(record.Timestamp, ref output);
                    else output.WriteFormatted(record.Timestamp, token.Format);
                    break;
                case TokenKind.Level: output.Write(LevelName(record.Level, token.LevelStyle)); break;
                case TokenKind.Category: output.Write(record.CategoryUtf8); break;
                case TokenKind.EventId: output.WriteFormatted(record.EventId); break;
                case TokenKind.EventName: output.Write(record.Template.EventNameUtf8); break;
                case TokenKind.ThreadId: output.WriteFormatted(record.ThreadId); break;
                case TokenKind.NewLine: output.Write((byte)'\n'); break;
                case TokenKind.Properties: record.Properties.WriteLogfmt(ref output); break;
                case TokenKind.Exception:
                    var exception = record.ExceptionObject;
                    if (exception is not null)
                    {
                        output.Write(Formatting.FormatFailures.ExceptionText(exception).AsSpan());
                        output.Write((byte)'\n');
                    }
                    break;
            }
        }
    }

    private static ReadOnlySpan<byte> LevelName(LogLevel level, int style)
    {
        var table = style switch { 1 => s_levelU3, 2 => s_levelW3, _ => s_levelNames };
        return (uint)level < (uint)table.Length ? table[(int)level] : "?"u8;
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
            string name = colon < 0 ? body : body[..colon];
            string? format = colon < 0 ? null : body[(colon + 1)..];
            if (literal.Length > 0) { tokens.Add(Token.Text(literal.ToString())); literal.Clear(); }
            tokens.Add(CreateToken(name, format, template));
            i = close + 1;
        }
        if (literal.Length > 0) tokens.Add(Token.Text(literal.ToString()));
        return tokens.ToArray();
    }

    private static Token CreateToken(string name, string? format, string template)
    {
        switch (name)
        {
            case "Timestamp":
                string f = format ?? "O";
                try { _ = DateTime.UnixEpoch.ToString(f, System.Globalization.CultureInfo.InvariantCulture); }
                catch (FormatException e) { throw new ArgumentException($"Invalid {{Timestamp}} format \"{f}\" in the output template \"{template}\".", nameof(template), e); }
                return new Token(TokenKind.Timestamp) { Format = f, RoundTrip = Formatting.TimestampFormatter.IsRoundTrip(f) };
            case "Level":
                int style = format switch
                {
                    null => 0,
                    "u3" => 1,
                    "w3" => 2,
                    _ => throw new ArgumentException($"Unknown {{Level}} format \"{format}\" in the output template \"{template}\" (use u3 or w3).", nameof(template)),
                };
                return new Token(TokenKind.Level) { LevelStyle = style };
            case "Category": return new Token(TokenKind.Category);
            case "EventId": return new Token(TokenKind.EventId);
            case "EventName": return new Token(TokenKind.EventName);
            case "ThreadId": return new Token(TokenKind.ThreadId);
            case "Message": return new Token(TokenKind.Message);
            case "Exception": return new Token(TokenKind.Exception);
            case "NewLine": return new Token(TokenKind.NewLine);
            case "Properties": return new Token(TokenKind.Properties);
            default:
                throw new ArgumentException(
                    $"Unknown token {{{name}}} in the output template \"{template}\". Known tokens: Timestamp, Level, Category, EventId, EventName, ThreadId, Message, Exception, NewLine, Properties.",
                    nameof(template));
        }
    }

    private static byte[][] Names(params string[] names)
    {
        var result = new byte[names.Length][];
        for (int i = 0; i < names.Length; i++) result[i] = Encoding.UTF8.GetBytes(names[i]);
        return result;
    }

    private enum TokenKind { Literal, Timestamp, Level, Category, EventId, EventName, ThreadId, Message, Exception, NewLine, Properties }

    private sealed class Token(TokenKind kind)
    {
        public TokenKind Kind { get; } = kind;
        public byte[] Literal { get; private init; } = [];
        public string? Format { get; init; }
        public int LevelStyle { get; init; }
        public bool RoundTrip { get; init; }
        public static Token Text(string text) => new(TokenKind.Literal) { Literal = Encoding.UTF8.GetBytes(text) };
    }
}
