using System;
using System.IO;
using System.IO.Compression;
using System.Threading.Tasks;

namespace Kakashi.Cli.Tests;

/// <summary>One .klog file written next to the same records formatted live, in every format the tool offers.</summary>
public sealed class LiveOutputs : IAsyncLifetime
{
    public const string Template = "{Timestamp:yyyy-MM-dd HH:mm:ss.fffffff} {Level:u3} {Category,-14} ({EventId}:{EventName}) t{ThreadId}/{ThreadName} {Message}{NewLine}{Exception}";
    public const int Rounds = 60;

    public string Folder { get; } = Klogs.TempFolder();
    public string Klog => Path.Combine(Folder, "app.klog");
    public string LivePath(string format) => Path.Combine(Folder, format + ".live");

    public async Task InitializeAsync()
    {
        await Klogs.WriteAsync(Klog, p => Klogs.LogVariety(p, Rounds),
            new AsyncFileWriter(LivePath("text")) { Formatter = new TextFormatter() },
            new AsyncFileWriter(LivePath("template")) { Formatter = new TextFormatter(Template) },
            new AsyncFileWriter(LivePath("json")) { Formatter = new JsonFormatter() },
            new AsyncFileWriter(LivePath("clef")) { Formatter = new JsonFormatter { Fields = JsonFieldSet.Clef } },
            new AsyncFileWriter(LivePath("ecs")) { Formatter = new JsonFormatter { Fields = JsonFieldSet.Ecs } });
    }

    public Task DisposeAsync()
    {
        Directory.Delete(Folder, recursive: true);
        return Task.CompletedTask;
    }
}

/// <summary>kakashi decode: what it prints is, byte for byte, what the live formatter wrote.</summary>
public sealed class DecodeTests(LiveOutputs live) : IClassFixture<LiveOutputs>
{
    public static TheoryData<string, string[]> Formats() => new()
    {
        { "text", [] },
        { "template", ["--template", LiveOutputs.Template] },
        { "json", ["--json"] },
        { "clef", ["--clef"] },
        { "ecs", ["--ecs"] },
    };

    [Theory]
    [MemberData(nameof(Formats))]
    public void Decode_prints_exactly_what_the_live_formatter_wrote(string format, string[] options)
    {
        byte[] expected = File.ReadAllBytes(live.LivePath(format));
        Assert.True(expected.Length > 20_000, $"the live {format} output is suspiciously short: {expected.Length} bytes");
        var result = CliRunner.Run(["decode", .. options, live.Klog]);
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("", result.Stderr);
        AssertSameBytes(expected, result.Stdout);
        Assert.Equal(Klogs.VarietyCount(LiveOutputs.Rounds), Klogs.Lines(result.Output).Length - (format is "text" or "template" ? ExceptionLines(result.Output) : 0));
    }

    [Fact]
    public void Decode_of_standard_input_equals_decode_of_the_file()
    {
        using var stdin = new MemoryStream(File.ReadAllBytes(live.Klog));
        var result = CliRunner.Run(stdin, null, default, "decode", "--json", "-");
        Assert.True(result.ExitCode == 0, result.ToString());
        AssertSameBytes(File.ReadAllBytes(live.LivePath("json")), result.Stdout);
    }

    [Fact]
    public void A_gzip_compressed_klog_decodes_like_the_file()
    {
        string gz = live.Klog + "-copy.klog.gz";
        using (var source = File.OpenRead(live.Klog))
        using (var target = new GZipStream(File.Create(gz), CompressionLevel.Fastest))
            source.CopyTo(target);
        var result = CliRunner.Run("decode", gz);
        Assert.True(result.ExitCode == 0, result.ToString());
        AssertSameBytes(File.ReadAllBytes(live.LivePath("text")), result.Stdout);
    }

    [Theory]
    [InlineData("--json", "--clef")]
    [InlineData("--ecs", "--template", "{Message}")]
    [InlineData("--template", "{Message}", "--json")]
    public void Output_formats_exclude_each_other(params string[] options)
    {
        var result = CliRunner.Run(["decode", .. options, live.Klog]);
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("exclude each other", result.Stderr, StringComparison.Ordinal);
        Assert.Empty(result.Stdout);
    }

    [Fact]
    public void A_template_the_formatter_refuses_is_a_usage_error()
    {
        var result = CliRunner.Run("decode", "--template", "{NoSuchToken}", live.Klog);
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("--template", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("NoSuchToken", result.Stderr, StringComparison.Ordinal);
    }

    private static int ExceptionLines(string text)
    {
        int n = 0;
        foreach (string line in Klogs.Lines(text))
            if (!line.StartsWith("20", StringComparison.Ordinal)) n++; // the exception's lines, after its record's line
        return n;
    }

    internal static void AssertSameBytes(byte[] expected, byte[] actual)
    {
        if (expected.AsSpan().SequenceEqual(actual)) return;
        int at = expected.AsSpan().CommonPrefixLength(actual);
        string Around(byte[] b) => System.Text.Encoding.UTF8.GetString(b, Math.Max(0, at - 200), Math.Min(b.Length, at + 200) - Math.Max(0, at - 200));
        Assert.Fail($"outputs differ at byte {at} (expected {expected.Length} bytes, got {actual.Length})\nexpected: …{Around(expected)}…\nactual:   …{Around(actual)}…");
    }
}
