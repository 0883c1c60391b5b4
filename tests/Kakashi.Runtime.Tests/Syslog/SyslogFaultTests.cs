using System;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using Kakashi;
using Kakashi.Runtime.Tests.Peers;
using Xunit.Abstractions;

namespace Kakashi.Runtime.Tests.Syslog;

/// <summary>
/// The relay dies mid-stream (SIGKILL) and comes back on the same port, or freezes (SIGSTOP): what RELP guarantees, what
/// plain TCP can lose, and that the books balance and nobody else waits.
/// </summary>
public sealed class SyslogFaultTests(ITestOutputHelper output)
{
    private const int Total = 4000;

    private static SyslogWriter Writer(int port, SyslogTransport transport, string app) => new("127.0.0.1", port)
    {
        Transport = transport,
        AppName = app,
        HostName = "kakashi-host",
        WriteTimeout = TimeSpan.FromSeconds(5),
        Retry = new RetryOptions { MaxRetries = 100, InitialDelay = TimeSpan.FromMilliseconds(20), MaxDelay = TimeSpan.FromMilliseconds(200) },
        CircuitBreaker = new CircuitBreakerOptions { FailureThreshold = 1_000_000 },
        QueueLimit = 256L * 1024 * 1024, // a stage holds whole 128 KiB batches: room for the outage (an impaired stage that is full drops)
    };

    /// <summary>Waits for <paramref name="condition"/>; on a timeout, says where things stand.</summary>
    private static async Task Wait(Func<bool> condition, Func<string> state, int seconds = 30)
    {
        try
        {
            await ReliabilityTests.WaitUntil(condition, seconds);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException("condition not reached: " + state());
        }
    }

    private static string State(AsyncPipeline pipeline, RsyslogPeer peer, string app)
    {
        var w = pipeline.GetMetrics().Writers[0];
        var ids = peer.Records(app).Select(Id).ToList();
        return $"written {w.Written}, failed {w.Failed}, dropped {w.Dropped}, queued {w.Queued}, retries {w.Retries}, breaker {w.BreakerState}; the relay has {ids.Count} ({ids.Distinct().Count()} distinct), last {(ids.Count > 0 ? ids[^1] : -1)}\n{peer.Output}";
    }

    private static int Id(ParsedSyslog r) => int.Parse(r.Msg.TrimStart()["Record ".Length..], CultureInfo.InvariantCulture);

    /// <summary>Logs <see cref="Total"/> records; the relay is killed at record 1500 and started again (same port, same file) at 2000.</summary>
    private static async Task LogThroughACrash(KakashiLogger logger, RsyslogPeer peer)
    {
        for (int i = 0; i < Total; i++)
        {
            logger.Record(i);
            if (i % 100 == 99) await Task.Delay(5);
            if (i == 1500) peer.Kill();
            if (i == 2000)
            {
                await Task.Delay(300);
                File.Delete(Path.Combine(peer.Folder, "rsyslogd.pid"));
                await peer.StartAsync();
            }
        }
    }

    [RequiresPeerFact("rsyslogd-relp")]
    public async Task Relp_loses_nothing_acknowledged_when_the_relay_is_killed_and_resends_the_rest()
    {
        using var peer = new RsyslogPeer(relp: true);
        await peer.StartAsync();
        const string app = "kakashi-relp-kill";
        var writer = Writer(peer.RelpPort, SyslogTransport.Relp, app);
        await using var pipeline = new AsyncPipeline(new AsyncPipelineConfig { Writers = [writer], FlushOnProcessExit = false });
        await LogThroughACrash(pipeline.CreateLogger("Fault"), peer);
        await pipeline.FlushAllAsync();
        await Wait(() => pipeline.GetMetrics().Writers[0].Written == Total, () => State(pipeline, peer, app), 60);
        await Wait(() => peer.Records(app).Select(Id).Distinct().Count() == Total, () => State(pipeline, peer, app));

        var ids = peer.Records(app).Select(Id).ToList();
        int duplicates = ids.Count - ids.Distinct().Count();
        var m = pipeline.GetMetrics().Writers[0];
        output.WriteLine($"received {ids.Count} for {Total} records: {duplicates} duplicates, {writer.ResentRecords} resent unacknowledged; retries {m.Retries}");
        Assert.Empty(Enumerable.Range(0, Total).Except(ids)); // every record arrived
        Assert.InRange(duplicates, 0, writer.ResentRecords); // a duplicate only for a record sent again without its acknowledgement
        Assert.Equal(Total, m.Written);
        Assert.Equal(0, m.Failed);
        Assert.Equal(0, m.Dropped);
        Assert.True(m.Retries > 0, "the relay's death was not noticed");
        ReliabilityTests.AssertBooks(m);
    }

