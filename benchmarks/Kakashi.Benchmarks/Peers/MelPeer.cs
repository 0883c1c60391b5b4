using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;

namespace Kakashi.Benchmarks.Peers;

public static partial class MelBenchLog
{
    [LoggerMessage(Level = LogLevel.Information, Message = PeerSetup.Template)]
    public static partial void OrderFilled(this ILogger logger, int orderId, int quantity, double price, string symbol);

    [LoggerMessage(Level = LogLevel.Debug, Message = PeerSetup.Template)]
    public static partial void OrderFilledDebug(this ILogger logger, int orderId, int quantity, double price, string symbol);
}

/// <summary>Microsoft.Extensions.Logging [LoggerMessage] generated methods, routed to ZLogger's file provider (MEL has none).</summary>
public sealed class MelPeer : IPeer
{
    private ILoggerFactory? _factory;
    private ILogger _logger = null!;

    public string Name => "MEL";

    public string Description => "[LoggerMessage] generated methods; " + ZLoggerFile.Description;

    public string? Counters => null;

    public void Setup(string path)
    {
        _factory = ZLoggerFile.CreateFactory(path);
        _logger = _factory.CreateLogger(PeerSetup.Category);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Log(int orderId, int quantity, double price, string symbol) => MelBenchLog.OrderFilled(_logger, orderId, quantity, price, symbol);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void LogDisabled(int orderId, int quantity, double price, string symbol) => MelBenchLog.OrderFilledDebug(_logger, orderId, quantity, price, symbol);

    public void LogDisabledLoop(int calls)
    {
        var logger = _logger;
        for (int i = 0; i < calls; i++) MelBenchLog.OrderFilledDebug(logger, i, PeerSetup.Quantity, PeerSetup.Price, PeerSetup.Symbol);
    }

    /// <summary>No flush API short of disposing the factory (ZLogger's provider): the harness watches the file.</summary>
    public void Flush() { }

    public void Dispose()
    {
        _factory?.Dispose();
        _factory = null;
    }
}
