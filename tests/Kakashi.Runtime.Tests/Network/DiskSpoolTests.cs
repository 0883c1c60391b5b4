using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Text.Json;
using System.Threading.Tasks;
using Kakashi;
using Kakashi.Runtime.Tests.Peers;
using Xunit;

namespace Kakashi.Runtime.Tests.Network;

/// <summary>
/// The disk spool with a real outage: the endpoint's port is closed (connections refused) and opened again, a process
/// holding a spool is killed with SIGKILL, spool files are damaged on disk, a small spool overflows.
/// </summary>
public class DiskSpoolTests
{
    private static string ProbePath => typeof(DiskSpoolTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "ExitProbe").Value!;

    private static string NewFolder() => Path.Combine(Path.GetTempPath(), "kakashi-tests", Guid.NewGuid().ToString("N"));

    private static readonly CircuitBreakerOptions QuickBreaker = new() { FailureThreshold = 5, BreakDuration = TimeSpan.FromMilliseconds(500) };

    private static AsyncNetworkWriter Writer(string url, string folder, DiskSpool? spool = null) => new(url)
    {
        Spool = spool ?? new DiskSpool(folder),
        Retry = new RetryOptions { MaxRetries = 1, InitialDelay = TimeSpan.FromMilliseconds(20), MaxDelay = TimeSpan.FromMilliseconds(200), Jitter = false },
        CircuitBreaker = QuickBreaker,
        BatchSize = 50,
        FlushInterval = TimeSpan.FromMilliseconds(20),
    };

    private static long[] Sequence(string[] lines) => lines.Select(l => JsonDocument.Parse(l).RootElement.GetProperty("Properties").GetProperty("Seq").GetInt64()).ToArray();

    [Fact]
    public async Task Records_wait_on_disk_while_the_endpoint_is_down_and_arrive_once_in_order_when_it_is_back()
    {
        string folder = NewFolder();
        await using var server = new HttpTestServer();
        server.Stop(); // connections refused
        using var pipeline = AsyncNetworkWriterTests.Pipeline(Writer(server.Url, folder));
        var log = pipeline.CreateLogger("Spool");
        for (int i = 0; i < 500; i++)
        {
            log.Seq(1, i);
            if (i % 100 == 99) await Task.Delay(30);
        }
        await ReliabilityTests.WaitUntil(() => pipeline.GetMetrics().Writers[0].Spooled == 500);
        var down = pipeline.GetMetrics().Writers[0];
        Assert.Equal(0, down.Failed);
        Assert.Equal(0, down.Dropped);
        Assert.Equal(500, down.Queued); // spooled records are still owed
        Assert.True(down.SpoolBytes > 0);
        ReliabilityTests.AssertBooks(down);
        Assert.NotEmpty(Directory.GetFiles(folder, "*.spool"));

        server.Start();
        for (int i = 500; i < 600; i++) log.Seq(1, i); // logged after the endpoint came back: after the backlog, not before
        await ReliabilityTests.WaitUntil(() => pipeline.GetMetrics().Writers[0].Written == 600);
        Assert.Equal(Enumerable.Range(0, 600).Select(i => (long)i), Sequence(server.AcceptedLines));
        var up = pipeline.GetMetrics().Writers[0];
        Assert.Equal(0, up.Spooled);
        Assert.Equal(0, up.Queued);
        ReliabilityTests.AssertBooks(up);
    }

