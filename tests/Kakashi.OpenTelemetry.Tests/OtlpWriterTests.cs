using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Reflection;
using System.Text;
using System.Text.Json;
using System.Threading.Tasks;
using Google.Protobuf;
using Microsoft.Extensions.Logging;
using Opentelemetry.Proto.Common.V1;
using Opentelemetry.Proto.Logs.V1;

using OtlpLogRecord = Opentelemetry.Proto.Logs.V1.LogRecord;

namespace Kakashi.OpenTelemetry.Tests;

/// <summary>
/// OtlpWriter against an in-test OTLP/HTTP collector that decodes every request with the classes protoc generated from the
/// official opentelemetry-proto schema (fetched from npm at build time): fields, types, protocols, batching, retries, partial
/// success, timeouts, isolation, and the books.
/// </summary>
public class OtlpWriterTests
{
    private const string Category = "Trading.Engine";

    private static AsyncPipeline Pipeline(OtlpWriter writer, Action<AsyncPipelineConfig>? configure = null, params LogWriter[] others)
    {
        var config = new AsyncPipelineConfig
        {
            MinLevel = LogLevel.Trace,
            Writers = [writer, .. others],
            FlushOnProcessExit = false,
        };
        configure?.Invoke(config);
        return new AsyncPipeline(config);
    }

    private static IEnumerable<OtlpLogRecord> Mine(Collector collector, string category = Category)
        => collector.Accepted.SelectMany(r => r.Request.ResourceLogs).SelectMany(r => r.ScopeLogs).Where(s => s.Scope.Name == category).SelectMany(s => s.LogRecords);

    private static Dictionary<string, AnyValue> Attributes(IEnumerable<KeyValue> attributes) => attributes.ToDictionary(a => a.Key, a => a.Value);

