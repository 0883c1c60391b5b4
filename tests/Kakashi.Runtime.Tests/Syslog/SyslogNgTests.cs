using System;
using System.Globalization;
using System.Linq;
using System.Threading.Tasks;
using Kakashi;
using Xunit.Abstractions;

namespace Kakashi.Runtime.Tests.Syslog;

/// <summary>syslog-ng, a second parser written independently of rsyslog, reads the same bytes the same way (and unescapes
/// the structured-data values back to what was logged).</summary>
public sealed class SyslogNgTests(ITestOutputHelper output)
{
    [RequiresPeerFact("syslog-ng")]
    public async Task Tcp_octet_counting_is_parsed_by_syslog_ng_as_logged()
    {
        using var peer = new SyslogNgPeer("kakashi@32473", "OrderId", "Customer", "Note", "Region");
        await peer.StartAsync();
        var writer = new SyslogWriter("127.0.0.1", peer.Port) { AppName = "kakashi-ng", HostName = "kakashi-host", Facility = SyslogFacility.Local0 };
        var before = DateTime.UtcNow;
        await using (var pipeline = new AsyncPipeline(new AsyncPipelineConfig
        {
            Writers = [writer],
            Enrichers = [new PropertiesEnricher(("Region", "eu \"west\" ]1["))],
            FlushOnProcessExit = false,
        }))
        {
            pipeline.CreateLogger("Shop").Order(42, SyslogRsyslogTests.Customer, SyslogRsyslogTests.Note);
            await pipeline.FlushAllAsync();
        }
        try
        {
            await ReliabilityTests.WaitUntil(() => peer.Records().Count >= 1);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"syslog-ng wrote nothing:\n{peer.Output}");
        }
        var r = peer.Records().Single();
        output.WriteLine(string.Join(" | ", r));
        Assert.Equal("132", r[0]); // local0 (16) * 8 + warning (4)
        var at = DateTime.Parse(r[1], CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal);
        Assert.InRange(at, before.AddMilliseconds(-1), DateTime.UtcNow);
        Assert.Matches(@"\.\d{6}\+00:00$", r[1]);
        Assert.Equal("kakashi-host", r[2]);
        Assert.Equal("kakashi-ng", r[3]);
        Assert.Equal(Environment.ProcessId.ToString(CultureInfo.InvariantCulture), r[4]);
        Assert.Equal("OrderPlaced", r[5]);
        Assert.Equal("Order 42 for " + SyslogRsyslogTests.Customer + ": " + SyslogRsyslogTests.Note, r[6]); // the line break carried by octet counting
        Assert.Equal("42", r[7]);
        Assert.Equal(SyslogRsyslogTests.Customer, r[8]); // unescaped back
        Assert.Equal(SyslogRsyslogTests.Note, r[9]);
        Assert.Equal("eu \"west\" ]1[", r[10]);
    }
}
