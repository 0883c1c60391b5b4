using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Text;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using Confluent.Kafka;
using Kakashi;
using Xunit.Abstractions;

namespace Kakashi.Kafka.Tests;

/// <summary>AsyncKafkaWriter against librdkafka's mock cluster (real Kafka-protocol brokers on loopback, see KafkaMockCluster).</summary>
public sealed class KafkaMockClusterTests(ITestOutputHelper output)
{
    [Fact]
    public async Task KafkaMockCluster_records_arrive_with_value_key_headers_in_order()
    {
        using var cluster = new KafkaMockCluster();
        cluster.CreateTopic("logs", partitions: 3);
        var writer = new AsyncKafkaWriter(cluster.BootstrapServers, "logs") { Key = KafkaKey.Category };
        var pipeline = new AsyncPipeline(new AsyncPipelineConfig { Writers = [writer], FlushOnProcessExit = false });
        var a = pipeline.CreateLogger("Shop.Orders");
        var b = pipeline.CreateLogger("Shop.Billing");
        for (int i = 0; i < 200; i++) (i % 2 == 0 ? a : b).OrderFilled(i, i + 0.5);
        await KafkaTestHelpers.WaitUntil(describe: () => KafkaTestHelpers.Describe(pipeline.GetMetrics().Writers[0]), condition: () => pipeline.GetMetrics().Writers[0].Written == 200);
        var messages = await KafkaTestHelpers.ConsumeAsync(cluster.BootstrapServers, "logs", 200);
        await pipeline.DisposeAsync();

        Assert.Equal(200, messages.Count);
        foreach (var group in messages.GroupBy(m => Encoding.UTF8.GetString(m.Message.Key)))
        {
            Assert.Single(group.Select(m => m.Partition.Value).Distinct()); // one key, one partition
            var ids = group.OrderBy(m => m.Offset.Value).Select(OrderId).ToList();
            Assert.Equal(100, ids.Count);
            Assert.Equal(ids.OrderBy(x => x), ids); // in order per partition
            Assert.All(ids, id => Assert.Equal(group.Key == "Shop.Orders" ? 0 : 1, id % 2));
        }
        var first = messages.First(m => OrderId(m) == 0);
        var json = JsonDocument.Parse(first.Message.Value).RootElement;
        Assert.Equal("Order 0 filled at 0.5", json.GetProperty("Message").GetString());
        Assert.Equal("Information", json.GetProperty("Level").GetString());
        Assert.NotEqual((byte)'\n', first.Message.Value[^1]);
        Assert.Equal("Information", Header(first, "level"));
        Assert.Equal("1001", Header(first, "event.id"));
        Assert.Equal("OrderFilled", Header(first, "event.name"));
        Assert.Equal("Shop.Orders", Header(first, "category"));
        Assert.Equal(TimestampType.CreateTime, first.Message.Timestamp.Type);
        Assert.InRange(first.Message.Timestamp.UtcDateTime, DateTime.UtcNow.AddMinutes(-5), DateTime.UtcNow.AddMinutes(1));
        var w = pipeline.GetMetrics().Writers[0];
        Assert.Equal(200, w.Written);
        Assert.Equal(0, w.Failed);
        KafkaTestHelpers.AssertBooks(w);
    }

