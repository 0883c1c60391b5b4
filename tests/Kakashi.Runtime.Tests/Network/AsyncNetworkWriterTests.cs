using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.Json;
using System.Threading.Tasks;
using Kakashi;
using Xunit;

namespace Kakashi.Runtime.Tests.Network;

/// <summary>
/// <see cref="AsyncNetworkWriter"/> against an HTTP endpoint in the test (<see cref="HttpTestServer"/>: an NDJSON collector
/// or Seq, which cannot be installed here), answering as each test scripts it.
/// </summary>
public class AsyncNetworkWriterTests
{
    internal static readonly RetryOptions FastRetry = new() { MaxRetries = 3, InitialDelay = TimeSpan.FromMilliseconds(10), MaxDelay = TimeSpan.FromMilliseconds(50), Jitter = false };

    internal static AsyncPipeline Pipeline(params LogWriter[] writers) => new(new AsyncPipelineConfig
    {
        Writers = [.. writers],
        FlushOnProcessExit = false,
    });

    private static JsonElement Json(string line) => JsonDocument.Parse(line).RootElement;

    [Fact]
    public async Task Every_record_arrives_once_in_order_in_requests_bounded_by_BatchSize()
    {
        await using var server = new HttpTestServer();
        var writer = new AsyncNetworkWriter(server.Url) { BatchSize = 10, FlushInterval = TimeSpan.FromMilliseconds(100) };
        using (var pipeline = Pipeline(writer))
        {
            var log = pipeline.CreateLogger("Net");
            for (int i = 0; i < 95; i++) log.Seq(1, i);
            await pipeline.FlushAllAsync();
            var w = pipeline.GetMetrics().Writers[0];
            Assert.Equal(95, w.Written);
            ReliabilityTests.AssertBooks(w);
        }
        var lines = server.AcceptedLines;
        Assert.Equal(Enumerable.Range(0, 95).Select(i => $"T1 N{i}"), lines.Select(l => Json(l).GetProperty("Message").GetString()));
        Assert.All(server.Requests, r =>
        {
            Assert.Equal("POST", r.Method);
            Assert.InRange(r.Lines.Length, 1, 10);
            Assert.StartsWith("application/x-ndjson", r.Headers["Content-Type"]);
        });
        Assert.Equal(95, Json(lines[^1]).GetProperty("Properties").GetProperty("Seq").GetInt64() + 1);
    }

    [Fact]
    public async Task A_quiet_application_sends_one_request_per_FlushInterval()
    {
        await using var server = new HttpTestServer();
        var writer = new AsyncNetworkWriter(server.Url) { FlushInterval = TimeSpan.FromSeconds(3) };
        using var pipeline = Pipeline(writer);
        var log = pipeline.CreateLogger("Net");
        for (int i = 0; i < 5; i++)
        {
            log.Seq(1, i);
            await Task.Delay(40); // five drain batches, well inside one interval
        }
        await ReliabilityTests.WaitUntil(() => server.AcceptedLines.Length == 5);
        var request = Assert.Single(server.Requests);
        Assert.Equal(5, request.Lines.Length);
    }

    [Fact]
    public async Task Gzip_bodies_and_custom_headers()
    {
        await using var server = new HttpTestServer();
        var writer = new AsyncNetworkWriter(server.Url)
        {
            Gzip = true,
            Headers = new Dictionary<string, string> { ["X-Api-Key"] = "secret-1", ["X-Tenant"] = "blue" },
            FlushInterval = TimeSpan.Zero,
        };
        using (var pipeline = Pipeline(writer))
        {
            pipeline.CreateLogger("Net").Text("compressed");
            await pipeline.FlushAllAsync();
        }
        var request = Assert.Single(server.Requests);
        Assert.Equal("gzip", request.Headers["Content-Encoding"]);
        Assert.Equal("secret-1", request.Headers["X-Api-Key"]);
        Assert.Equal("blue", request.Headers["X-Tenant"]);
        Assert.Equal("Text compressed", Json(Assert.Single(request.Lines)).GetProperty("Message").GetString());
    }

