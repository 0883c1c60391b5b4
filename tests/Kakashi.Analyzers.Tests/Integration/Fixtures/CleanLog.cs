// Every supported shape and argument type, used the way the docs recommend: must compile with warnings as errors and
// without a single Kakashi diagnostic (IntegrationTests.Clean_fixture_has_no_diagnostics).
using System;
using System.Numerics;
using Kakashi;
using Microsoft.Extensions.Logging;

namespace Fixtures;

public enum Side { Buy, Sell }

public readonly struct Price(long mantissa) : ISpanFormattable
{
    public string ToString(string? format, IFormatProvider? formatProvider) => (mantissa / 100m).ToString(format, formatProvider);
    public bool TryFormat(Span<char> destination, out int charsWritten, ReadOnlySpan<char> format, IFormatProvider? provider)
        => (mantissa / 100m).TryFormat(destination, out charsWritten, format, provider);
}

public static partial class TradeLog
{
    [KakashiLog(LogLevel.Information, "Order {OrderId} filled {Quantity,6} at {Price:F2} for {Symbol}", EventId = 1001)]
    public static partial void OrderFilled(this KakashiLogger logger, int orderId, int quantity, double price, string symbol);

    [KakashiLog(LogLevel.Warning, "Order {OrderId} rejected: {Reason}", EventId = 1002, EventName = "Rejected")]
    public static partial void OrderRejected(this KakashiLogger logger, long orderId, string reason, Exception? error);

    [KakashiLog("Level per call: {Value} at {@When:O}")]
    public static partial void Dynamic(this KakashiLogger logger, LogLevel level, decimal value, DateTimeOffset when);

    [KakashiLog(LogLevel.Debug, "{{literal}} {Side} {Price} {Id} {Span} {Half} {Wide} {Maybe} {Text} {Big}")]
    public static partial void Types(this KakashiLogger logger, Side side, Price price, Guid id, TimeSpan span, Half half, Int128 wide,
        int? maybe, ReadOnlySpan<char> text, BigInteger big);

    [KakashiLog(LogLevel.Information, "No holes, braces kept: {{ and }}")]
    public static partial void NoHoles(this KakashiLogger logger);

    [KakashiLog(LogLevel.Trace, "In {Value} {Other}")]
    public static partial void ByReference(this KakashiLogger logger, in decimal value, ref readonly Guid other);
}

public sealed partial class MatchingEngine(KakashiLogger log)
{
    [KakashiLog(LogLevel.Information, "Tick {Symbol} {Bid}/{Ask}", EventId = 2001)]
    private partial void Tick(string symbol, decimal bid, decimal ask);

    public void OnTick(string symbol, decimal bid, decimal ask) => Tick(symbol, bid, ask);
}

public partial class Outer<T>
{
    public partial record struct Inner(KakashiLogger Logger)
    {
        [KakashiLog(LogLevel.Error, "Inner {Value}")]
        internal partial void Failed(int value);
    }
}

public static class Usage
{
    public static AsyncPipelineConfig Config() => new()
    {
        BufferSize = 1 << 20,
        ObjectSlots = 1024,
        MaxBatchRecords = 8192,
        ShutdownTimeout = TimeSpan.FromSeconds(5),
        BackpressureLimit = 4 * 1024 * 1024,
        Backpressure = new BackpressureConfig { WarningThreshold = 800_000, DropThreshold = 1_000_000, DropStrategy = DropStrategy.DropNewest },
        Writers = [new AsyncFileWriter("logs/app.log") { BatchSize = 256 * 1024, FlushInterval = TimeSpan.FromMilliseconds(500) }],
    };

    public static void Log(KakashiLogger logger, int id, string name)
    {
        logger.OrderFilled(id, 100, 101.25, name);
        logger.OrderRejected(id, "limit " + "exceeded", null);
        logger.Dynamic(LogLevel.Warning, 1.5m, DateTimeOffset.UnixEpoch);
        logger.NoHoles();
    }
}
