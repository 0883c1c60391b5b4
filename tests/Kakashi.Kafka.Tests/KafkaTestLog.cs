using Kakashi;
using Microsoft.Extensions.Logging;

namespace Kakashi.Kafka.Tests;

public static partial class KafkaTestLog
{
    [KakashiLog(LogLevel.Information, "Order {OrderId} filled at {Price}", EventId = 1001)]
    public static partial void OrderFilled(this KakashiLogger logger, int orderId, double price);

    [KakashiLog(LogLevel.Warning, "Payload {Seq} {Text}", EventId = 7, EventName = "Payload")]
    public static partial void Payload(this KakashiLogger logger, int seq, string text);
}
