using System;
using System.Buffers;
using System.Linq;
using System.Text;
using System.Text.Json;
using System.Threading;
using Kakashi;
using Kakashi.Pipeline;
using Kakashi.Templates;
using Microsoft.Extensions.Logging;

namespace Kakashi.Kafka.Tests;

/// <summary>
/// Allocation is measured with nothing else running: while other tests' pipelines ran in the process, a JsonFormatter
/// (wrapped or not: the plain one allocated as much) was seen allocating 96 B per hand-built record.
/// </summary>
[CollectionDefinition("Kafka allocation", DisableParallelization = true)]
public sealed class KafkaAllocationCollection;

/// <summary>The record formatter on its own: what it writes, what the writer reads back, and that it allocates nothing per record.</summary>
[Collection("Kafka allocation")]
public sealed class KafkaRecordFormatterTests
{
    // registered, as the generator's templates are: an id of its own (formatters cache per template id)
    private static readonly LogTemplate Template = TemplateRegistry.Shared.Register(LogTemplate.Parse("Shop.OrderFilled", LogLevel.Information, 1001, null,
        "Order {OrderId} filled at {Price}", [new TemplateArg("orderId", ArgType.Int32), new TemplateArg("price", ArgType.Double), new TemplateArg("note", ArgType.String)]));

    private static readonly LogCategory Category = new(1, "Shop.Orders");

    private static readonly DateTime At = new(2026, 12, 2, 3, 4, 5, 678, DateTimeKind.Utc);

    private static byte[] Format(KafkaRecordFormatter formatter, int orderId)
    {
        var payload = new PayloadBuilder();
        payload.Int32(orderId).Double(9.5).String(null);
        var record = new LogRecord(Template, Category, LogLevel.Information, At, 7, payload.Payload, payload.Offsets);
        var buffer = new ArrayBufferWriter<byte>();
        var writer = new Utf8Writer(buffer);
        formatter.Format(in record, ref writer);
        writer.Commit();
        return buffer.WrittenSpan.ToArray();
    }

    [Theory]
    [InlineData("None", null)]
    [InlineData("Category", "Shop.Orders")]
    [InlineData("EventId", "1001")]
    [InlineData("EventName", "OrderFilled")]
    [InlineData("OrderId", "42")]
    [InlineData("orderId", "42")] // the argument's own name
    [InlineData("note", null)] // null value: no key
    [InlineData("Missing", null)]
    public void The_writer_reads_back_value_key_and_fields(string key, string? expected)
    {
        var kafkaKey = key switch
        {
            "None" => KafkaKey.None,
            "Category" => KafkaKey.Category,
            "EventId" => KafkaKey.EventId,
            "EventName" => KafkaKey.EventName,
            _ => KafkaKey.Property(key),
        };
        var bytes = Format(new KafkaRecordFormatter(new JsonFormatter(), kafkaKey), 42);
        Assert.True(KafkaRecordParts.TryParse(bytes, out var parts));
        Assert.Equal(expected is not null, parts.HasKey);
        if (expected is not null) Assert.Equal(expected, Encoding.UTF8.GetString(parts.Key));
        var json = JsonDocument.Parse(parts.Value.ToArray()).RootElement;
        Assert.Equal("Order 42 filled at 9.5", json.GetProperty("Message").GetString());
        Assert.NotEqual((byte)'\n', parts.Value[^1]);
        Assert.Equal(new DateTimeOffset(At).ToUnixTimeMilliseconds(), parts.Timestamp);
        Assert.Equal(1001, parts.EventId);
        Assert.Equal("OrderFilled", Encoding.UTF8.GetString(parts.EventName));
        Assert.Equal("Shop.Orders", Encoding.UTF8.GetString(parts.Category));
    }

    [Fact]
    public void Bytes_without_a_trailer_are_not_taken_for_a_record()
    {
        Assert.False(KafkaRecordParts.TryParse("{\"a\":1}\n"u8, out _));
        Assert.False(KafkaRecordParts.TryParse(new byte[40], out _));
    }

    [Fact]
    public void Formatting_allocates_nothing_per_record()
    {
        var allocated = new long[5];
        var thread = new Thread(() =>
        {
            var formatters = new LogFormatter[]
            {
                new KafkaRecordFormatter(new JsonFormatter(), KafkaKey.Property("OrderId")),
                new KafkaRecordFormatter(new JsonFormatter(), KafkaKey.Category),
                new KafkaRecordFormatter(new JsonFormatter { Fields = JsonFieldSet.Ecs }, KafkaKey.EventId),
                new KafkaRecordFormatter(new TextFormatter("{Timestamp:O} [{Level}] {Category}: {Message}{NewLine}")),
                new JsonFormatter(), // unwrapped, for comparison: the wrapper adds nothing
            };
            var payload = new PayloadBuilder();
            var buffer = new ArrayBufferWriter<byte>(1 << 20);
            void Run(int records, int only = -1)
            {
                for (int i = 0; i < records; i++)
                {
                    payload.Reset();
                    payload.Int32(i).Double(i + 0.25).String("n");
                    var record = new LogRecord(Template, Category, LogLevel.Information, At, 7, payload.Payload, payload.Offsets);
                    if (buffer.FreeCapacity < 64 * 1024) buffer.ResetWrittenCount(); // the cursor asks for 16 KiB chunks: never make the buffer grow
                    var writer = new Utf8Writer(buffer);
                    formatters[only >= 0 ? only : i % formatters.Length].Format(in record, ref writer);
                    writer.Commit();
                }
            }
            Run(20_000); // warm-up: caches and tiered JIT
            Thread.Sleep(200);
            Run(20_000);
            for (int f = 0; f < formatters.Length; f++)
            {
                long before = GC.GetAllocatedBytesForCurrentThread();
                Run(25_000, f);
                allocated[f] = GC.GetAllocatedBytesForCurrentThread() - before;
            }
        });
        thread.Start();
        thread.Join();
        Assert.True(allocated.All(a => a == 0), "allocated per 25k records, by formatter: " + string.Join(", ", allocated));
    }
}
