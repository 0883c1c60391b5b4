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

namespace Kakashi.Kafka.Tests;

/// <summary>AsyncKafkaWriter against librdkafka's mock cluster (real Kafka-protocol brokers on loopback, see KafkaMockCluster).</summary>
public sealed class KafkaMockClusterTests
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
        await KafkaTestHelpers.WaitUntil(() => pipeline.GetMetrics().Writers[0].Written == 200);
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

    private static int OrderId(ConsumeResult<byte[], byte[]> m) => JsonDocument.Parse(m.Message.Value).RootElement.GetProperty("Properties").GetProperty("OrderId").GetInt32();

    private static string? Header(ConsumeResult<byte[], byte[]> message, string key)
        => message.Message.Headers.TryGetLastBytes(key, out var value) ? Encoding.UTF8.GetString(value) : null;
}