    [RequiresPeerFact("rsyslogd")]
    public async Task Tcp_can_lose_what_was_in_flight_when_the_relay_is_killed_and_the_books_balance()
    {
        using var peer = new RsyslogPeer();
        await peer.StartAsync();
        const string app = "kakashi-tcp-kill";
        var writer = Writer(peer.TcpPort, SyslogTransport.Tcp, app);
        await using var pipeline = new AsyncPipeline(new AsyncPipelineConfig { Writers = [writer], FlushOnProcessExit = false });
        await LogThroughACrash(pipeline.CreateLogger("Fault"), peer);
        await pipeline.FlushAllAsync();
        await Wait(() => pipeline.GetMetrics().Writers[0] is { Queued: 0 } w && w.Written + w.Failed + w.Dropped == Total, () => State(pipeline, peer, app), 60);
        await Wait(() => peer.Records(app).Select(Id).Contains(Total - 1), () => State(pipeline, peer, app));

        var ids = peer.Records(app).Select(Id).ToList();
        int lost = Total - ids.Distinct().Count();
        int duplicates = ids.Count - ids.Distinct().Count();
        var m = pipeline.GetMetrics().Writers[0];
        output.WriteLine($"received {ids.Distinct().Count()} of {Total}: {lost} lost in flight (in the dead relay's socket buffers), {duplicates} duplicates (a failed batch is sent whole again); written {m.Written}, failed {m.Failed}, retries {m.Retries}");
        ReliabilityTests.AssertBooks(m);
        Assert.Equal(Total, m.Written); // the writer believes it delivered everything: plain TCP cannot know better
        Assert.Empty(Enumerable.Range(2001, Total - 2001).Except(ids)); // everything after the restart arrived
        Assert.Empty(Enumerable.Range(0, 1000).Except(ids)); // and everything long before the crash
        Assert.InRange(lost, 0, 1000);
    }

    [RequiresPeerFact("rsyslogd-relp")]
    public async Task A_frozen_relay_times_out_opens_the_breaker_and_neither_the_callers_nor_the_other_writer_wait()
    {
        using var peer = new RsyslogPeer(relp: true);
        await peer.StartAsync();
        var memory = new InMemoryWriter();
        var writer = new SyslogWriter("127.0.0.1", peer.RelpPort)
        {
            Transport = SyslogTransport.Relp,
            AppName = "kakashi-relp-stop",
            WriteTimeout = TimeSpan.FromMilliseconds(300),
            Retry = new RetryOptions { MaxRetries = 0 },
            // the breaker opens when every attempt in the window failed: a short window forgets the writes before the freeze
            CircuitBreaker = new CircuitBreakerOptions { FailureThreshold = 2, BreakDuration = TimeSpan.FromSeconds(60), SamplingWindow = TimeSpan.FromSeconds(1) },
        };
        await using var pipeline = new AsyncPipeline(new AsyncPipelineConfig { Writers = [writer, memory], FlushOnProcessExit = false });
        var logger = pipeline.CreateLogger("Fault");
        for (int i = 0; i < 10; i++) logger.Record(i);
        await pipeline.FlushAllAsync();
        await ReliabilityTests.WaitUntil(() => pipeline.GetMetrics().Writers[0].Written == 10);

        PeerProcess.Signal(peer.Pid, 19); // SIGSTOP: connections are still accepted by the kernel, nothing is answered
        try
        {
            var calls = new Stopwatch();
            for (int round = 0; round < 40; round++)
            {
                calls.Start();
                for (int j = 0; j < 10; j++) logger.Record(10 + round * 10 + j);
                calls.Stop();
                await Task.Delay(50);
            }
            await Wait(() => pipeline.GetMetrics().Writers[0].BreakerState == BreakerState.Open, () => State(pipeline, peer, "kakashi-relp-stop"));
            await Wait(() => memory.Lines.Count(l => l.Contains("Record ", StringComparison.Ordinal)) == 410, () => $"memory has {memory.Lines.Count}: " + State(pipeline, peer, "kakashi-relp-stop"));
            var m = pipeline.GetMetrics().Writers[0];
            output.WriteLine($"callers spent {calls.Elapsed.TotalMilliseconds:F1} ms on 400 calls; syslog written {m.Written}, failed {m.Failed}, dropped {m.Dropped}, queued {m.Queued}");
            Assert.True(calls.Elapsed < TimeSpan.FromSeconds(2), $"the callers waited {calls.Elapsed}");
            Assert.True(m.Failed > 0);
            Assert.Equal(10, m.Written);
            ReliabilityTests.AssertBooks(m);
            Assert.Equal(0, pipeline.GetMetrics().Writers[1].Dropped);
        }
        finally
        {
            PeerProcess.Signal(peer.Pid, 18); // SIGCONT, so the peer can be stopped
        }
    }
}