    [Fact]
    public async Task KafkaMockCluster_property_key_and_custom_value_formatter()
    {
        using var cluster = new KafkaMockCluster();
        cluster.CreateTopic("orders", partitions: 2);
        var writer = new AsyncKafkaWriter(cluster.BootstrapServers, "orders")
        {
            Key = KafkaKey.Property("OrderId"),
            ValueFormatter = new TextFormatter("{Level}: {Message}{NewLine}"),
            Headers = KafkaHeaders.Level,
            Compression = CompressionType.None,
        };
        var pipeline = new AsyncPipeline(new AsyncPipelineConfig { Writers = [writer], FlushOnProcessExit = false });
        var logger = pipeline.CreateLogger("Shop");
        for (int i = 0; i < 20; i++) logger.OrderFilled(i, 1.25);
        await KafkaTestHelpers.WaitUntil(describe: () => KafkaTestHelpers.Describe(pipeline.GetMetrics().Writers[0]), condition: () => pipeline.GetMetrics().Writers[0].Written == 20);
        var messages = await KafkaTestHelpers.ConsumeAsync(cluster.BootstrapServers, "orders", 20);
        await pipeline.DisposeAsync();

        Assert.Equal(20, messages.Count);
        var byKey = messages.ToDictionary(m => Encoding.UTF8.GetString(m.Message.Key), m => Encoding.UTF8.GetString(m.Message.Value));
        Assert.Equal("Information: Order 7 filled at 1.25", byKey["7"]); // no line feed, no trailer
        Assert.All(messages, m => Assert.Single(m.Message.Headers));
    }

    [Fact]
    public async Task KafkaMockCluster_brokers_down_for_a_while_and_produce_errors_lose_nothing_and_duplicate_nothing()
    {
        using var cluster = new KafkaMockCluster();
        cluster.CreateTopic("logs", partitions: 3);
        var writer = new AsyncKafkaWriter(cluster.BootstrapServers, "logs");
        var memory = new InMemoryWriter();
        var pipeline = new AsyncPipeline(new AsyncPipelineConfig { Writers = [writer, memory], FlushOnProcessExit = false });
        var logger = pipeline.CreateLogger("App");
        for (int i = 0; i < 50; i++) logger.OrderFilled(i, 0);
        await KafkaTestHelpers.WaitUntil(describe: () => KafkaTestHelpers.Describe(pipeline.GetMetrics().Writers[0]), condition: () => pipeline.GetMetrics().Writers[0].Written == 50);

        // every broker down (connections cut, refused): librdkafka retries inside the write attempt
        cluster.SetBrokerDown(-1);
        for (int i = 50; i < 150; i++) logger.OrderFilled(i, 0);
        await KafkaTestHelpers.WaitUntil(() => memory.Lines.Count == 150); // the other writer is not held up
        await Task.Delay(1500); // the fault lasts a while
        Assert.Equal(50, pipeline.GetMetrics().Writers[0].Written);
        cluster.SetBrokerUp(-1);
        await KafkaTestHelpers.WaitUntil(describe: () => KafkaTestHelpers.Describe(pipeline.GetMetrics().Writers[0]), condition: () => pipeline.GetMetrics().Writers[0].Written == 150);

        // produce requests failing (not leader, timed out, connection cut): retried by the idempotent producer
        cluster.PushRequestErrors(KafkaMockCluster.ProduceRequest, ErrorCode.NotLeaderForPartition, ErrorCode.RequestTimedOut, ErrorCode.Local_Transport, ErrorCode.NotEnoughReplicas);
        for (int i = 150; i < 300; i++) logger.OrderFilled(i, 0);
        await KafkaTestHelpers.WaitUntil(describe: () => KafkaTestHelpers.Describe(pipeline.GetMetrics().Writers[0]), condition: () => pipeline.GetMetrics().Writers[0].Written == 300);

        var messages = await KafkaTestHelpers.ConsumeAsync(cluster.BootstrapServers, "logs", 300);
        await pipeline.DisposeAsync();
        var ids = messages.Select(OrderId).ToList();
        Assert.Equal(300, ids.Count); // delivered once each
        Assert.Equal(Enumerable.Range(0, 300), ids.OrderBy(x => x));
        foreach (var partition in messages.GroupBy(m => m.Partition.Value))
        {
            var inPartition = partition.OrderBy(m => m.Offset.Value).Select(OrderId).ToList();
            Assert.Equal(inPartition.OrderBy(x => x), inPartition); // librdkafka's retries kept the order
        }
        var w = pipeline.GetMetrics().Writers[0];
        Assert.Equal(300, w.Written);
        Assert.Equal(0, w.Failed);
        KafkaTestHelpers.AssertBooks(w);
    }

