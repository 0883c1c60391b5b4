using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using ZLogger;

namespace Kakashi.Benchmarks.Peers;

public static partial class ZLoggerBenchLog
{
    [ZLoggerMessage(LogLevel.Information, PeerSetup.Template)]
    public static partial void OrderFilled(this ILogger logger, int orderId, int quantity, double price, string symbol);

    [ZLoggerMessage(LogLevel.Debug, PeerSetup.Template)]
    public static partial void OrderFilledDebug(this ILogger logger, int orderId, int quantity, double price, string symbol);
}

/// <summary>The ZLogger file provider with the layout every peer uses (shared by the ZLogger and MEL peers).</summary>
internal static class ZLoggerFile
{
    public const string Description = "AddZLoggerFile, default background queue (FullMode Grow), plain text, prefix \"{Timestamp:O} [{Level}] {Category}: \" (UTC)";

    public const string JsonDescription = "AddZLoggerFile, default background queue (FullMode Grow), UseJsonFormatter() (Timestamp, LogLevel, Category, Message and the properties)";

    public static ILoggerFactory CreateFactory(string path, bool json = false) => LoggerFactory.Create(builder =>
    {
        builder.ClearProviders();
        builder.SetMinimumLevel(LogLevel.Information);
        if (json)
        {
            builder.AddZLoggerFile(path, options => options.UseJsonFormatter());
            return;
        }
        builder.AddZLoggerFile(path, options => options.UsePlainTextFormatter(formatter =>
            formatter.SetPrefixFormatter($"{0:O} [{1}] {2}: ",
                (in MessageTemplate template, in LogInfo info) => template.Format(info.Timestamp.Utc.UtcDateTime, info.LogLevel, info.Category))));
    });
}

/// <summary>ZLogger 2.6: [ZLoggerMessage] generated methods to its file provider.</summary>
public sealed class ZLoggerPeer(bool json = false) : IPeer
{
    private ILoggerFactory? _factory;
    private ILogger _logger = null!;

    public string Name => json ? "ZLogger-json" : "ZLogger";

    public string Description => "[ZLoggerMessage] generated methods; " + (json ? ZLoggerFile.JsonDescription : ZLoggerFile.Description);

    public string? Counters => null;

    public void Setup(string path)
    {
        _factory = ZLoggerFile.CreateFactory(path, json);
        _logger = _factory.CreateLogger(PeerSetup.Category);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Log(int orderId, int quantity, double price, string symbol) => ZLoggerBenchLog.OrderFilled(_logger, orderId, quantity, price, symbol);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void LogDisabled(int orderId, int quantity, double price, string symbol) => ZLoggerBenchLog.OrderFilledDebug(_logger, orderId, quantity, price, symbol);

    public void LogDisabledLoop(int calls)
    {
        var logger = _logger;
        for (int i = 0; i < calls; i++) ZLoggerBenchLog.OrderFilledDebug(logger, i, PeerSetup.Quantity, PeerSetup.Price, PeerSetup.Symbol);
    }

    /// <summary>ZLogger has no flush API short of disposing the factory: the harness watches the file (ZLogger writes its queue out when it runs empty).</summary>
    public void Flush() { }

    public void Dispose()
    {
        // Disposing the factory disposes the provider, which drains its queue, flushes and closes the file.
        _factory?.Dispose();
        _factory = null;
    }
}
