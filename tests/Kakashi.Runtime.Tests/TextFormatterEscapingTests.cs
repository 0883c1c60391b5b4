using System;
using System.Buffers;
using System.Linq;
using System.Runtime.InteropServices;
using System.Text;
using System.Threading.Tasks;
using Kakashi.Buffers;
using Kakashi.Templates;
using Microsoft.Extensions.Logging;

namespace Kakashi.Runtime.Tests;

/// <summary>Records built by hand, formatted by a <see cref="TextFormatter"/> into memory: the exact bytes.</summary>
internal static class HandRecords
{
    public static readonly LogCategory Category = new(0, "Hostile");

    public static LogTemplate Template(string message, params ArgType[] types)
        => LogTemplate.Parse("Hand.Hostile", LogLevel.Warning, 7, "Hostile", message, types.Select((t, i) => new TemplateArg("a" + i, t)).ToArray());

    /// <summary>A string argument's bytes: its length in chars, then the chars as they are (lone surrogates kept).</summary>
    public static byte[] String(string value) => [.. BitConverter.GetBytes(value.Length), .. MemoryMarshal.AsBytes(value.AsSpan()).ToArray()];

    public static byte[] Utf8(byte[] value) => [.. BitConverter.GetBytes(value.Length), .. value];

    public static byte[] Char(char value) => BitConverter.GetBytes(value);

    public static byte[] Format(TextFormatter formatter, LogTemplate template, byte[][] args, object?[]? objects = null, string? threadName = null,
        RecordFlags flags = RecordFlags.None, DateTime? timestamp = null)
    {
        var offsets = new int[args.Length];
        for (int i = 1; i < args.Length; i++) offsets[i] = offsets[i - 1] + args[i - 1].Length;
        byte[] payload = args.SelectMany(a => a).ToArray();
        var record = new LogRecord(template, Category, LogLevel.Warning, timestamp ?? new DateTime(2026, 12, 1, 10, 20, 30, DateTimeKind.Utc).AddTicks(1234567), 42,
            payload, offsets, objects ?? [], threadName, flags);
        var output = new ArrayBufferWriter<byte>();
        var writer = new Utf8Writer(output);
        formatter.Format(in record, ref writer);
        writer.Commit();
        return output.WrittenSpan.ToArray();
    }

    public static string Text(TextFormatter formatter, LogTemplate template, byte[][] args, object?[]? objects = null, string? threadName = null, RecordFlags flags = RecordFlags.None)
        => Encoding.UTF8.GetString(Format(formatter, template, args, objects, threadName, flags));
}

public class TextFormatterEscapingTests
{
    private static readonly TextFormatter Escaping = new("[{Level}] {Message}{NewLine}");
    private static readonly TextFormatter Raw = new("[{Level}] {Message}{NewLine}") { EscapeControlCharacters = false };
    private static readonly LogTemplate OneString = HandRecords.Template("Value {V} end", ArgType.String);

    public static TheoryData<string, string> Hostile => new()
    {
        { "\n2026-01-01 [Critical] Fake: pwned", @"\n2026-01-01 [Critical] Fake: pwned" },
        { "a\rb", @"a\rb" },
        { "a\r\nb", @"a\r\nb" },
        { "tab\there", @"tab\there" },
        { "\u001b[31mred\u001b[0m", @"\u001b[31mred\u001b[0m" },
        { "nel\u0085", @"nel\u0085" },
        { "ls\u2028ps\u2029", @"ls\u2028ps\u2029" },
        { "nul\0", @"nul\u0000" },
        { "del\u007f", @"del\u007f" },
        { "c1 \u0080 \u009b \u009f", @"c1 \u0080 \u009b \u009f" },
        { "bell\u0007 vt\u000b ff\u000c us\u001f", @"bell\u0007 vt\u000b ff\u000c us\u001f" },
        { "lone \ud800 and \udfff", "lone \ufffd and \ufffd" }, // as everywhere in UTF-8 output
        { "plain ©°€… 日本 😀 \u00a0\u00a0 \u2027\u202a", "plain ©°€… 日本 😀 \u00a0\u00a0 \u2027\u202a" }, // neighbours of the escaped characters pass
        { "", "" },
    };

    [Theory]
    [MemberData(nameof(Hostile))]
    public void Control_characters_in_a_string_value_are_escaped_and_the_record_stays_one_line(string value, string escaped)
    {
        string line = HandRecords.Text(Escaping, OneString, [HandRecords.String(value)]);
        Assert.Equal($"[Warning] Value {escaped} end\n", line);
        Assert.Equal(1, line.Count(c => c is '\n' or '\r' or '\u0085' or '\u2028' or '\u2029'));

        // escaping off: the raw value, as MEL renders it (after the UTF-8 round trip every UTF-8 output makes)
        string raw = HandRecords.Text(Raw, OneString, [HandRecords.String(value)]);
        Assert.Equal($"[Warning] Value {Encoding.UTF8.GetString(Encoding.UTF8.GetBytes(value))} end\n", raw);
        Assert.Equal(Parity.Mel.Utf8RoundTrip(Parity.Mel.Render("Value {V} end", value)), raw["[Warning] ".Length..^1]);
    }

