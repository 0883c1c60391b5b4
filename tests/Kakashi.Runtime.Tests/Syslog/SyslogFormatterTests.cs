using System;
using System.Linq;
using System.Threading.Tasks;
using Kakashi;
using Kakashi.Runtime.Tests.Peers;
using Microsoft.Extensions.Logging;

namespace Kakashi.Runtime.Tests.Syslog;

/// <summary>The formatter's bytes and the writer's options, without a peer.</summary>
public sealed class SyslogFormatterTests
{
    private static async Task<string> Format(SyslogFormatter formatter, Action<KakashiLogger> log, params ILogEnricher[] enrichers)
    {
        var memory = new InMemoryWriter { Formatter = formatter };
        await using var pipeline = new AsyncPipeline(new AsyncPipelineConfig { MinLevel = LogLevel.Trace, Writers = [memory], Enrichers = enrichers, FlushOnProcessExit = false });
        log(pipeline.CreateLogger("Shop"));
        await pipeline.FlushAllAsync();
        return memory.Lines.Single();
    }

    [Fact]
    public async Task Rfc5424_header_structured_data_and_message()
    {
        var formatter = new SyslogFormatter { HostName = "web 1", AppName = "shop", ProcId = "77", Facility = SyslogFacility.Local0 };
        string text = await Format(formatter, l => l.Order(42, "a\"b\\c]d", "ok"), new PropertiesEnricher(("a b=c\"]", "v")));
        Assert.Matches(@"^<132>1 \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z web_1 shop 77 OrderPlaced \[kakashi@32473 OrderId=""42"" Customer=""a\\""b\\\\c\\]d"" Note=""ok"" a_b_c__=""v""\] Order 42 for a""b\\c]d: ok$", text);
    }

    [Fact]
    public async Task Levels_map_to_severities_and_no_property_writes_a_dash()
    {
        Assert.Equal([7, 7, 6, 4, 3, 2], new[] { LogLevel.Trace, LogLevel.Debug, LogLevel.Information, LogLevel.Warning, LogLevel.Error, LogLevel.Critical }.Select(SyslogFormatter.Severity));
        string text = await Format(new SyslogFormatter { AppName = "shop", Utf8Bom = true }, l => l.Plain());
        Assert.StartsWith("<15>1 ", text);
        Assert.EndsWith(" Plain - \uFEFFNothing to add", text);
    }

    [Fact]
    public async Task Rfc3164_has_a_local_timestamp_a_tag_and_no_structured_data()
    {
        string text = await Format(new SyslogFormatter { MessageFormat = SyslogFormat.Rfc3164, HostName = "h", AppName = "my app!" }, l => l.Record(5));
        Assert.Matches($@"^<14>[A-Z][a-z][a-z] [ 1-3]\d \d\d:\d\d:\d\d h my_app_\[{Environment.ProcessId}\]: Record 5$", text);
    }

    [Fact]
    public void Truncation_cuts_at_a_utf8_boundary_and_drops_structured_data_it_would_cut()
    {
        var buffer = new byte[600];
        var plain = System.Text.Encoding.UTF8.GetBytes("<14>Dec  2 01:02:03 h app[1]: " + new string('é', 400));
        int n = SyslogWriter.Truncate(plain, buffer, 500);
        string cut = System.Text.Encoding.UTF8.GetString(buffer, 0, n);
        Assert.True(n <= 500);
        Assert.EndsWith("é…[truncated]", cut);

        var structured = System.Text.Encoding.UTF8.GetBytes("<14>1 2026-12-02T01:02:03.000000Z h app 1 - [x@1 v=\"" + new string('é', 400) + "\"] message");
        n = SyslogWriter.Truncate(structured, buffer, 500);
        Assert.Equal("<14>1 2026-12-02T01:02:03.000000Z h app 1 - - message", System.Text.Encoding.UTF8.GetString(buffer, 0, n).Replace("…[truncated]", ""));
        Assert.True(SyslogWriter.StructuredData("<1>1 t h a p m [a@1 x=\"]\\\"\"][b@1] msg"u8, out int start, out int end));
        Assert.Equal("[a@1 x=\"]\\\"\"][b@1]", System.Text.Encoding.UTF8.GetString("<1>1 t h a p m [a@1 x=\"]\\\"\"][b@1] msg"u8[start..end]));
    }

    [Theory]
    [InlineData("Port")]
    [InlineData("Framing")]
    [InlineData("MaxDatagramBytes")]
    [InlineData("RelpWindow")]
    [InlineData("StructuredDataId")]
    [InlineData("AppName")]
    [InlineData("TlsCaCertificateFile")]
    public void Bad_options_are_rejected_at_setup_naming_the_option(string option)
    {
        SyslogWriter writer = option switch
        {
            "Port" => new SyslogWriter("127.0.0.1", 0),
            "Framing" => new SyslogWriter("127.0.0.1", 514) { Transport = SyslogTransport.Tls, Framing = SyslogFraming.LineFeed },
            "MaxDatagramBytes" => new SyslogWriter("127.0.0.1", 514) { Transport = SyslogTransport.Udp, MaxDatagramBytes = 100 },
            "RelpWindow" => new SyslogWriter("127.0.0.1", 514) { RelpWindow = 0 },
            "StructuredDataId" => new SyslogWriter("127.0.0.1", 514) { StructuredDataId = "has space" },
            "AppName" => new SyslogWriter("127.0.0.1", 514) { AppName = new string('a', 49) },
            _ => new SyslogWriter("127.0.0.1", 514) { Transport = SyslogTransport.Tls, TlsCaCertificateFile = "/nonexistent/ca.pem" },
        };
        var e = Assert.ThrowsAny<ArgumentException>(() => new AsyncPipeline(new AsyncPipelineConfig { Writers = [writer], FlushOnProcessExit = false }));
        Assert.Equal("Writers[0]." + option, e.ParamName);
    }

    [Theory]
    [InlineData(SyslogTransport.Tcp)]
    [InlineData(SyslogTransport.Relp)]
    [InlineData(SyslogTransport.Tls)]
    public async Task A_relay_that_is_down_at_start_does_not_fail_the_pipeline(SyslogTransport transport)
    {
        int port = PeerProcess.FreeTcpPort(); // nothing listens
        var writer = new SyslogWriter("127.0.0.1", port) { Transport = transport, Retry = new RetryOptions { MaxRetries = 0 } };
        var memory = new InMemoryWriter();
        await using var pipeline = new AsyncPipeline(new AsyncPipelineConfig { Writers = [writer, memory], FlushOnProcessExit = false });
        pipeline.CreateLogger("Shop").Record(1);
        await ReliabilityTests.WaitUntil(() => pipeline.GetMetrics().Writers[0].Failed == 1);
        Assert.Contains(memory.Lines, l => l.Contains("Record 1", StringComparison.Ordinal));
        ReliabilityTests.AssertBooks(pipeline.GetMetrics().Writers[0]);
    }
}
