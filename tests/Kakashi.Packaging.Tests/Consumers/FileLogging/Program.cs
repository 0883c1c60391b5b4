using Kakashi;
using Microsoft.Extensions.Logging;

// args[0]: the log file the test reads; args[1], if given: a binary .klog of the same records (the tool's test decodes it)
await using (var pipeline = new AsyncPipeline(new AsyncPipelineConfig
{
    MinLevel = LogLevel.Information,
    Formatter = new TextFormatter("{Level:u3} {Category} {EventId}: {Message}{NewLine}"),
    Writers = args.Length > 1 ? [new AsyncFileWriter(args[0]), new BinaryLogWriter(args[1])] : [new AsyncFileWriter(args[0])],
}))
{
    KakashiLogger logger = pipeline.CreateLogger("Trading");
    logger.OrderFilled(12345, 100, 101.25, "MSFT");
    logger.Tick(1.5m, 1.75m);   // below MinLevel: never written
    await pipeline.FlushAllAsync();
}

// Kakashi.Kafka from its package: the writer is only made (there is no broker), not started
var kafka = new AsyncKafkaWriter("127.0.0.1:9092", "logs") { Key = KafkaKey.Category };
Console.WriteLine($"kafka writer: {kafka.Name}");

public static partial class TradeLog
{
    [KakashiLog(LogLevel.Information, "Order {OrderId} filled {Quantity} at {Price} for {Symbol}", EventId = 1001)]
    public static partial void OrderFilled(this KakashiLogger logger, int orderId, int quantity, double price, string symbol);

    [KakashiLog(LogLevel.Debug, "Tick {Bid}/{Ask}", EventId = 1002)]
    public static partial void Tick(this KakashiLogger logger, decimal bid, decimal ask);
}