    [Fact]
    public void Every_C0_C1_and_DEL_character_is_escaped_in_every_kind_of_value()
    {
        var template = HandRecords.Template("{S}|{C}|{U}", ArgType.String, ArgType.Char, ArgType.Utf8Text);
        var formatter = new TextFormatter("{Message}");
        for (int c = 0; c <= 0xFFFF; c++)
        {
            if (c is >= 0xD800 and <= 0xDFFF) continue;
            string s = ((char)c).ToString();
            bool escape = c < 0x20 || (c >= 0x7F && c <= 0x9F) || c == 0x2028 || c == 0x2029;
            string expected = !escape ? s : c switch { '\n' => @"\n", '\r' => @"\r", '\t' => @"\t", _ => $"\\u{c:x4}" };
            string line = HandRecords.Text(formatter, template, [HandRecords.String(s), HandRecords.Char((char)c), HandRecords.Utf8(Encoding.UTF8.GetBytes(s))]);
            Assert.Equal($"{expected}|{expected}|{expected}", line);
        }
    }

    [Fact]
    public void Invalid_UTF8_in_a_UTF8_value_passes_byte_for_byte_but_its_control_bytes_are_escaped()
    {
        var template = HandRecords.Template("{U}", ArgType.Utf8Text);
        byte[] value = [0xC2, 0x0A, 0xE2, 0x80, 0x0A, 0xE2, 0x80, 0xA8, 0xC2, 0xC2, 0x85, 0xFF, 0x1B, 0xC2];
        byte[] bytes = HandRecords.Format(new TextFormatter("{Message}"), template, [HandRecords.Utf8(value)]);
        byte[] expected = [0xC2, .. @"\n"u8, 0xE2, 0x80, .. @"\n"u8, .. @"\u2028"u8, 0xC2, .. @"\u0085"u8, 0xFF, .. @"\u001b"u8, 0xC2];
        Assert.Equal(expected, bytes);
    }

    [Fact]
    public void Literal_text_of_the_template_is_the_developers_and_is_not_escaped()
    {
        var template = HandRecords.Template("line one\nline two\t{V}", ArgType.String);
        Assert.Equal("line one\nline two\t\\n", HandRecords.Text(new TextFormatter("{Message}"), template, [HandRecords.String("\n")]));
    }

    [Fact]
    public void Alignment_pads_the_escaped_value_and_formats_apply_before_escaping()
    {
        var template = HandRecords.Template("[{V,-8}][{W,8}]", ArgType.String, ArgType.String);
        Assert.Equal(@"[a\nb    ][  \u001b]", HandRecords.Text(new TextFormatter("{Message}"), template, [HandRecords.String("a\nb"), HandRecords.String("\u001b")]));
        Assert.Equal("[a\nb     ][       \u001b]", HandRecords.Text(new TextFormatter("{Message}") { EscapeControlCharacters = false }, template,
            [HandRecords.String("a\nb"), HandRecords.String("\u001b")]));
    }