    [Fact]
    public async Task Seq_gets_CLEF_on_its_raw_ingestion_endpoint()
    {
        await using var server = new HttpTestServer(); // answers like Seq: 201 Created
        var writer = new AsyncNetworkWriter(server.Url.TrimEnd('/')) { Format = NetworkFormat.SeqClef, Headers = new Dictionary<string, string> { ["X-Seq-ApiKey"] = "k" } };
        using (var pipeline = Pipeline(writer))
        {
            pipeline.CreateLogger("Orders").OrderFilled(42, 100, 101.25, "MSFT");
            await pipeline.FlushAllAsync();
        }
        var request = Assert.Single(server.Requests);
        Assert.Equal("/api/events/raw?clef", request.PathAndQuery);
        Assert.StartsWith("application/vnd.serilog.clef", request.Headers["Content-Type"]);
        Assert.Equal("k", request.Headers["X-Seq-ApiKey"]);
        var clef = Json(Assert.Single(request.Lines));
        Assert.Equal("Order {OrderId} filled {Quantity} at {Price} for {Symbol}", clef.GetProperty("@mt").GetString());
        Assert.Equal(42, clef.GetProperty("OrderId").GetInt32());
        Assert.Equal(101.25, clef.GetProperty("Price").GetDouble());
        Assert.Equal("Orders", clef.GetProperty("SourceContext").GetString());
        Assert.True(clef.TryGetProperty("@t", out _));
    }

    [Fact]
    public async Task A_server_error_then_success_is_retried_once_and_written_once()
    {
        await using var server = new HttpTestServer((_, n) => n == 0 ? new ServerAnswer(500, "busy") : ServerAnswer.Ok);
        var writer = new AsyncNetworkWriter(server.Url) { Retry = FastRetry, FlushInterval = TimeSpan.Zero };
        using var pipeline = Pipeline(writer);
        pipeline.CreateLogger("Net").Text("once");
        await pipeline.FlushAllAsync();
        await ReliabilityTests.WaitUntil(() => pipeline.GetMetrics().Writers[0].Written == 1);
        var w = pipeline.GetMetrics().Writers[0];
        Assert.Equal(2, server.Requests.Count);
        Assert.Equal(server.Requests[0].Text, server.Requests[1].Text); // the same request sent again
        Assert.Single(server.AcceptedLines);
        Assert.Equal(1, w.Retries);
        Assert.Equal(0, w.Failed);
        Assert.Equal(1, writer.Requests);
        Assert.Equal(1, writer.FailedRequests);
        ReliabilityTests.AssertBooks(w);
    }

    [Fact]
    public async Task A_client_error_fails_the_records_at_once_without_retrying_and_says_why()
    {
        await using var server = new HttpTestServer((_, _) => new ServerAnswer(400, "{\"error\":\"bad field\"}"));
        var writer = new AsyncNetworkWriter(server.Url) { Retry = FastRetry, FlushInterval = TimeSpan.FromMilliseconds(200) };
        var memory = new InMemoryWriter();
        using var pipeline = Pipeline(writer, memory);
        var log = pipeline.CreateLogger("Net");
        for (int i = 0; i < 3; i++) log.Seq(1, i);
        await ReliabilityTests.WaitUntil(() => pipeline.GetMetrics().Writers[0].Failed == 3);
        var w = pipeline.GetMetrics().Writers[0];
        Assert.Equal(0, w.Retries);
        Assert.Equal(0, w.Written);
        Assert.Single(server.Requests);
        ReliabilityTests.AssertBooks(w);
        await ReliabilityTests.WaitUntil(() => memory.Records.Any(r => r.IsInternal && r.Text.Contains("400") && r.Text.Contains("bad field")));
    }

    [Fact]
    public async Task Retry_After_replaces_the_backoff_delay()
    {
        await using var server = new HttpTestServer((_, n) => n == 0 ? new ServerAnswer(429, "slow down", RetryAfterSeconds: 1) : ServerAnswer.Ok);
        var writer = new AsyncNetworkWriter(server.Url) { Retry = FastRetry, FlushInterval = TimeSpan.Zero };
        using var pipeline = Pipeline(writer);
        pipeline.CreateLogger("Net").Text("later");
        await ReliabilityTests.WaitUntil(() => pipeline.GetMetrics().Writers[0].Written == 1);
        var requests = server.Requests;
        Assert.Equal(2, requests.Count);
        // the backoff alone would have waited 10 ms; the server asked for a second
        Assert.True(requests[1].At - requests[0].At >= TimeSpan.FromMilliseconds(900), $"retried after {(requests[1].At - requests[0].At).TotalMilliseconds} ms");
    }