    /// <summary>OtlpLogRecord.event_name (field 12, proto v1.5) from the unknown fields the older generated class kept.</summary>
    private static string? EventName(OtlpLogRecord record)
    {
        var unknown = (UnknownFieldSet?)typeof(OtlpLogRecord).GetField("_unknownFields", BindingFlags.NonPublic | BindingFlags.Instance)!.GetValue(record);
        if (unknown is null) return null;
        var bytes = new System.IO.MemoryStream();
        var output = new CodedOutputStream(bytes);
        unknown.WriteTo(output);
        output.Flush();
        var input = new CodedInputStream(bytes.ToArray());
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            if (WireFormat.GetTagFieldNumber(tag) == 12) return input.ReadString();
            input.SkipLastField();
        }
        return null;
    }

    [Fact]
    public async Task Every_field_reaches_the_collector_with_its_protobuf_type()
    {
        await using var collector = new Collector();
        var writer = new OtlpWriter(collector.Endpoint)
        {
            ServiceName = "checkout",
            ServiceVersion = "1.2.3",
            ServiceInstanceId = "instance-7",
            ResourceAttributes = new Dictionary<string, string> { ["deployment.environment.name"] = "test" },
        };
        using var activity = new Activity("request").SetIdFormat(ActivityIdFormat.W3C);
        activity.ActivityTraceFlags = ActivityTraceFlags.Recorded;
        activity.Start();
        var when = new DateTime(2026, 12, 1, 10, 30, 0, DateTimeKind.Utc);
        var id = Guid.NewGuid();
        var error = new InvalidOperationException("boom");
        try
        {
            throw error;
        }
        catch (InvalidOperationException)
        {
        }
        var before = DateTime.UtcNow;
        await using (var pipeline = Pipeline(writer, c => c.Enrichers = [new ActivityEnricher(), new PropertiesEnricher(("Region", "eu-west")), new ThreadEnricher()]))
        {
            var logger = pipeline.CreateLogger(Category);
            logger.Order(42, 5_000_000_000L, 101.25, true, "Ana");
            logger.Typed(Side.Sell, when, id, null, 7, null);
            logger.Failed("settle", error);
            pipeline.CreateLogger("Other.Category").Constant();
            await pipeline.FlushAllAsync();
        }
        activity.Stop();
        Assert.Null(collector.Failure);
        var request = collector.Accepted.First();
        Assert.All(collector.Accepted, r => Assert.Equal("/v1/logs", r.Path));
        Assert.All(collector.Accepted, r => Assert.Equal("application/x-protobuf", r.ContentType));

        var resourceLogs = Assert.Single(request.Request.ResourceLogs);
        var resource = Attributes(resourceLogs.Resource.Attributes);
        Assert.Equal("checkout", resource["service.name"].StringValue);
        Assert.Equal("1.2.3", resource["service.version"].StringValue);
        Assert.Equal("instance-7", resource["service.instance.id"].StringValue);
        Assert.Equal(Environment.MachineName, resource["host.name"].StringValue);
        Assert.Equal(Environment.ProcessId, resource["process.pid"].IntValue);
        Assert.Equal("kakashi", resource["telemetry.sdk.name"].StringValue);
        Assert.Equal("dotnet", resource["telemetry.sdk.language"].StringValue);
        Assert.False(string.IsNullOrEmpty(resource["telemetry.sdk.version"].StringValue));
        Assert.Equal("test", resource["deployment.environment.name"].StringValue);

        // the category as the scope's name (the OpenTelemetry .NET SDK's mapping; grouping: WriterFramingTests)
        var records = Mine(collector).ToList();
        Assert.Equal(3, records.Count);
        var traceId = new byte[16];
        var spanId = new byte[8];
        activity.TraceId.CopyTo(traceId);
        activity.SpanId.CopyTo(spanId);

        var order = records[0];
        Assert.Equal(SeverityNumber.Info, order.SeverityNumber);
        Assert.Equal("Information", order.SeverityText);
        Assert.Equal("Order 42 of 5000000000 at 101.25 filled=True by Ana", order.Body.StringValue);
        var nanos = (long)order.TimeUnixNano;
        long beforeNanos = (before.Ticks - DateTime.UnixEpoch.Ticks) * 100;
        Assert.InRange(nanos, beforeNanos - 1_000_000_000L, beforeNanos + 60_000_000_000L);
        Assert.True(order.ObservedTimeUnixNano >= order.TimeUnixNano);
        var a = Attributes(order.Attributes);
        Assert.Equal(AnyValue.ValueOneofCase.IntValue, a["OrderId"].ValueCase);
        Assert.Equal(42, a["OrderId"].IntValue);
        Assert.Equal(5_000_000_000L, a["Quantity"].IntValue);
        Assert.Equal(AnyValue.ValueOneofCase.DoubleValue, a["Price"].ValueCase);
        Assert.Equal(101.25, a["Price"].DoubleValue);
        Assert.Equal(AnyValue.ValueOneofCase.BoolValue, a["Filled"].ValueCase);
        Assert.True(a["Filled"].BoolValue);
        Assert.Equal("Ana", a["Trader"].StringValue);
        Assert.Equal("Order {OrderId} of {Quantity} at {Price} filled={Filled} by {Trader}", a["message_template.text"].StringValue);
        Assert.Equal(1001, a["logrecord.event.id"].IntValue);
        Assert.Equal("eu-west", a["Region"].StringValue);
        Assert.Equal(AnyValue.ValueOneofCase.IntValue, a["ThreadId"].ValueCase); // an enricher's number keeps its type
        Assert.False(a.ContainsKey("TraceId")); // the ids go to trace_id/span_id, not attributes
        Assert.Equal("OrderFilled", EventName(order));
        Assert.Equal(traceId, order.TraceId.ToByteArray());
        Assert.Equal(spanId, order.SpanId.ToByteArray());
        Assert.Equal(1u, order.Flags);

        var typed = records[1];
        Assert.Equal(SeverityNumber.Warn, typed.SeverityNumber);
        Assert.Equal("Warning", typed.SeverityText);
        var t = Attributes(typed.Attributes);
        Assert.Equal("Sell", t["Side"].StringValue);
        Assert.Equal("2026-12-01T10:30:00.0000000Z", t["When"].StringValue);
        Assert.Equal(id.ToString("D"), t["Id"].StringValue);
        Assert.Equal(AnyValue.ValueOneofCase.None, t["Maybe"].ValueCase); // null: an empty AnyValue
        Assert.Equal(AnyValue.ValueOneofCase.None, t["Nothing"].ValueCase);
        Assert.Equal(7, t["Count"].IntValue);
        Assert.False(t.ContainsKey("logrecord.event.id")); // no event id given
        Assert.Equal("Typed", EventName(typed)); // the method's name when the attribute gives none

        var failed = records[2];
        Assert.Equal(SeverityNumber.Error, failed.SeverityNumber);
        var f = Attributes(failed.Attributes);
        Assert.Equal("System.InvalidOperationException", f["exception.type"].StringValue);
        Assert.Equal("boom", f["exception.message"].StringValue);
        Assert.Contains("Every_field_reaches_the_collector", f["exception.stacktrace"].StringValue);
        Assert.Equal("settle", f["Operation"].StringValue);

        var constant = Assert.Single(Mine(collector, "Other.Category"));
        Assert.Equal("Constant message", constant.Body.StringValue);
        Assert.Equal(collector.Accepted.Count(), writer.Requests);
    }

    [Fact]
    public async Task Levels_map_to_the_otlp_severity_numbers()
    {
        await using var collector = new Collector();
        var writer = new OtlpWriter(collector.Endpoint);
        await using (var pipeline = Pipeline(writer))
        {
            var logger = pipeline.CreateLogger(Category);
            foreach (var level in new[] { LogLevel.Trace, LogLevel.Debug, LogLevel.Information, LogLevel.Warning, LogLevel.Error, LogLevel.Critical }) logger.AtLevel(level, (int)level);
            await pipeline.FlushAllAsync();
        }
        var records = Mine(collector).ToList();
        Assert.Equal(new[] { 1, 5, 9, 13, 17, 21 }, records.Select(r => (int)r.SeverityNumber).ToArray());
        Assert.Equal(new[] { "Trace", "Debug", "Information", "Warning", "Error", "Critical" }, records.Select(r => r.SeverityText).ToArray());
    }

    [Fact]
    public async Task Json_protocol_carries_the_same_fields_in_the_otlp_json_mapping()
    {
        await using var collector = new Collector();
        var writer = new OtlpWriter(collector.Endpoint) { Protocol = OtlpProtocol.HttpJson, ServiceName = "json-svc" };
        using var activity = new Activity("request").SetIdFormat(ActivityIdFormat.W3C).Start();
        var id = Guid.NewGuid();
        await using (var pipeline = Pipeline(writer, c => c.Enrichers = [new ActivityEnricher()]))
        {
            var logger = pipeline.CreateLogger(Category);
            logger.Order(42, 5_000_000_000L, 101.25, true, "A \"quoted\"\nname");
            logger.Typed(Side.Buy, DateTime.UnixEpoch, id, 3, 7, null);
            await pipeline.FlushAllAsync();
        }
        activity.Stop();
        Assert.Null(collector.Failure);
        var request = collector.Accepted.OrderBy(r => r.Index).First();
        Assert.All(collector.Accepted, r => Assert.Equal("application/json", r.ContentType));
        Assert.Equal("json-svc", request.Request.ResourceLogs[0].Resource.Attributes.Single(a => a.Key == "service.name").Value.StringValue);
        var records = Mine(collector).ToList();
        Assert.Equal(2, records.Count);
        var a = Attributes(records[0].Attributes);
        Assert.Equal("Order 42 of 5000000000 at 101.25 filled=True by A \"quoted\"\nname", records[0].Body.StringValue);
        Assert.Equal(5_000_000_000L, a["Quantity"].IntValue);
        Assert.Equal(101.25, a["Price"].DoubleValue);
        Assert.True(a["Filled"].BoolValue);
        Assert.Equal(SeverityNumber.Info, records[0].SeverityNumber);
        // (Google's JsonParser reads bytes fields as base64, the proto3 JSON rule OTLP departs from: the hex ids are checked below)
        var t = Attributes(records[1].Attributes);
        Assert.Equal(3, t["Maybe"].IntValue);
        Assert.Equal(AnyValue.ValueOneofCase.None, t["Nothing"].ValueCase);
        Assert.Equal(id.ToString("D"), t["Id"].StringValue);

        // what the older schema does not know, read from the JSON itself: the OTLP JSON mapping's names and forms
        using var json = JsonDocument.Parse(request.Body);
        var record = json.RootElement.GetProperty("resourceLogs")[0].GetProperty("scopeLogs")[0].GetProperty("logRecords")[0];
        Assert.Equal("OrderFilled", record.GetProperty("eventName").GetString());
        Assert.Equal(JsonValueKind.String, record.GetProperty("timeUnixNano").ValueKind); // 64-bit integers as strings
        Assert.Equal(JsonValueKind.Number, record.GetProperty("severityNumber").ValueKind); // enums as integers
        Assert.Equal(activity.TraceId.ToHexString(), record.GetProperty("traceId").GetString()); // ids as hex
        Assert.Equal(activity.SpanId.ToHexString(), record.GetProperty("spanId").GetString());
    }

    [Fact]
    public async Task Gzip_and_headers_reach_the_collector()
    {
        await using var collector = new Collector();
        var writer = new OtlpWriter(collector.Endpoint)
        {
            Compression = OtlpCompression.Gzip,
            Headers = new Dictionary<string, string> { ["api-key"] = "s3cret", ["X-Tenant"] = "blue" },
        };
        await using (var pipeline = Pipeline(writer))
        {
            var logger = pipeline.CreateLogger(Category);
            for (int i = 0; i < 50; i++) logger.Tick(i);
            await pipeline.FlushAllAsync();
        }
        Assert.Null(collector.Failure);
        Assert.All(collector.Requests, r =>
        {
            Assert.Equal("gzip", r.ContentEncoding);
            Assert.Equal("s3cret", r.Headers["api-key"]);
            Assert.Equal("blue", r.Headers["X-Tenant"]);
        });
        Assert.Equal(Enumerable.Range(0, 50).Select(i => $"Tick {i}"), Mine(collector).Select(r => r.Body.StringValue));
    }

    [Fact]
    public async Task A_batch_larger_than_BatchSize_is_split_into_requests_in_order()
    {
        await using var collector = new Collector();
        var writer = new OtlpWriter(collector.Endpoint) { BatchSize = 10 };
        await using (var pipeline = Pipeline(writer))
        {
            var logger = pipeline.CreateLogger(Category);
            for (int i = 0; i < 95; i++) logger.Tick(i);
            await pipeline.FlushAllAsync();
            var metrics = pipeline.GetMetrics().Writers[0];
            Assert.Equal(95, metrics.Written);
            Wait.AssertBooks(metrics);
        }
        Assert.All(collector.Requests, r => Assert.InRange(r.RecordCount, 1, 10));
        Assert.True(collector.Requests.Count >= 10);
        Assert.Equal(Enumerable.Range(0, 95).Select(i => $"Tick {i}"), Mine(collector).Select(r => r.Body.StringValue));
    }

    [Fact]
    public void Batching_asks_the_stage_for_the_configured_request_limits()
    {
        var writer = new OtlpWriter("http://127.0.0.1:4318") { BatchSize = 100, BatchBytes = 64 * 1024, FlushInterval = TimeSpan.FromMilliseconds(250) };
        Assert.Equal(new BatchingOptions(100, 64 * 1024, TimeSpan.FromMilliseconds(250)), writer.Batching);
        Assert.Equal(new BatchingOptions(512, 4 * 1024 * 1024, TimeSpan.FromSeconds(1)), new OtlpWriter("http://x:1").Batching);
    }

    [Fact]
    public async Task A_500_then_200_is_retried_once_and_delivered_once()
    {
        await using var collector = new Collector { Respond = n => n == 0 ? new Answer(500) : Answer.Ok };
        var writer = new OtlpWriter(collector.Endpoint) { Retry = new RetryOptions { MaxRetries = 3, InitialDelay = TimeSpan.FromMilliseconds(20), Jitter = false } };
        await using var pipeline = Pipeline(writer);
        var logger = pipeline.CreateLogger(Category);
        for (int i = 0; i < 5; i++) logger.Tick(i);
        await pipeline.FlushAllAsync();
        await Wait.Until(() => pipeline.GetMetrics().Writers[0].Written == 5, what: "written");
        var metrics = pipeline.GetMetrics().Writers[0];
        Assert.Equal(1, metrics.Retries);
        Assert.Equal(0, metrics.Failed);
        Wait.AssertBooks(metrics);
        Assert.Single(collector.Requests, r => r.Status == 500);
        Assert.Equal(collector.Accepted.Count() + 1, collector.Requests.Count);
        Assert.Equal(Enumerable.Range(0, 5).Select(i => $"Tick {i}"), Mine(collector).Select(r => r.Body.StringValue)); // accepted once each
    }

    [Theory]
    [InlineData(400)]
    [InlineData(401)]
    [InlineData(403)]
    [InlineData(404)]
    [InlineData(413)]
    public async Task A_permanent_error_is_not_retried_and_counts_the_records_failed(int status)
    {
        await using var collector = new Collector { Respond = _ => new Answer(status) };
        var writer = new OtlpWriter(collector.Endpoint) { Retry = new RetryOptions { MaxRetries = 3, InitialDelay = TimeSpan.FromMilliseconds(10) } };
        await using var pipeline = Pipeline(writer);
        var logger = pipeline.CreateLogger(Category);
        for (int i = 0; i < 3; i++) logger.Tick(i);
        await Wait.Until(() => pipeline.GetMetrics().Writers[0].Failed == 3, what: "failed");
        var metrics = pipeline.GetMetrics().Writers[0];
        Assert.Equal(0, metrics.Retries);
        Assert.Equal(0, metrics.Written);
        Wait.AssertBooks(metrics);
        // each record was sent once (the drain may hand them over in one batch or several)
        Assert.Equal(new[] { "Tick 0", "Tick 1", "Tick 2" }, collector.Requests.OrderBy(r => r.Index).SelectMany(r => r.Records).Select(r => r.Body.StringValue).ToArray());
    }

    [Fact]
    public async Task Retry_After_of_a_429_is_honoured()
    {
        await using var collector = new Collector { Respond = n => n == 0 ? new Answer(429, RetryAfter: "1") : Answer.Ok };
        var writer = new OtlpWriter(collector.Endpoint) { Retry = new RetryOptions { MaxRetries = 2, InitialDelay = TimeSpan.FromMilliseconds(10), Jitter = false } };
        await using var pipeline = Pipeline(writer);
        pipeline.CreateLogger(Category).Tick(1);
        await Wait.Until(() => pipeline.GetMetrics().Writers[0].Written == 1, what: "written");
        var requests = collector.Requests.OrderBy(r => r.Index).ToList();
        Assert.Equal(2, requests.Count);
        var gap = requests[1].At - requests[0].At;
        Assert.InRange(gap, TimeSpan.FromMilliseconds(900), TimeSpan.FromSeconds(20)); // the 10 ms backoff was replaced by the collector's 1 s
    }

    [Fact]
    public async Task A_503_without_Retry_After_and_a_connection_refused_are_retried()
    {
        int port = Collector.FreeTcpPort();
        var writer = new OtlpWriter($"http://127.0.0.1:{port}") { Retry = new RetryOptions { MaxRetries = 50, InitialDelay = TimeSpan.FromMilliseconds(50), MaxDelay = TimeSpan.FromMilliseconds(200) } };
        await using var pipeline = Pipeline(writer); // the collector is down: the pipeline still starts
        var logger = pipeline.CreateLogger(Category);
        for (int i = 0; i < 4; i++) logger.Tick(i);
        await Wait.Until(() => pipeline.GetMetrics().Writers[0].Retries >= 2, what: "retries while down");
        await using var collector = new Collector(port) { Respond = n => n == 0 ? new Answer(503) : Answer.Ok };
        await Wait.Until(() => pipeline.GetMetrics().Writers[0].Written == 4, what: "written after the collector came up");
        var metrics = pipeline.GetMetrics().Writers[0];
        Assert.Equal(0, metrics.Failed);
        Wait.AssertBooks(metrics);
        Assert.Equal(Enumerable.Range(0, 4).Select(i => $"Tick {i}"), Mine(collector).Select(r => r.Body.StringValue));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Partial_success_counts_the_rejected_records_failed(bool json)
    {
        await using var collector = new Collector
        {
            Respond = n => n == 0 ? (json ? Answer.PartialJson(2, "two too old") : Answer.Partial(2, "two too old")) : Answer.Ok,
        };
        var writer = new OtlpWriter(collector.Endpoint) { Protocol = json ? OtlpProtocol.HttpJson : OtlpProtocol.HttpProtobuf };
        var memory = new InMemoryWriter();
        await using var pipeline = Pipeline(writer, null, memory);
        var logger = pipeline.CreateLogger(Category);
        for (int i = 0; i < 5; i++) logger.Tick(i);
        await pipeline.FlushAllAsync();
        // the first request is answered with "2 rejected" (fewer when the drain handed over a smaller first batch)
        int first = collector.Requests.Single(r => r.Index == 0).RecordCount;
        int rejected = Math.Min(2, first);
        await Wait.Until(() => pipeline.GetMetrics().Writers[0].Failed == rejected, what: "failed");
        var metrics = pipeline.GetMetrics().Writers[0];
        Assert.Equal(5 - rejected, metrics.Written);
        Assert.Equal(0, metrics.Retries); // rejected records are not sent again
        Wait.AssertBooks(metrics);
        Assert.Equal(rejected, writer.RejectedRecords);
        Assert.Equal("two too old", writer.LastRejection);
        Assert.Equal(5, collector.Requests.Sum(r => r.RecordCount));
        // reported like a failed write: an error record reaches the other writer
        await Wait.Until(() => memory.Records.Any(r => r.IsInternal && r.Text.Contains($"rejected {rejected} of the {first}", StringComparison.Ordinal)), what: "report");
    }

    [Fact]
    public async Task A_hanging_collector_times_out_opens_the_breaker_and_the_other_writer_keeps_writing()
    {
        await using var collector = new Collector { Respond = _ => new Answer(200, Hang: true) };
        var writer = new OtlpWriter(collector.Endpoint)
        {
            WriteTimeout = TimeSpan.FromMilliseconds(200),
            Retry = new RetryOptions { MaxRetries = 0 },
            CircuitBreaker = new CircuitBreakerOptions { FailureThreshold = 2, BreakDuration = TimeSpan.FromSeconds(60) },
        };
        var memory = new InMemoryWriter();
        await using var pipeline = Pipeline(writer, null, memory);
        var logger = pipeline.CreateLogger(Category);
        var clock = Stopwatch.StartNew();
        int logged = 0;
        while (pipeline.GetMetrics().Writers[0].BreakerState != BreakerState.Open)
        {
            var call = Stopwatch.StartNew();
            logger.Tick(logged++);
            Assert.True(call.Elapsed < TimeSpan.FromSeconds(1), "a caller was held by the hung collector");
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), "the breaker never opened");
            await Task.Delay(50);
        }
        for (int i = 0; i < 20; i++) logger.Tick(logged++);
        await pipeline.FlushAllAsync().WaitAsync(TimeSpan.FromSeconds(20));
        await Wait.Until(() => memory.Lines.Count == logged, what: "the other writer has every record");
        var metrics = pipeline.GetMetrics();
        Assert.True(metrics.Writers[0].Failed + metrics.Writers[0].Dropped > 0);
        Assert.Equal(0, metrics.Writers[1].Failed);
        Wait.AssertBooks(metrics.Writers[0]);
        Wait.AssertBooks(metrics.Writers[1]);
        Assert.True(collector.Requests.Count >= 2);
    }

    [Fact]
    public void The_endpoint_rules_are_the_opentelemetry_sdks()
    {
        Assert.Equal("http://collector:4318/v1/logs", new OtlpWriter("http://collector:4318").Endpoint);
        Assert.Equal("http://collector:4318/v1/logs", new OtlpWriter("http://collector:4318/").Endpoint);
        Assert.Equal("https://ingest.example/otlp/v1/logs", new OtlpWriter("https://ingest.example/otlp/v1/logs").Endpoint);
        Assert.Equal("https://ingest.example/custom", new OtlpWriter("https://ingest.example/custom").Endpoint);
    }

    [Fact]
    public async Task The_OTEL_environment_variables_give_the_defaults()
    {
        await using var collector = new Collector();
        (string, string?)[] variables =
        [
            ("OTEL_EXPORTER_OTLP_ENDPOINT", collector.Endpoint + "/"),
            ("OTEL_EXPORTER_OTLP_HEADERS", "x-from-env=a%20b,api-key=env-key"),
            ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json"),
            ("OTEL_EXPORTER_OTLP_COMPRESSION", "gzip"),
            ("OTEL_SERVICE_NAME", "env-service"),
            ("OTEL_RESOURCE_ATTRIBUTES", "deployment.environment.name=staging,service.namespace=shop"),
        ];
        var saved = variables.Select(v => (v.Item1, Environment.GetEnvironmentVariable(v.Item1))).ToArray();
        try
        {
            foreach (var (name, value) in variables) Environment.SetEnvironmentVariable(name, value);
            var writer = new OtlpWriter { Headers = new Dictionary<string, string> { ["api-key"] = "explicit" } };
            Assert.Equal(collector.Endpoint + "/v1/logs", writer.Endpoint);
            Assert.Equal(OtlpProtocol.HttpJson, writer.Protocol);
            Assert.IsType<OtlpJsonFormatter>(writer.Formatter);
            Assert.Equal(OtlpCompression.Gzip, writer.Compression);
            await using (var pipeline = Pipeline(writer))
            {
                pipeline.CreateLogger(Category).Tick(1);
                await pipeline.FlushAllAsync();
            }
            Environment.SetEnvironmentVariable("OTEL_EXPORTER_OTLP_LOGS_ENDPOINT", "http://logs.example/custom/path");
            Assert.Equal("http://logs.example/custom/path", new OtlpWriter().Endpoint); // the logs variable is used as it is
        }
        finally
        {
            foreach (var (name, value) in saved) Environment.SetEnvironmentVariable(name, value);
            Environment.SetEnvironmentVariable("OTEL_EXPORTER_OTLP_LOGS_ENDPOINT", null);
        }
        var request = Assert.Single(collector.Accepted);
        Assert.Equal("gzip", request.ContentEncoding);
        Assert.StartsWith("application/json", request.ContentType);
        Assert.Equal("a b", request.Headers["x-from-env"]);
        Assert.Equal("explicit", request.Headers["api-key"]); // the option wins over the variable
        var resource = Attributes(request.Request.ResourceLogs[0].Resource.Attributes);
        Assert.Equal("env-service", resource["service.name"].StringValue);
        Assert.Equal("staging", resource["deployment.environment.name"].StringValue);
        Assert.Equal("shop", resource["service.namespace"].StringValue);
    }

    [Fact]
    public void Bad_options_are_rejected_at_setup_with_their_name()
    {
        static string? Param(Func<OtlpWriter> make)
        {
            var e = Assert.ThrowsAny<ArgumentException>(() => new AsyncPipeline(new AsyncPipelineConfig { Writers = [make()], FlushOnProcessExit = false }));
            return e.ParamName;
        }
        Assert.Equal("Writers[0].Endpoint", Param(() => new OtlpWriter("ftp://x/")));
        Assert.Equal("Writers[0].Endpoint", Param(() => new OtlpWriter("not a url")));
        Assert.Equal("Writers[0].BatchSize", Param(() => new OtlpWriter("http://x:1") { BatchSize = 0 }));
        Assert.Equal("Writers[0].BatchBytes", Param(() => new OtlpWriter("http://x:1") { BatchBytes = 10 }));
        Assert.Equal("Writers[0].Formatter", Param(() => new OtlpWriter("http://x:1") { Formatter = new JsonFormatter() }));
        Assert.Equal("Writers[0].Headers", Param(() => new OtlpWriter("http://x:1") { Headers = new Dictionary<string, string> { ["bad name"] = "v" } }));
    }

    [Fact]
    public void Partial_success_answers_are_read_in_both_encodings()
    {
        Assert.Equal((2L, "two too old"), OtlpWriter.ParsePartialProto(Answer.Partial(2, "two too old").Body));
        Assert.Equal((0L, (string?)null), OtlpWriter.ParsePartialProto([]));
        Assert.Equal((5L, "x"), OtlpWriter.ParsePartialJson(Encoding.UTF8.GetBytes("{\"partialSuccess\":{\"rejectedLogRecords\":\"5\",\"errorMessage\":\"x\"}}")));
        Assert.Equal((5L, (string?)null), OtlpWriter.ParsePartialJson(Encoding.UTF8.GetBytes("{\"partialSuccess\":{\"rejectedLogRecords\":5}}")));
        Assert.Equal((0L, (string?)null), OtlpWriter.ParsePartialJson(Encoding.UTF8.GetBytes("{}")));
    }
}
