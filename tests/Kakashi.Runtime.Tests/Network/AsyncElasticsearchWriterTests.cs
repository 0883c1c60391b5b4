using System;
using System.Linq;
using System.Text;
using System.Text.Json;
using System.Threading.Tasks;
using Kakashi;
using Xunit;

namespace Kakashi.Runtime.Tests.Network;

/// <summary>
/// <see cref="AsyncElasticsearchWriter"/> against an endpoint in the test that reads bodies as Elasticsearch's <c>_bulk</c>
/// API does (action line, document line) and answers with the documented bulk responses (item errors, 429), since
/// Elasticsearch itself cannot be installed here.
/// </summary>
public class AsyncElasticsearchWriterTests
{
    /// <summary>The documents of a bulk body, checked the way Elasticsearch parses it: pairs of an action and a source.</summary>
    internal static (string Index, JsonElement Document)[] Parse(ReceivedRequest request)
    {
        var lines = request.Lines;
        Assert.True(lines.Length % 2 == 0, "a bulk body is action/document pairs");
        Assert.EndsWith("\n", request.Text);
        return Enumerable.Range(0, lines.Length / 2).Select(i =>
        {
            var action = JsonDocument.Parse(lines[2 * i]).RootElement;
            var create = Assert.Single(action.EnumerateObject());
            Assert.Equal("create", create.Name); // data streams accept only create
            return (create.Value.GetProperty("_index").GetString()!, JsonDocument.Parse(lines[2 * i + 1]).RootElement);
        }).ToArray();
    }

    /// <summary>A bulk answer: one item per document with the given statuses (201 created, or an error).</summary>
    internal static string Answer(int documents, Func<int, int>? status = null)
    {
        var json = new StringBuilder("{\"took\":3,\"errors\":");
        bool errors = status is not null && Enumerable.Range(0, documents).Any(i => status(i) >= 300);
        json.Append(errors ? "true" : "false").Append(",\"items\":[");
        for (int i = 0; i < documents; i++)
        {
            int s = status?.Invoke(i) ?? 201;
            if (i > 0) json.Append(',');
            json.Append("{\"create\":{\"_index\":\"logs-test\",\"_id\":\"id").Append(i).Append("\",\"status\":").Append(s);
            if (s == 400) json.Append(",\"error\":{\"type\":\"mapper_parsing_exception\",\"reason\":\"failed to parse field [kakashi.properties.Seq] of type [date]\"}");
            if (s == 429) json.Append(",\"error\":{\"type\":\"es_rejected_execution_exception\",\"reason\":\"rejected execution of coordinating operation\"}");
            json.Append("}}");
        }
        return json.Append("]}").ToString();
    }

    private static ServerAnswer Bulk(ReceivedRequest request, Func<int, int>? status = null) => new(200, Answer(request.Lines.Length / 2, status));

    [Fact]
    public async Task Bulk_bodies_are_create_actions_with_ECS_documents()
    {
        await using var server = new HttpTestServer((r, _) => Bulk(r));
        var writer = new AsyncElasticsearchWriter(server.Url.TrimEnd('/'), "logs-test") { BatchSize = 8, FlushInterval = TimeSpan.FromMilliseconds(50) };
        using (var pipeline = AsyncNetworkWriterTests.Pipeline(writer))
        {
            var log = pipeline.CreateLogger("Orders");
            for (int i = 0; i < 20; i++) log.OrderFilled(i, 100, 101.25, "MSFT");
            await pipeline.FlushAllAsync();
            var w = pipeline.GetMetrics().Writers[0];
            Assert.Equal(20, w.Written);
            ReliabilityTests.AssertBooks(w);
        }
        Assert.All(server.Requests, r =>
        {
            Assert.Equal("/_bulk", r.PathAndQuery);
            Assert.StartsWith("application/x-ndjson", r.Headers["Content-Type"]);
            Assert.InRange(r.Lines.Length / 2, 1, 8);
        });
        var documents = server.Requests.SelectMany(Parse).ToArray();
        Assert.Equal(20, documents.Length);
        Assert.All(documents, d => Assert.Equal("logs-test", d.Index));
        Assert.Equal(Enumerable.Range(0, 20), documents.Select(d => d.Document.GetProperty("kakashi").GetProperty("properties").GetProperty("OrderId").GetInt32()));
        var first = documents[0].Document;
        Assert.Equal("Order 0 filled 100 at 101.25 for MSFT", first.GetProperty("message").GetString());
        Assert.Equal("Information", first.GetProperty("log.level").GetString());
        Assert.Equal("Orders", first.GetProperty("log.logger").GetString());
        Assert.True(first.TryGetProperty("@timestamp", out _));
    }

