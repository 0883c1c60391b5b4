using System;
using Microsoft.Extensions.Logging;

namespace Kakashi.Runtime.Tests.Syslog;

public static partial class SyslogLog
{
    [KakashiLog(LogLevel.Warning, "Order {OrderId} for {Customer}: {Note}", EventId = 42, EventName = "OrderPlaced")]
    public static partial void Order(this KakashiLogger logger, int orderId, string customer, string note);

    [KakashiLog(LogLevel.Information, "Record {Id}", EventId = 7)]
    public static partial void Record(this KakashiLogger logger, int id);

    [KakashiLog(LogLevel.Error, "Payment {Op} failed")]
    public static partial void PaymentFailed(this KakashiLogger logger, string op, Exception error);

    [KakashiLog(LogLevel.Debug, "Nothing to add")]
    public static partial void Plain(this KakashiLogger logger);

    [KakashiLog(LogLevel.Critical, "Big {Payload}")]
    public static partial void Big(this KakashiLogger logger, string payload);
}
