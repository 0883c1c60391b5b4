using System;
using Kakashi;
using Microsoft.Extensions.Logging;

namespace Kakashi.OpenTelemetry.Tests;

public enum Side { Buy, Sell }

public static partial class OtlpLog
{
    [KakashiLog(LogLevel.Information, "Order {OrderId} of {Quantity} at {Price} filled={Filled} by {Trader}", EventId = 1001, EventName = "OrderFilled")]
    public static partial void Order(this KakashiLogger logger, int orderId, long quantity, double price, bool filled, string trader);

    [KakashiLog(LogLevel.Warning, "Typed {Side} {When} {Id} {Maybe} {Count} {Nothing}")]
    public static partial void Typed(this KakashiLogger logger, Side side, DateTime when, Guid id, int? maybe, int count, string? nothing);

    [KakashiLog(LogLevel.Error, "Failed {Operation}")]
    public static partial void Failed(this KakashiLogger logger, string operation, Exception error);

    [KakashiLog("Level {N}")]
    public static partial void AtLevel(this KakashiLogger logger, LogLevel level, int n);

    [KakashiLog(LogLevel.Information, "Tick {N}")]
    public static partial void Tick(this KakashiLogger logger, int n);

    [KakashiLog(LogLevel.Information, "Constant message")]
    public static partial void Constant(this KakashiLogger logger);
}
