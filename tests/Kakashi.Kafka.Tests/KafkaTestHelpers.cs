using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Threading.Tasks;
using Confluent.Kafka;
using Kakashi;

namespace Kakashi.Kafka.Tests;

internal static class KafkaTestHelpers
{
    internal static void AssertBooks(WriterMetrics w) => Assert.Equal(w.Received, w.Written + w.Dropped + w.Filtered + w.Failed + w.Queued);

    internal static string Describe(WriterMetrics w)
        => $"received={w.Received} written={w.Written} failed={w.Failed} dropped={w.Dropped} queued={w.Queued} retries={w.Retries} breaker={w.BreakerState}";

    internal static async Task WaitUntil(Func<bool> condition, int seconds = 60, Func<string>? describe = null)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > TimeSpan.FromSeconds(seconds)) throw new TimeoutException("condition not reached" + (describe is null ? "" : ": " + describe()));
            await Task.Delay(20);
        }
    }

    /// <summary>Reads every partition of <paramref name="topic"/> from the beginning until <paramref name="expected"/> messages came and none came for a moment (or 60 s passed).</summary>
    internal static Task<List<ConsumeResult<byte[], byte[]>>> ConsumeAsync(string bootstrap, string topic, int expected, TimeSpan? quiet = null) => Task.Run(() =>
    {
        var config = new ConsumerConfig
        {
            BootstrapServers = bootstrap,
            GroupId = "kakashi-tests-" + Guid.NewGuid().ToString("N"),
            EnableAutoCommit = false,
            AutoOffsetReset = AutoOffsetReset.Earliest,
        };
        using var consumer = new ConsumerBuilder<byte[], byte[]>(config).SetLogHandler((_, _) => { }).Build();
        using var admin = new DependentAdminClientBuilder(consumer.Handle).Build();
        var metadata = admin.GetMetadata(topic, TimeSpan.FromSeconds(30));
        var partitions = new List<TopicPartitionOffset>();
        foreach (var p in metadata.Topics[0].Partitions) partitions.Add(new TopicPartitionOffset(topic, p.PartitionId, Offset.Beginning));
        consumer.Assign(partitions);
        var results = new List<ConsumeResult<byte[], byte[]>>();
        var clock = Stopwatch.StartNew();
        var lastMessage = Stopwatch.StartNew();
        var wait = quiet ?? TimeSpan.FromMilliseconds(500);
        while (clock.Elapsed < TimeSpan.FromSeconds(60))
        {
            var result = consumer.Consume(TimeSpan.FromMilliseconds(100));
            if (result is null || result.IsPartitionEOF)
            {
                if (results.Count >= expected && lastMessage.Elapsed > wait) break;
                continue;
            }
            results.Add(result);
            lastMessage.Restart();
        }
        return results;
    });
}
