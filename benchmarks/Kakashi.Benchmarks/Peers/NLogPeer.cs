using System.Globalization;
using System.Runtime.CompilerServices;
using NLog;
using NLog.Config;
using NLog.Targets;
using NLog.Targets.Wrappers;

namespace Kakashi.Benchmarks.Peers;

/// <summary>
/// NLog 6.2: AsyncTargetWrapper around a FileTarget (KeepFileOpen, AutoFlush = false). OverflowAction is Block: the
/// default (Discard) drops records once the 10,000-entry queue is full, which the throughput line count would show as loss.
/// </summary>
public sealed class NLogPeer : IPeer
{
    public const string Layout = "${date:universalTime=true:format=o} [${level:format=FullName}] ${logger}: ${message}";

    private LogFactory? _factory;
    private Logger _logger = null!;

    public string Name => "NLog";

    public string Description => $"message-template calls (params); AsyncTargetWrapper(QueueLimit 10000, OverflowAction Block, BatchSize 200) => FileTarget(KeepFileOpen, AutoFlush false, BufferSize 32 KiB); layout \"{Layout}\"";

    public string? Counters => null;

    public void Setup(string path)
    {
        var factory = new LogFactory();
        var file = new FileTarget("file")
        {
            FileName = path,
            Layout = Layout,
            LineEnding = LineEndingMode.LF,
            KeepFileOpen = true,
            AutoFlush = false,
        };
        var async = new AsyncTargetWrapper("async", file) { OverflowAction = AsyncTargetWrapperOverflowAction.Block };
        var config = new LoggingConfiguration(factory) { DefaultCultureInfo = CultureInfo.InvariantCulture };
        config.AddRule(LogLevel.Info, LogLevel.Fatal, async);
        factory.Configuration = config;
        _factory = factory;
        _logger = factory.GetLogger(PeerSetup.Category);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Log(int orderId, int quantity, double price, string symbol)
        => _logger.Info(PeerSetup.Template, orderId, quantity, price, symbol);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void LogDisabled(int orderId, int quantity, double price, string symbol)
        => _logger.Debug(PeerSetup.Template, orderId, quantity, price, symbol);

    public void LogDisabledLoop(int calls)
    {
        var logger = _logger;
        for (int i = 0; i < calls; i++) logger.Debug(PeerSetup.Template, i, PeerSetup.Quantity, PeerSetup.Price, PeerSetup.Symbol);
    }

    /// <summary>LogFactory.Flush: the async wrapper's queue goes to the file target, which flushes.</summary>
    public void Flush() => _factory?.Flush(System.TimeSpan.FromSeconds(60));

    public void Dispose()
    {
        var factory = _factory;
        if (factory is null) return;
        _factory = null;
        // Shutdown flushes the async queue into the file target and closes it.
        factory.Shutdown();
        factory.Dispose();
    }
}