    [Fact]
    public async Task KafkaMockCluster_a_record_too_large_fails_alone_and_is_reported()
    {
        using var cluster = new KafkaMockCluster();
        cluster.CreateTopic("logs", partitions: 1);
        var writer = new AsyncKafkaWriter(cluster.BootstrapServers, "logs")
        {
            Configure = c => c.MessageMaxBytes = 4096,
            BatchSize = 4096,
        };
        var memory = new InMemoryWriter();
        var pipeline = new AsyncPipeline(new AsyncPipelineConfig { Writers = [writer, memory], FlushOnProcessExit = false });
        var logger = pipeline.CreateLogger("App");
        for (int i = 0; i < 10; i++) logger.Payload(i, i == 4 ? new string('x', 10_000) : "small");
        await KafkaTestHelpers.WaitUntil(describe: () => KafkaTestHelpers.Describe(pipeline.GetMetrics().Writers[0]), condition: () => pipeline.GetMetrics().Writers[0] is { Queued: 0 } w && w.Written + w.Failed == 10);
        var w = pipeline.GetMetrics().Writers[0];
        Assert.Equal(9, w.Written);
        Assert.Equal(1, w.Failed);
        KafkaTestHelpers.AssertBooks(w);
        await KafkaTestHelpers.WaitUntil(() => memory.Records.Any(r => r.IsInternal && r.Text.Contains("MsgSizeTooLarge", StringComparison.Ordinal)));
        for (int i = 10; i < 20; i++) logger.Payload(i, "after"); // the writer keeps going
        await KafkaTestHelpers.WaitUntil(describe: () => KafkaTestHelpers.Describe(pipeline.GetMetrics().Writers[0]), condition: () => pipeline.GetMetrics().Writers[0].Written == 19);
        var messages = await KafkaTestHelpers.ConsumeAsync(cluster.BootstrapServers, "logs", 19);
        await pipeline.DisposeAsync();
        Assert.Equal(19, messages.Count);
        Assert.DoesNotContain(messages, m => Seq(m) == 4);
    }

