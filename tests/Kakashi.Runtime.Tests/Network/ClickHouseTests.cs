using System;
using System.Linq;
using System.Threading.Tasks;
using Kakashi;
using Kakashi.Runtime.Tests.Peers;
using Xunit;

namespace Kakashi.Runtime.Tests.Network;

/// <summary><see cref="AsyncNetworkWriter"/> with <see cref="NetworkFormat.ClickHouse"/> against a real clickhouse-server.</summary>
public class ClickHouseTests
{
    /// <summary>The table docs/writers.md shows: the JSON fields as columns, the time parsed from the ISO timestamp.</summary>
    internal const string Table = """
        CREATE TABLE logs (
            Timestamp String, Level String, Category String, EventId Int32, EventName String,
            MessageTemplate String, Message String,
            Time DateTime MATERIALIZED parseDateTimeBestEffort(Timestamp)
        ) ENGINE = MergeTree() ORDER BY Time
        """;

    [PeerFact(ClickHouseServer.Program)]
    public async Task Records_are_inserted_as_rows_and_read_back()
    {
        await using var clickhouse = new ClickHouseServer();
        await clickhouse.StartAsync();
        await clickhouse.QueryAsync(Table);
        var writer = new AsyncNetworkWriter(clickhouse.Url) { Format = NetworkFormat.ClickHouse, Table = "default.logs", BatchSize = 250 };
        using (var pipeline = AsyncNetworkWriterTests.Pipeline(writer))
        {
            var log = pipeline.CreateLogger("Trading.Orders");
            for (int i = 0; i < 1000; i++) log.OrderFilled(i, 100, 101.25, "MSFT \"quoted\" é");
            await pipeline.FlushAllAsync();
            var w = pipeline.GetMetrics().Writers[0];
            Assert.Equal(1000, w.Written);
            ReliabilityTests.AssertBooks(w);
        }
        Assert.Equal("1000\t1000", await clickhouse.QueryAsync("SELECT count(), uniqExact(Message) FROM logs"));
        Assert.Equal("Information\tTrading.Orders\t1001\tOrderFilled\tOrder {OrderId} filled {Quantity} at {Price} for {Symbol}",
            await clickhouse.QueryAsync("SELECT Level, Category, EventId, EventName, MessageTemplate FROM logs WHERE Message = 'Order 7 filled 100 at 101.25 for MSFT \"quoted\" é'"));
        // the timestamp column parsed: every row within the last hour
        Assert.Equal("1000", await clickhouse.QueryAsync("SELECT count() FROM logs WHERE Time > now() - 3600"));
    }

    [PeerFact(ClickHouseServer.Program)]
    public async Task A_killed_server_loses_nothing_with_a_spool_once_it_is_back()
    {
        await using var clickhouse = new ClickHouseServer();
        await clickhouse.StartAsync();
        await clickhouse.QueryAsync(Table);
        var writer = new AsyncNetworkWriter(clickhouse.Url)
        {
            Format = NetworkFormat.ClickHouse,
            Table = "logs",
            BatchSize = 100,
            FlushInterval = TimeSpan.FromMilliseconds(50),
            Spool = new DiskSpool(System.IO.Path.Combine(System.IO.Path.GetTempPath(), "kakashi-tests", Guid.NewGuid().ToString("N"))),
            Retry = new RetryOptions { MaxRetries = 1, InitialDelay = TimeSpan.FromMilliseconds(50), MaxDelay = TimeSpan.FromMilliseconds(500) },
            CircuitBreaker = new CircuitBreakerOptions { FailureThreshold = 5, BreakDuration = TimeSpan.FromSeconds(1) },
        };
        using var pipeline = AsyncNetworkWriterTests.Pipeline(writer);
        var log = pipeline.CreateLogger("Trading.Orders");
        for (int i = 0; i < 300; i++) log.Seq(1, i);
        await ReliabilityTests.WaitUntil(() => pipeline.GetMetrics().Writers[0].Written == 300, 60);
        clickhouse.Kill();
        for (int i = 300; i < 600; i++)
        {
            log.Seq(1, i);
            if (i % 50 == 0) await Task.Delay(10);
        }
        await ReliabilityTests.WaitUntil(() => pipeline.GetMetrics().Writers[0].Spooled == 300, 60);
        ReliabilityTests.AssertBooks(pipeline.GetMetrics().Writers[0]);
        await clickhouse.StartAsync(); // same port, same data
        await ReliabilityTests.WaitUntil(() => pipeline.GetMetrics().Writers[0].Written == 600, 60);
        var w = pipeline.GetMetrics().Writers[0];
        Assert.Equal(0, w.Failed);
        Assert.Equal(0, w.Dropped);
        ReliabilityTests.AssertBooks(w);
        // every record is in the table; none twice (ClickHouse was killed between requests, not inside one)
        Assert.Equal("600\t600", await clickhouse.QueryAsync("SELECT count(), uniqExact(Message) FROM logs"));
    }
}