    [Fact]
    public async Task A_hung_endpoint_times_out_opens_the_breaker_and_leaves_the_other_writer_and_the_callers_alone()
    {
        await using var server = new HttpTestServer((_, _) => new ServerAnswer(200, Hang: true));
        var writer = new AsyncNetworkWriter(server.Url)
        {
            Timeout = TimeSpan.FromMilliseconds(200),
            MaxRetries = 0,
            FlushInterval = TimeSpan.Zero,
            CircuitBreaker = new CircuitBreakerOptions { FailureThreshold = 2, BreakDuration = TimeSpan.FromSeconds(30) },
        };
        var memory = new InMemoryWriter();
        using var pipeline = Pipeline(writer, memory);
        var log = pipeline.CreateLogger("Net");
        for (int round = 0; round < 20; round++)
        {
            for (int i = 0; i < 100; i++) log.Seq(round, i);
            await Task.Delay(20);
        }
        await ReliabilityTests.WaitUntil(() => memory.Lines.Count == 2000);
        await ReliabilityTests.WaitUntil(() => pipeline.GetMetrics().Writers[0].BreakerState == BreakerState.Open);
        var metrics = pipeline.GetMetrics();
        Assert.Equal(2000, metrics.Writers[1].Written);
        Assert.True(metrics.Writers[0].Failed + metrics.Writers[0].Dropped > 0);
        ReliabilityTests.AssertBooks(metrics.Writers[0]);
        ReliabilityTests.AssertBooks(metrics.Writers[1]);
    }

    [Theory]
    [InlineData("not a url", "Writers[0].Endpoint")]
    [InlineData("ftp://host/", "Writers[0].Endpoint")]
    public void A_bad_endpoint_is_refused_at_setup(string endpoint, string property)
    {
        var error = Assert.ThrowsAny<ArgumentException>(() => Pipeline(new AsyncNetworkWriter(endpoint)));
        Assert.Equal(property, error.ParamName);
    }

    [Fact]
    public void Options_are_checked_at_setup_naming_the_property()
    {
        Assert.Equal("Writers[0].Table", Assert.ThrowsAny<ArgumentException>(() => Pipeline(new AsyncNetworkWriter("http://127.0.0.1:1/") { Format = NetworkFormat.ClickHouse })).ParamName);
        Assert.Equal("Writers[1].BatchSize", Assert.ThrowsAny<ArgumentException>(() => Pipeline(new InMemoryWriter(), new AsyncNetworkWriter("http://127.0.0.1:1/") { BatchSize = 0 })).ParamName);
        Assert.Equal("Writers[0].Headers", Assert.ThrowsAny<ArgumentException>(() => Pipeline(new AsyncNetworkWriter("http://127.0.0.1:1/") { Headers = new Dictionary<string, string> { ["Content-Type"] = "x" } })).ParamName);
        Assert.Equal("Writers[0].WriteTimeout", Assert.ThrowsAny<ArgumentException>(() => Pipeline(new AsyncNetworkWriter("http://127.0.0.1:1/") { Timeout = TimeSpan.Zero })).ParamName);
    }

    [Fact]
    public async Task A_destination_down_at_start_does_not_stop_the_pipeline()
    {
        await using var server = new HttpTestServer();
        server.Stop();
        var writer = new AsyncNetworkWriter(server.Url) { Retry = FastRetry, FlushInterval = TimeSpan.Zero };
        var memory = new InMemoryWriter();
        using var pipeline = Pipeline(writer, memory); // no exception: a logger starts while its collector is down
        pipeline.CreateLogger("Net").Text("while down");
        await ReliabilityTests.WaitUntil(() => pipeline.GetMetrics().Writers[0].Failed == 1);
        Assert.Single(memory.Lines);
        ReliabilityTests.AssertBooks(pipeline.GetMetrics().Writers[0]);
    }
}