    [Fact]
    public async Task KafkaMockCluster_topic_authorization_failed_fails_the_batch_without_retries_and_the_writer_goes_on()
    {
        using var cluster = new KafkaMockCluster();
        cluster.CreateTopic("logs", partitions: 1);
        var writer = new AsyncKafkaWriter(cluster.BootstrapServers, "logs");
        var memory = new InMemoryWriter();
        var pipeline = new AsyncPipeline(new AsyncPipelineConfig { Writers = [writer, memory], FlushOnProcessExit = false });
        var logger = pipeline.CreateLogger("App");
        logger.Payload(0, "warm");
        await KafkaTestHelpers.WaitUntil(describe: () => KafkaTestHelpers.Describe(pipeline.GetMetrics().Writers[0]), condition: () => pipeline.GetMetrics().Writers[0].Written == 1);
        cluster.PushRequestErrors(KafkaMockCluster.ProduceRequest, ErrorCode.TopicAuthorizationFailed);
        logger.Payload(1, "refused");
        await KafkaTestHelpers.WaitUntil(describe: () => KafkaTestHelpers.Describe(pipeline.GetMetrics().Writers[0]), condition: () => pipeline.GetMetrics().Writers[0].Failed == 1);
        var w = pipeline.GetMetrics().Writers[0];
        Assert.Equal(0, w.Retries); // retrying cannot fix it
        KafkaTestHelpers.AssertBooks(w);
        await KafkaTestHelpers.WaitUntil(() => memory.Records.Any(r => r.IsInternal && r.Text.Contains("TopicAuthorizationFailed", StringComparison.Ordinal)));
        // librdkafka may keep failing the topic locally until its metadata is refreshed: log until records go through again
        int seq = 2;
        var clock = Stopwatch.StartNew();
        while (pipeline.GetMetrics().Writers[0].Written < 11)
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), KafkaTestHelpers.Describe(pipeline.GetMetrics().Writers[0]));
            logger.Payload(seq++, "after");
            await KafkaTestHelpers.WaitUntil(() => pipeline.GetMetrics().Writers[0] is { Queued: 0 } m && m.Written + m.Failed == seq);
        }
        var after = pipeline.GetMetrics().Writers[0];
        Assert.Equal(0, after.Retries);
        var messages = await KafkaTestHelpers.ConsumeAsync(cluster.BootstrapServers, "logs", (int)after.Written);
        await pipeline.DisposeAsync();
        var seqs = messages.Select(Seq).ToList();
        Assert.Equal(after.Written, seqs.Count); // exactly the written ones: a refused record never reached the topic
        Assert.DoesNotContain(1, seqs);
        Assert.Equal(seqs.Distinct().Count(), seqs.Count);
        KafkaTestHelpers.AssertBooks(pipeline.GetMetrics().Writers[0]);
    }

    [Fact]
    public async Task KafkaMockCluster_down_longer_than_the_timeout_fails_per_the_stage_and_the_books_balance()
    {
        using var cluster = new KafkaMockCluster();
        cluster.CreateTopic("logs", partitions: 3);
        cluster.SetBrokerDown(-1); // down before the logger starts: building the pipeline must not fail
        var writer = new AsyncKafkaWriter(cluster.BootstrapServers, "logs")
        {
            WriteTimeout = TimeSpan.FromSeconds(2),
            Retry = new RetryOptions { MaxRetries = 1, InitialDelay = TimeSpan.FromMilliseconds(50) },
            CircuitBreaker = new CircuitBreakerOptions { FailureThreshold = 2, BreakDuration = TimeSpan.FromSeconds(1) },
            Configure = c => c.ReconnectBackoffMaxMs = 500,
        };
        var memory = new InMemoryWriter();
        var pipeline = new AsyncPipeline(new AsyncPipelineConfig { Writers = [writer, memory], FlushOnProcessExit = false });
        var logger = pipeline.CreateLogger("App");
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < 50; i++) logger.OrderFilled(i, 0);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1), $"50 calls took {clock.Elapsed}"); // callers are not slowed
        await KafkaTestHelpers.WaitUntil(() => memory.Lines.Count == 50);
        await KafkaTestHelpers.WaitUntil(describe: () => KafkaTestHelpers.Describe(pipeline.GetMetrics().Writers[0]), condition: () => pipeline.GetMetrics().Writers[0] is { Queued: 0 } w && w.Failed + w.Dropped == 50);
        var down = pipeline.GetMetrics().Writers[0];
        Assert.Equal(0, down.Written);
        Assert.True(down.Retries >= 1, $"retries {down.Retries}");
        KafkaTestHelpers.AssertBooks(down);

        cluster.SetBrokerUp(-1);
        // the open circuit lets a probe batch through after its break: log until records go through again
        int next = 50;
        var recovering = Stopwatch.StartNew();
        while (pipeline.GetMetrics().Writers[0].Written == 0)
        {
            Assert.True(recovering.Elapsed < TimeSpan.FromSeconds(60), KafkaTestHelpers.Describe(pipeline.GetMetrics().Writers[0]));
            logger.OrderFilled(next++, 0);
            await Task.Delay(100);
        }
        await KafkaTestHelpers.WaitUntil(describe: () => KafkaTestHelpers.Describe(pipeline.GetMetrics().Writers[0]),
            condition: () => pipeline.GetMetrics().Writers[0] is { Queued: 0 } w && w.Written + w.Failed + w.Dropped == next);
        var up = pipeline.GetMetrics().Writers[0];
        KafkaTestHelpers.AssertBooks(up);
        Assert.Equal(next, up.Received);
        var messages = await KafkaTestHelpers.ConsumeAsync(cluster.BootstrapServers, "logs", (int)up.Written);
        await pipeline.DisposeAsync();
        // every record the books count as written is there (a failed one may be there too: at least once)
        var ids = messages.Select(OrderId).ToHashSet();
        Assert.True(ids.Count >= up.Written, $"{ids.Count} distinct records in the topic, {up.Written} written");
        Assert.DoesNotContain(ids, id => id < 50); // those failed while every broker was down
        KafkaTestHelpers.AssertBooks(pipeline.GetMetrics().Writers[0]);
    }

    [Fact]
    public async Task KafkaMockCluster_the_drain_allocates_nothing_per_record()
    {
        using var cluster = new KafkaMockCluster();
        cluster.CreateTopic("logs", partitions: 3);
        // Block: the callers wait for the writer instead of dropping (the default drops the oldest batches past the queue limit)
        var writer = new AsyncKafkaWriter(cluster.BootstrapServers, "logs") { Key = KafkaKey.Property("OrderId"), Backpressure = DropStrategy.Block };
        var pipeline = new AsyncPipeline(new AsyncPipelineConfig { Writers = [writer], FlushOnProcessExit = false });
        var logger = pipeline.CreateLogger("App");
        for (int i = 0; i < 20_000; i++) logger.OrderFilled(i, i);
        await KafkaTestHelpers.WaitUntil(describe: () => KafkaTestHelpers.Describe(pipeline.GetMetrics().Writers[0]), condition: () => pipeline.GetMetrics().Writers[0].Written == 20_000);
        await Task.Delay(150); // the drain publishes its allocation counter once per loop
        // the least of three windows: a one-time event on the drain thread (a pool or queue growing once) shows in one
        // window, a per-record cost in every window
        var windows = new List<long>();
        var clock = Stopwatch.StartNew();
        int logged = 20_000;
        for (int window = 0; window < 3; window++)
        {
            long before = pipeline.DrainAllocatedBytes;
            for (int i = 0; i < 30_000; i++)
            {
                logger.OrderFilled(i, i);
                // in chunks the writer keeps up with, so the drain never waits on a full stage (waiting is not what is measured)
                if (i % 500 == 499) await KafkaTestHelpers.WaitUntil(() => pipeline.GetMetrics().Writers[0].Queued == 0);
            }
            logged += 30_000;
            await KafkaTestHelpers.WaitUntil(describe: () => KafkaTestHelpers.Describe(pipeline.GetMetrics().Writers[0]), condition: () => pipeline.GetMetrics().Writers[0].Written == logged);
            await Task.Delay(150); // the drain publishes its allocation counter once per loop
            windows.Add(pipeline.DrainAllocatedBytes - before);
        }
        output.WriteLine($"90k records to the mock cluster in {clock.Elapsed.TotalMilliseconds:F0} ms; drain allocations per 30k-record window: {string.Join(", ", windows)}");
        await pipeline.DisposeAsync();
        // formatting for Kafka (value, key, trailer) costs the drain nothing per record (30k records would be megabytes)
        Assert.True(windows.Min() < 4 * 1024, $"the drain allocated {string.Join(", ", windows)} bytes per 30k records");
    }

    private static int Seq(ConsumeResult<byte[], byte[]> m) => JsonDocument.Parse(m.Message.Value).RootElement.GetProperty("Properties").GetProperty("Seq").GetInt32();

    private static int OrderId(ConsumeResult<byte[], byte[]> m) => JsonDocument.Parse(m.Message.Value).RootElement.GetProperty("Properties").GetProperty("OrderId").GetInt32();

    private static string? Header(ConsumeResult<byte[], byte[]> message, string key)
        => message.Message.Headers.TryGetLastBytes(key, out var value) ? Encoding.UTF8.GetString(value) : null;
}