    [Fact]
    public async Task Rejected_documents_fail_with_the_reason_and_the_rest_are_confirmed()
    {
        await using var server = new HttpTestServer((r, _) => Bulk(r, i => i == 3 ? 400 : 201));
        var writer = new AsyncElasticsearchWriter(server.Url, "logs-test") { Retry = AsyncNetworkWriterTests.FastRetry };
        var memory = new InMemoryWriter();
        using var pipeline = AsyncNetworkWriterTests.Pipeline(writer, memory);
        var log = pipeline.CreateLogger("Orders");
        for (int i = 0; i < 10; i++) log.Seq(1, i);
        await pipeline.FlushAllAsync();
        var w = pipeline.GetMetrics().Writers[0];
        Assert.Equal(9, w.Written);
        Assert.Equal(1, w.Failed);
        Assert.Equal(1, writer.RejectedDocuments);
        Assert.Single(server.Requests); // rejected for good: not sent again
        ReliabilityTests.AssertBooks(w);
        await ReliabilityTests.WaitUntil(() => memory.Records.Any(r => r.IsInternal && r.Text.Contains("mapper_parsing_exception") && r.Text.Contains("failed to parse field")));
    }

    [Fact]
    public async Task Documents_answered_429_are_sent_again_from_the_first_of_them()
    {
        // the first answer: documents 0-4 created, 5 rejected with 429 (the cluster's write queue was full), 6-9 created
        await using var server = new HttpTestServer((r, n) => n == 0 ? Bulk(r, i => i == 5 ? 429 : 201) : Bulk(r));
        var writer = new AsyncElasticsearchWriter(server.Url, "logs-test") { Retry = AsyncNetworkWriterTests.FastRetry, FlushInterval = TimeSpan.FromMilliseconds(200) };
        using var pipeline = AsyncNetworkWriterTests.Pipeline(writer);
        var log = pipeline.CreateLogger("Orders");
        for (int i = 0; i < 10; i++) log.Seq(1, i);
        await ReliabilityTests.WaitUntil(() => pipeline.GetMetrics().Writers[0].Written == 10);
        var requests = server.Requests;
        Assert.Equal(2, requests.Count);
        var resent = Parse(requests[1]).Select(d => d.Document.GetProperty("kakashi").GetProperty("properties").GetProperty("Seq").GetInt64()).ToArray();
        Assert.Equal(Enumerable.Range(5, 5).Select(i => (long)i), resent);
        var w = pipeline.GetMetrics().Writers[0];
        Assert.Equal(0, w.Failed);
        Assert.Equal(1, writer.DocumentRetries);
        Assert.Equal(1, w.Retries);
        ReliabilityTests.AssertBooks(w);
    }

    [Fact]
    public async Task A_whole_request_answered_429_backs_off_and_is_retried()
    {
        await using var server = new HttpTestServer((r, n) => n == 0 ? new ServerAnswer(429, "{\"error\":\"too many requests\"}") : Bulk(r));
        var writer = new AsyncElasticsearchWriter(server.Url, "logs-test") { Retry = AsyncNetworkWriterTests.FastRetry, FlushInterval = TimeSpan.Zero };
        using var pipeline = AsyncNetworkWriterTests.Pipeline(writer);
        pipeline.CreateLogger("Orders").Seq(1, 1);
        await ReliabilityTests.WaitUntil(() => pipeline.GetMetrics().Writers[0].Written == 1);
        Assert.Equal(2, server.Requests.Count);
        Assert.Equal(1, pipeline.GetMetrics().Writers[0].Retries);
    }

    [Fact]
    public async Task An_index_pattern_names_an_index_per_UTC_day()
    {
        await using var server = new HttpTestServer((r, _) => Bulk(r));
        var writer = new AsyncElasticsearchWriter(server.Url, "logs-app-{0:yyyy.MM.dd}") { FlushInterval = TimeSpan.Zero };
        var before = DateTime.UtcNow;
        using (var pipeline = AsyncNetworkWriterTests.Pipeline(writer))
        {
            pipeline.CreateLogger("Orders").Seq(1, 1);
            await pipeline.FlushAllAsync();
        }
        var (index, document) = Assert.Single(Parse(Assert.Single(server.Requests)));
        var stamp = document.GetProperty("@timestamp").GetDateTime().ToUniversalTime();
        Assert.Equal($"logs-app-{stamp:yyyy.MM.dd}", index);
        Assert.True(stamp.Date == before.Date || stamp.Date == before.Date.AddDays(1));
    }

    [Theory]
    [InlineData("Logs", "Writers[0].Index")]
    [InlineData("logs app", "Writers[0].Index")]
    [InlineData("_logs", "Writers[0].Index")]
    [InlineData("logs-{0:yyyy.MM.dd", "Writers[0].Index")]
    public void An_index_Elasticsearch_would_refuse_is_refused_at_setup(string index, string property)
    {
        var error = Assert.ThrowsAny<ArgumentException>(() => AsyncNetworkWriterTests.Pipeline(new AsyncElasticsearchWriter("http://127.0.0.1:9200", index)));
        Assert.Equal(property, error.ParamName);
    }
}
