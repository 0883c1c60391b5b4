using System;
using Kakashi;
using Microsoft.Extensions.Logging;

namespace Kakashi.Demo;

public enum Side { Buy, Sell }

/// <summary>Log methods of a matching engine: the generator writes their bodies.</summary>
public static partial class TradeLog
{
    [KakashiLog(LogLevel.Information, "Order {OrderId} filled {Quantity} at {Price} for {Symbol}", EventId = 1001)]
    public static partial void OrderFilled(this KakashiLogger logger, int orderId, int quantity, double price, string symbol);

    [KakashiLog(LogLevel.Information, "Order {OrderId} {Side} {Quantity,6} {Symbol,-5} @ {Price:F2} placed at {Time:HH:mm:ss.fff}", EventId = 1002)]
    public static partial void OrderPlaced(this KakashiLogger logger, long orderId, Side side, int quantity, string symbol, decimal price, DateTime time);

    [KakashiLog(LogLevel.Warning, "Order {OrderId} rejected: {Reason}", EventId = 1003)]
    public static partial void OrderRejected(this KakashiLogger logger, long orderId, string reason, Exception? error);

    [KakashiLog(LogLevel.Debug, "Book {Symbol} depth {Depth}")]
    public static partial void BookDepth(this KakashiLogger logger, string symbol, int depth);
}

/// <summary>The instance form: the logger comes from the primary constructor.</summary>
public sealed partial class MatchingEngine(KakashiLogger log)
{
    [KakashiLog(LogLevel.Information, "Tick {Symbol} {Bid}/{Ask}", EventId = 2001)]
    private partial void Tick(string symbol, decimal bid, decimal ask);

    public void OnTick(string symbol, decimal bid, decimal ask) => Tick(symbol, bid, ask);
}
