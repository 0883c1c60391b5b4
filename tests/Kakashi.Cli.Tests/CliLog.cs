using System;
using Microsoft.Extensions.Logging;

namespace Kakashi.Cli.Tests;

/// <summary>The log methods the tests write .klog files with: every level, event ids and names, an exception.</summary>
public static partial class CliLog
{
    [KakashiLog(LogLevel.Information, "Order {OrderId} filled {Quantity} at {Price} for {Symbol}", EventId = 1001)]
    public static partial void OrderFilled(this KakashiLogger logger, int orderId, int quantity, double price, string symbol);

    [KakashiLog(LogLevel.Trace, "Heartbeat {Seq}", EventId = 1)]
    public static partial void Heartbeat(this KakashiLogger logger, long seq);

    [KakashiLog(LogLevel.Debug, "Tick {Bid}/{Ask}", EventId = 2)]
    public static partial void Tick(this KakashiLogger logger, decimal bid, decimal ask);

    [KakashiLog(LogLevel.Warning, "Order {OrderId} rejected: {Reason}", EventId = 3001, EventName = "Rejected")]
    public static partial void OrderRejected(this KakashiLogger logger, int orderId, string reason);

    [KakashiLog(LogLevel.Error, "Settlement of {OrderId} failed", EventId = 4001)]
    public static partial void SettlementFailed(this KakashiLogger logger, int orderId, Exception error);

    [KakashiLog(LogLevel.Critical, "Trading halted on {Venue}", EventId = 5001)]
    public static partial void Halted(this KakashiLogger logger, string venue);

    [KakashiLog(LogLevel.Information, "Seq {Source} {Index}", EventId = 7)]
    public static partial void Seq(this KakashiLogger logger, string source, int index);
}