    [Fact]
    public async Task A_process_killed_while_its_spool_holds_records_is_replayed_by_the_next_one()
    {
        string folder = NewFolder();
        await using var server = new HttpTestServer();
        server.Stop();
        var child = Process.Start(new ProcessStartInfo("dotnet", $"\"{ProbePath}\" spool \"{folder}\" {server.Url} 300") { RedirectStandardOutput = true, UseShellExecute = false })!;
        try
        {
            var line = await child.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60));
            Assert.Equal("spooled", line);
            // the folder is the child's while it lives: a second writer on it, in another process, is refused at setup
            var refused = Assert.Throws<IOException>(() => AsyncNetworkWriterTests.Pipeline(Writer(server.Url, folder)));
            Assert.Contains("Writers[0].Spool", refused.Message);
        }
        finally
        {
            child.Kill(); // SIGKILL: no shutdown, no flush
            await child.WaitForExitAsync();
        }

        server.Start();
        using var pipeline = AsyncNetworkWriterTests.Pipeline(Writer(server.Url, folder));
        await ReliabilityTests.WaitUntil(() => pipeline.GetMetrics().Writers[0].SpoolReplayed == 300);
        var messages = server.AcceptedLines.Select(l => JsonDocument.Parse(l).RootElement.GetProperty("Message").GetString()).ToArray();
        Assert.Equal(Enumerable.Range(0, 300).Select(i => $"record {i}"), messages);
        var w = pipeline.GetMetrics().Writers[0];
        Assert.Equal(0, w.Received); // the earlier process's records are not in this one's books
        Assert.Equal(0, w.SpoolBytes);
        ReliabilityTests.AssertBooks(w);
        Assert.Empty(Directory.GetFiles(folder, "*.spool"));
    }

    [Fact]
    public async Task A_damaged_entry_and_a_torn_tail_are_skipped_with_the_loss_reported()
    {
        string folder = NewFolder();
        await using var server = new HttpTestServer();
        server.Stop();
        using (var pipeline = AsyncNetworkWriterTests.Pipeline(Writer(server.Url, folder)))
        {
            var log = pipeline.CreateLogger("Spool");
            for (int entry = 0; entry < 3; entry++)
            {
                for (int i = 0; i < 10; i++) log.Seq(entry, entry * 10 + i);
                int expected = (entry + 1) * 10;
                await ReliabilityTests.WaitUntil(() => pipeline.GetMetrics().Writers[0].Spooled == expected);
            }
        }
        var file = Assert.Single(Directory.GetFiles(folder, "*.spool"));
        var bytes = File.ReadAllBytes(file);
        // the entries' starts ("KSP1"): damage the second one's body, then append half an entry (a writer killed mid-append)
        // (entries are batches: three or more, however the drain cut the records)
        var starts = Enumerable.Range(0, bytes.Length - 3).Where(i => bytes[i] == (byte)'K' && bytes[i + 1] == (byte)'S' && bytes[i + 2] == (byte)'P' && bytes[i + 3] == (byte)'1').ToArray();
        Assert.True(starts.Length >= 3, $"{starts.Length} entries");
        int before = BitConverter.ToInt32(bytes, starts[0] + 16), damaged = BitConverter.ToInt32(bytes, starts[1] + 16);
        bytes[starts[1] + 40] ^= 0xFF;
        File.WriteAllBytes(file, [.. bytes, .. bytes.AsSpan(starts[2], 40).ToArray()]);

        server.Start();
        var memory = new InMemoryWriter();
        using var replay = AsyncNetworkWriterTests.Pipeline(Writer(server.Url, folder), memory);
        await ReliabilityTests.WaitUntil(() => replay.GetMetrics().Writers[0].SpoolReplayed == 30 - damaged);
        Assert.Equal(Enumerable.Range(0, before).Concat(Enumerable.Range(before + damaged, 30 - before - damaged)).Select(i => (long)i), Sequence(server.AcceptedLines));
        var w = replay.GetMetrics().Writers[0];
        Assert.Equal(starts[2] - starts[1] + 40, w.SpoolLostBytes); // the damaged entry and the torn tail, to the byte
        await ReliabilityTests.WaitUntil(() => memory.Records.Count(r => r.IsInternal && r.Text.Contains("bytes skipped")) == 2);
    }

    [Fact]
    public async Task A_full_spool_deletes_its_oldest_segment_and_counts_the_records_dropped()
    {
        string folder = NewFolder();
        await using var server = new HttpTestServer();
        server.Stop();
        var spool = new DiskSpool(folder) { MaxBytes = DiskSpool.MinMaxBytes, SegmentBytes = 128 * 1024 };
        using var pipeline = AsyncNetworkWriterTests.Pipeline(Writer(server.Url, folder, spool));
        var log = pipeline.CreateLogger("Spool");
        string padding = new('x', 400);
        for (int i = 0; i < 6000; i++)
        {
            log.Text(padding);
            if (i % 500 == 499) await Task.Delay(20);
        }
        await ReliabilityTests.WaitUntil(() =>
        {
            var m = pipeline.GetMetrics().Writers[0];
            return m.Spooled + m.Dropped == 6000;
        });
        var w = pipeline.GetMetrics().Writers[0];
        Assert.True(w.Dropped > 0, "a 1 MiB spool cannot hold 3 MB of records");
        // most by the spool's eviction; the stage's own queue may also have dropped while the spool was busy (impaired: drop newest)
        Assert.InRange(w.SpoolDropped, 1, w.Dropped);
        Assert.InRange(w.SpoolBytes, 1, DiskSpool.MinMaxBytes);
        ReliabilityTests.AssertBooks(w);
        long onDisk = Directory.GetFiles(folder, "*.spool").Sum(f => new FileInfo(f).Length);
        Assert.InRange(onDisk, 1, DiskSpool.MinMaxBytes + spool.SegmentBytes);

        server.Start();
        await ReliabilityTests.WaitUntil(() => pipeline.GetMetrics().Writers[0].Queued == 0);
        // what survived arrives, each once
        // (the pipeline's own drop reports travel with them: only the application's lines are counted)
        Assert.Equal(w.Spooled, server.AcceptedLines.Count(l => JsonDocument.Parse(l).RootElement.GetProperty("Message").GetString()!.StartsWith("Text ", StringComparison.Ordinal)));
        Assert.Equal(6000 - w.Dropped, pipeline.GetMetrics().Writers[0].Written);
        ReliabilityTests.AssertBooks(pipeline.GetMetrics().Writers[0]);
    }

    [Fact]
    public async Task Records_still_spooled_at_shutdown_stay_owed_not_failed()
    {
        string folder = NewFolder();
        await using var server = new HttpTestServer();
        server.Stop();
        var pipeline = AsyncNetworkWriterTests.Pipeline(Writer(server.Url, folder));
        var log = pipeline.CreateLogger("Spool");
        for (int i = 0; i < 40; i++) log.Seq(1, i);
        pipeline.Dispose(); // the destination is still down
        var w = pipeline.GetMetrics().Writers[0];
        Assert.Equal(0, w.Failed);
        Assert.Equal(40, w.Spooled);
        ReliabilityTests.AssertBooks(w);
        server.Start();
        using var next = AsyncNetworkWriterTests.Pipeline(Writer(server.Url, folder));
        await ReliabilityTests.WaitUntil(() => next.GetMetrics().Writers[0].SpoolReplayed == 40);
        Assert.Equal(Enumerable.Range(0, 40).Select(i => (long)i), Sequence(server.AcceptedLines));
    }

    [Fact]
    public async Task Only_the_part_of_a_batch_the_destination_did_not_confirm_goes_to_the_spool()
    {
        // Elasticsearch confirms documents 0-4 and keeps answering 429 from document 5 on, past the retries; then recovers
        string folder = NewFolder();
        bool recovered = false;
        await using var server = new HttpTestServer((r, _) => new ServerAnswer(200, AsyncElasticsearchWriterTests.Answer(r.Lines.Length / 2,
            i => recovered || AsyncElasticsearchWriterTests.Parse(r)[i].Document.GetProperty("kakashi").GetProperty("properties").GetProperty("Seq").GetInt64() < 5 ? 201 : 429)));
        var writer = new AsyncElasticsearchWriter(server.Url, "logs-test")
        {
            Spool = new DiskSpool(folder),
            Retry = new RetryOptions { MaxRetries = 1, InitialDelay = TimeSpan.FromMilliseconds(20), MaxDelay = TimeSpan.FromMilliseconds(100), Jitter = false },
            CircuitBreaker = QuickBreaker,
            FlushInterval = TimeSpan.FromMilliseconds(200),
        };
        using var pipeline = AsyncNetworkWriterTests.Pipeline(writer);
        var log = pipeline.CreateLogger("Spool");
        for (int i = 0; i < 10; i++) log.Seq(1, i);
        await ReliabilityTests.WaitUntil(() => pipeline.GetMetrics().Writers[0].Spooled == 5);
        var w = pipeline.GetMetrics().Writers[0];
        Assert.Equal(5, w.Written);
        ReliabilityTests.AssertBooks(w);
        int before = server.Requests.Count;
        recovered = true;
        await ReliabilityTests.WaitUntil(() => pipeline.GetMetrics().Writers[0].Written == 10);
        // what the spool replayed is documents 5-9, once each: 0-4 were confirmed and are not sent again
        var replayed = server.Requests.Skip(before).SelectMany(AsyncElasticsearchWriterTests.Parse)
            .Select(d => d.Document.GetProperty("kakashi").GetProperty("properties").GetProperty("Seq").GetInt64()).ToArray();
        Assert.Equal(new long[] { 5, 6, 7, 8, 9 }, replayed);
        var done = pipeline.GetMetrics().Writers[0];
        Assert.Equal(0, done.Failed);
        Assert.Equal(0, done.Spooled);
        ReliabilityTests.AssertBooks(done);
    }

    [Fact]
    public void Spool_options_are_checked_at_setup()
    {
        Assert.Equal("Writers[0].Spool.MaxBytes", Assert.ThrowsAny<ArgumentException>(() => AsyncNetworkWriterTests.Pipeline(
            new AsyncNetworkWriter("http://127.0.0.1:1/") { Spool = new DiskSpool(NewFolder()) { MaxBytes = 1000 } })).ParamName);
        string shared = NewFolder();
        Assert.Equal("Writers[1].Spool.Directory", Assert.ThrowsAny<ArgumentException>(() => AsyncNetworkWriterTests.Pipeline(
            new AsyncNetworkWriter("http://127.0.0.1:1/") { Spool = new DiskSpool(shared) },
            new AsyncNetworkWriter("http://127.0.0.1:2/") { Spool = new DiskSpool(shared) })).ParamName);
    }
}
