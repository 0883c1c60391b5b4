using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Threading.Tasks;
using Kakashi;
using Kakashi.Runtime.Tests.Peers;
using Xunit.Abstractions;

namespace Kakashi.Runtime.Tests.Syslog;

/// <summary>
/// What rsyslog parsed equals what was logged, for every transport: PRI, the microsecond timestamp, the header fields, the
/// structured data (escaped <c>"</c> <c>\</c> <c>]</c>, UTF-8, enricher properties), the message with a line break (which
/// rsyslog writes as #012), the exception, and RFC 3164 mode.
/// </summary>
public sealed class SyslogRsyslogTests(ITestOutputHelper output)
{
    internal const string Customer = "Zoë \"the\" \\ ]boss"; // quote, backslash, bracket, non-ASCII
    internal const string Note = "first line\nsecond line ✓";
    private const string Host = "kakashi-host";

    private static AsyncPipeline Pipeline(params LogWriter[] writers) => new(new AsyncPipelineConfig
    {
        MinLevel = Microsoft.Extensions.Logging.LogLevel.Trace,
        Writers = writers,
        Enrichers = [new PropertiesEnricher(("Region", "eu \"west\" ]1["))],
        FlushOnProcessExit = false,
    });

    private static async Task<List<ParsedSyslog>> Expect(RsyslogPeer peer, string app, int count)
    {
        try
        {
            await ReliabilityTests.WaitUntil(() => peer.Records(app).Count >= count);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"rsyslog wrote {peer.Records(app).Count} of {count} records for {app}:\n{string.Join("\n", peer.Lines())}\n{peer.Output}");
        }
        return peer.Records(app);
    }

    /// <summary>Logs the three conformance records and checks what the peer parsed.</summary>
    private async Task RoundTrip(RsyslogPeer peer, SyslogTransport transport, int port, Func<SyslogWriter, SyslogWriter>? configure = null,
        SyslogFraming framing = SyslogFraming.OctetCounting)
    {
        string app = "kakashi-" + transport.ToString().ToLowerInvariant() + (framing == SyslogFraming.LineFeed ? "-lf" : "");
        var writer = new SyslogWriter("127.0.0.1", port)
        {
            Transport = transport,
            Framing = framing,
            AppName = app,
            HostName = Host,
            TlsServerName = transport == SyslogTransport.Tls ? "localhost" : null,
            TlsCaCertificateFile = transport == SyslogTransport.Tls ? peer.CaFile : null,
        };
        var before = DateTime.UtcNow;
        await using (var pipeline = Pipeline(writer))
        {
            var logger = pipeline.CreateLogger("Shop");
            logger.Order(42, Customer, Note);
            logger.Plain();
            logger.PaymentFailed("capture", new InvalidOperationException("card \"declined\""));
            await pipeline.FlushAllAsync();
            var m = pipeline.GetMetrics().Writers[0];
            ReliabilityTests.AssertBooks(m);
        }
        var after = DateTime.UtcNow;
        var records = await Expect(peer, app, 3);
        foreach (var r in records) output.WriteLine(string.Join(" | ", r.Pri, r.Timestamp, r.Host, r.App, r.ProcId, r.MsgId, r.StructuredData, r.Msg));
        Assert.Equal(3, records.Count);
        string pid = Environment.ProcessId.ToString(CultureInfo.InvariantCulture);
        foreach (var r in records)
        {
            Assert.Equal(Host, r.Host);
            Assert.Equal(pid, r.ProcId);
            Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}(Z|\+00:00)$", r.Timestamp);
            var at = DateTime.Parse(r.Timestamp, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal);
            Assert.InRange(at, before.AddMilliseconds(-1), after.AddMilliseconds(1));
        }
        var order = records[0];
        Assert.Equal("12", order.Pri); // user (1) * 8 + warning (4)
        Assert.Equal("OrderPlaced", order.MsgId);
        Assert.Equal("[kakashi@32473 OrderId=\"42\" Customer=\"Zoë \\\"the\\\" \\\\ \\]boss\" Note=\"first line#012second line ✓\" Region=\"eu \\\"west\\\" \\]1[\"]", order.StructuredData);
        Assert.Equal("Order 42 for " + Customer + ": first line#012second line ✓", order.Msg.TrimStart());
        var plain = records[1];
        Assert.Equal("15", plain.Pri); // debug
        Assert.Equal("Plain", plain.MsgId); // the generator names events after their method
        Assert.Equal("[kakashi@32473 Region=\"eu \\\"west\\\" \\]1[\"]", plain.StructuredData); // the enricher's property only
        Assert.Equal("Nothing to add", plain.Msg.TrimStart());
        var failed = records[2];
        Assert.Equal("11", failed.Pri); // error
        Assert.Equal("Payment capture failed System.InvalidOperationException: card \"declined\"", failed.Msg.TrimStart());
        Assert.Contains("Op=\"capture\"", failed.StructuredData);
    }

    [RequiresPeerFact("rsyslogd")]
    public async Task Tcp_octet_counting_is_parsed_by_rsyslog_as_logged()
    {
        using var peer = new RsyslogPeer();
        await peer.StartAsync();
        await RoundTrip(peer, SyslogTransport.Tcp, peer.TcpPort);
    }

    [RequiresPeerFact("rsyslogd")]
    public async Task Tcp_line_feed_framing_escapes_line_breaks_and_is_parsed_by_rsyslog()
    {
        using var peer = new RsyslogPeer();
        await peer.StartAsync();
        await RoundTrip(peer, SyslogTransport.Tcp, peer.TcpPort, framing: SyslogFraming.LineFeed);
    }

    [RequiresPeerFact("rsyslogd")]
    public async Task Udp_datagrams_are_parsed_by_rsyslog_and_long_ones_truncated_at_a_utf8_boundary()
    {
        using var peer = new RsyslogPeer();
        await peer.StartAsync();
        await RoundTrip(peer, SyslogTransport.Udp, peer.UdpPort);

        var writer = new SyslogWriter("127.0.0.1", peer.UdpPort) { Transport = SyslogTransport.Udp, AppName = "kakashi-udp-big", HostName = Host, MaxDatagramBytes = 1000 };
        await using (var pipeline = Pipeline(writer))
        {
            pipeline.CreateLogger("Shop").Big(string.Concat(Enumerable.Repeat("é", 2000))); // 4000 bytes of two-byte characters
            await pipeline.FlushAllAsync();
        }
        var big = (await Expect(peer, "kakashi-udp-big", 1))[0];
        Assert.Equal(1, writer.TruncatedRecords);
        Assert.EndsWith("…[truncated]", big.Msg);
        Assert.StartsWith("Big éé", big.Msg.TrimStart());
        Assert.Equal("-", big.StructuredData); // the structured data would have been cut: it is left out, so the datagram still parses
        Assert.Equal("Big", big.MsgId);
        Assert.DoesNotContain('\uFFFD', big.Msg); // cut between characters, never inside one
    }

    [RequiresPeerFact("rsyslogd-tls")]
    public async Task Tls_is_parsed_by_rsyslog_as_logged()
    {
        using var peer = new RsyslogPeer(tls: true);
        await peer.StartAsync();
        await RoundTrip(peer, SyslogTransport.Tls, peer.TlsPort);
    }

    [RequiresPeerFact("rsyslogd-relp")]
    public async Task Relp_is_parsed_by_rsyslog_as_logged_and_confirmed()
    {
        using var peer = new RsyslogPeer(relp: true);
        await peer.StartAsync();
        await RoundTrip(peer, SyslogTransport.Relp, peer.RelpPort);
    }

    [RequiresPeerFact("rsyslogd")]
    public async Task Rfc3164_is_parsed_by_rsyslog()
    {
        using var peer = new RsyslogPeer();
        await peer.StartAsync();
        var writer = new SyslogWriter("127.0.0.1", peer.TcpPort) { Format = SyslogFormat.Rfc3164, Facility = SyslogFacility.Local3, AppName = "kakashi3164", HostName = Host };
        var before = DateTime.Now;
        await using (var pipeline = Pipeline(writer))
        {
            pipeline.CreateLogger("Shop").Order(7, "Zoë", "ok");
            await pipeline.FlushAllAsync();
        }
        var r = (await Expect(peer, "kakashi3164", 1))[0];
        output.WriteLine(string.Join(" | ", r.Pri, r.Timestamp, r.Host, r.App, r.ProcId, r.MsgId, r.StructuredData, r.Msg));
        Assert.Equal("156", r.Pri); // local3 (19) * 8 + warning (4)
        Assert.Equal(Host, r.Host);
        Assert.Equal(Environment.ProcessId.ToString(CultureInfo.InvariantCulture), r.ProcId);
        Assert.Equal("-", r.StructuredData);
        Assert.Equal("Order 7 for Zoë: ok", r.Msg.TrimStart());
        var at = DateTimeOffset.Parse(r.Timestamp, CultureInfo.InvariantCulture);
        Assert.InRange(at.LocalDateTime, before.AddSeconds(-1), DateTime.Now.AddSeconds(1)); // seconds only, local time
    }
}