    [Fact]
    public void A_megabyte_value_full_of_new_lines_is_one_escaped_line()
    {
        var builder = new StringBuilder();
        while (builder.Length < 1 << 20) builder.Append("\n2026-01-01 [Critical] Fake: pwned\r\u001b[2J");
        string value = builder.ToString();
        string line = HandRecords.Text(Escaping, OneString, [HandRecords.String(value)]);
        string escaped = value.Replace("\n", @"\n").Replace("\r", @"\r").Replace("\u001b", @"\u001b");
        Assert.Equal($"[Warning] Value {escaped} end\n", line);
        Assert.Single(line.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public void A_value_whose_escapes_overflow_the_writers_span_is_formatted_again_in_a_bigger_one()
    {
        // 60 KB of control characters: the 64-byte first span is far too small, and so is the escaped size of the first try
        string value = new('\u0001', 60_000);
        string line = HandRecords.Text(new TextFormatter("{Message}"), HandRecords.Template("{V}", ArgType.String), [HandRecords.String(value)]);
        Assert.Equal(string.Concat(Enumerable.Repeat(@"\u0001", 60_000)), line);
    }

    private static Exception Thrown()
    {
        try
        {
            try
            {
                throw new FormatException("inner line\n2026-01-01 [Critical] Inner: forged\u001b[31m");
            }
            catch (Exception inner)
            {
                throw new InvalidOperationException("outer\r\n2026-01-01 [Critical] Outer: forged\n   at Fake.Frame() (indented, so it stays)", inner);
            }
        }
        catch (Exception e)
        {
            return e;
        }
    }

    [Fact]
    public void An_exception_keeps_its_stack_trace_lines_and_its_message_cannot_start_a_line()
    {
        var error = Thrown();
        var template = HandRecords.Template("Failed {What}", ArgType.String, ArgType.Exception);
        var formatter = new TextFormatter("{Level} {Message}{NewLine}{Exception}");
        string text = HandRecords.Text(formatter, template, [HandRecords.String("op\nx"), []], [error]);
        string[] lines = text.Split('\n');
        Assert.Equal("", lines[^1]);
        lines = lines[..^1];
        Assert.Equal(@"Warning Failed op\nx", lines[0]);
        Assert.Equal(@"System.InvalidOperationException: outer\r\n2026-01-01 [Critical] Outer: forged", lines[1]);
        // every other line is .NET's: an inner exception, a stack frame or a marker, indented or the fixed marker
        Assert.Equal(@" ---> System.FormatException: inner line\n2026-01-01 [Critical] Inner: forged\u001b[31m", lines.Single(l => l.StartsWith(" ---> ", StringComparison.Ordinal)));
        Assert.Contains("   at Fake.Frame() (indented, so it stays)", lines);
        Assert.Contains("   --- End of inner exception stack trace ---", lines);
        Assert.All(lines.Skip(2), l => Assert.True(l.StartsWith(' ') || l == "--- End of stack trace from previous location ---", l));
        Assert.Contains(lines, l => l.StartsWith("   at Kakashi.Runtime.Tests.TextFormatterEscapingTests.Thrown()", StringComparison.Ordinal));
        Assert.DoesNotContain(lines, l => l.Contains('\u001b') || l.Contains('\r'));

        // the same exception with escaping off: its text as ToString wrote it
        string raw = HandRecords.Text(new TextFormatter("{Exception}") { EscapeControlCharacters = false }, template, [HandRecords.String("op"), []], [error]);
        Assert.Equal(error + "\n", raw);
        // and the lines that are kept are .NET's own, with the message's escaped: joined back, the text is ToString's
        string joined = string.Join("\n", lines.Skip(1)).Replace(@"\r", "\r").Replace(@"\n", "\n").Replace(@"\u001b", "\u001b");
        Assert.Equal(error.ToString(), joined);
    }

    [Fact]
    public void An_exception_in_a_hole_is_escaped_onto_the_message_line()
    {
        var error = Thrown();
        var template = HandRecords.Template("Failed {Error}", ArgType.Exception);
        string text = HandRecords.Text(new TextFormatter("{Message}{NewLine}"), template, [[]], [error]);
        Assert.Equal("Failed " + error.ToString().Replace("\r", @"\r").Replace("\n", @"\n").Replace("\u001b", @"\u001b") + "\n", text);
        Assert.Equal("Failed " + error + "\n", HandRecords.Text(new TextFormatter("{Message}{NewLine}") { EscapeControlCharacters = false }, template, [[]], [error]));
    }

    [Fact]
    public void An_exception_read_back_as_data_is_written_by_the_same_rule()
    {
        var error = Thrown();
        var template = HandRecords.Template("Failed", ArgType.Exception);
        var formatter = new TextFormatter("{Exception}");
        Assert.Equal(HandRecords.Text(formatter, template, [[]], [error]), HandRecords.Text(formatter, template, [[]], [ExceptionInfo.Capture(error)]));
    }

    [Fact]
    public void Thread_names_and_properties_are_escaped_too()
    {
        var template = HandRecords.Template("m");
        Assert.Equal(@"worker\n2026 [Critical]\u2028|m", HandRecords.Text(new TextFormatter("{ThreadName}|{Message}"), template, [], threadName: "worker\n2026 [Critical]\u2028"));
        Assert.Equal("worker\n|m", HandRecords.Text(new TextFormatter("{ThreadName}|{Message}") { EscapeControlCharacters = false }, template, [], threadName: "worker\n"));
    }

    [Fact]
    public async Task Through_the_pipeline_hostile_values_give_one_line_per_record()
    {
        await using var log = new TempLog(TextFormatter.DefaultTemplate);
        string[] values = ["\n2026-01-01 [Critical] Fake: pwned", "\r", "\u001b[31m", "\u0085", "\u2028", "\u2029", "\0", "\u007f", "\u009b", "\ud800", new string('\n', 100_000)]; // (a 1 MB value would be cut by the 1 MB ring: the formatter's own test has one)
        foreach (string value in values) log.Logger.Text(value);
        log.Logger.Char('\n');
        log.Logger.Span("span\nof chars".AsSpan());
        log.Logger.Tagged(new Tagged("tag\n2026-01-01 [Critical] Fake", 1)); // formatted on the calling thread, a UTF-8 value
        var lines = await log.ReadLinesAsync();
        Assert.Equal(values.Length + 3, lines.Length);
        Assert.All(lines, l => Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z \[Information\] Test: ", l));
        Assert.Equal(@"Text \n2026-01-01 [Critical] Fake: pwned", lines[0][lines[0].IndexOf("Text", StringComparison.Ordinal)..]);
        Assert.EndsWith(@"Text \u001b[31m", lines[2]);
        Assert.EndsWith("Text \ufffd", lines[9]);
        Assert.EndsWith("Text " + string.Concat(Enumerable.Repeat(@"\n", 100_000)), lines[10]);
        Assert.EndsWith(@"Char \n", lines[11]);
        Assert.EndsWith(@"Span span\nof chars", lines[12]);
        Assert.EndsWith(@"Tagged tag\n2026-01-01 [Critical] Fake:1", lines[13]);
    }
}
