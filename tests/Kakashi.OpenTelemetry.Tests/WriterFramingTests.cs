using System;
using System.Buffers;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Kakashi.Templates;
using Microsoft.Extensions.Logging;

namespace Kakashi.OpenTelemetry.Tests;

/// <summary>
/// The writer alone, on batches built by hand (so what lands in one request is exact, whatever the drain's batching):
/// grouping by scope, splitting at BatchSize, and resuming a batch after a failed request without sending a record twice.
/// </summary>
public class WriterFramingTests
{
    private static readonly LogTemplate Template = LogTemplate.Parse("Framing.Tick", LogLevel.Information, 0, null, "Tick {N}", [new TemplateArg("n", ArgType.Int32)]);

    private static LogBatch Batch(LogFormatter formatter, params (string Category, int N)[] records)
    {
        var batch = new LogBatch(null, 64 * 1024);
        foreach (var (category, n) in records)
        {
            var output = new ArrayBufferWriter<byte>();
            var record = new LogRecord(Template, new LogCategory(category.Length, category), LogLevel.Information, DateTime.UtcNow, 1, BitConverter.GetBytes(n), [0]);
            var writer = new Utf8Writer(output);
            formatter.Format(in record, ref writer);
            writer.Commit();
            output.WrittenSpan.CopyTo(batch.Buffer.AsSpan(batch.Length));
            batch.Length += output.WrittenCount;
            batch.AddRecord(batch.Length, LogLevel.Information);
        }
        return batch;
    }

    private static OtlpWriter Open(OtlpWriter writer)
    {
        writer.Open(new WriterContext(null, "Writers[0]", null, TimeProvider.System));
        return writer;
    }

    [Theory]
    [InlineData(OtlpProtocol.HttpProtobuf)]
    [InlineData(OtlpProtocol.HttpJson)]
    public async Task Records_of_a_request_are_grouped_into_one_ScopeLogs_per_category_in_order(OtlpProtocol protocol)
    {
        await using var collector = new Collector();
        await using var writer = Open(new OtlpWriter(collector.Endpoint) { Protocol = protocol });
        var batch = Batch(writer.Formatter!, ("A", 1), ("B", 2), ("A", 3), ("C", 4), ("B", 5), ("A", 6));
        await writer.WriteAsync(batch, CancellationToken.None);
        Assert.Null(collector.Failure);
        var request = Assert.Single(collector.Requests);
        var scopes = Assert.Single(request.Request.ResourceLogs).ScopeLogs;
        Assert.Equal(new[] { "A", "B", "C" }, scopes.Select(s => s.Scope.Name).ToArray());
        Assert.Equal(new[] { "Tick 1", "Tick 3", "Tick 6" }, scopes[0].LogRecords.Select(r => r.Body.StringValue).ToArray());
        Assert.Equal(new[] { "Tick 2", "Tick 5" }, scopes[1].LogRecords.Select(r => r.Body.StringValue).ToArray());
        Assert.Equal(new[] { "Tick 4" }, scopes[2].LogRecords.Select(r => r.Body.StringValue).ToArray());
    }

    [Fact]
    public async Task A_batch_is_split_at_BatchSize_and_a_retry_resumes_after_the_requests_already_answered()
    {
        await using var collector = new Collector { Respond = n => n == 1 ? new Answer(500) : Answer.Ok };
        await using var writer = Open(new OtlpWriter(collector.Endpoint) { BatchSize = 2 });
        var batch = Batch(writer.Formatter!, Enumerable.Range(0, 5).Select(i => ("A", i)).ToArray());
        // the second request fails: the stage would retry the same batch
        await Assert.ThrowsAsync<LogWriteException>(async () => await writer.WriteAsync(batch, CancellationToken.None));
        await writer.WriteAsync(batch, CancellationToken.None);
        var requests = collector.Requests.OrderBy(r => r.Index).ToList();
        Assert.Equal(new[] { 2, 2, 2, 1 }, requests.Select(r => r.RecordCount).ToArray());
        Assert.Equal(Enumerable.Range(0, 5).Select(i => $"Tick {i}"), collector.AcceptedRecords.Select(r => r.Body.StringValue)); // none twice
        Assert.Equal(3, writer.Requests);

        // a new batch starts from its first record
        var next = Batch(writer.Formatter!, ("A", 9));
        await writer.WriteAsync(next, CancellationToken.None);
        Assert.Equal("Tick 9", collector.Requests.OrderBy(r => r.Index).Last().Records.Single().Body.StringValue);
    }

    [Fact]
    public async Task BatchBytes_bounds_a_request_but_a_single_larger_record_is_sent_alone()
    {
        await using var collector = new Collector();
        await using var writer = Open(new OtlpWriter(collector.Endpoint) { BatchBytes = 1024 });
        var batch = Batch(writer.Formatter!, Enumerable.Range(0, 40).Select(i => ("Category.With.A.Long.Name." + new string('x', 40), i)).ToArray());
        await writer.WriteAsync(batch, CancellationToken.None);
        Assert.True(collector.Requests.Count > 1);
        Assert.All(collector.Requests, r => Assert.True(r.Body.Length < 1024 + 512, $"{r.Body.Length} bytes"));
        Assert.Equal(40, collector.AcceptedRecords.Count());
    }
}
