using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;

namespace Kakashi.Benchmarks.Peers;

public static partial class KakashiBenchLog
{
    [KakashiLog(LogLevel.Information, PeerSetup.Template)]
    public static partial void OrderFilled(this KakashiLogger logger, int orderId, int quantity, double price, string symbol);

    [KakashiLog(LogLevel.Debug, PeerSetup.Template)]
    public static partial void OrderFilledDebug(this KakashiLogger logger, int orderId, int quantity, double price, string symbol);
}

/// <summary>Kakashi: generated [KakashiLog] methods, AsyncPipeline with its defaults, one AsyncFileWriter.</summary>
public sealed class KakashiPeer : IPeer
{
    public const string Layout = "{Timestamp:O} [{Level}] {Category}: {Message}{NewLine}";

    private AsyncPipeline? _pipeline;
    private KakashiLogger _logger = null!;

    public string Name => "Kakashi";

    public string Description => $"[KakashiLog] generated methods; AsyncPipeline defaults (1 MiB ring per thread, Park drain); AsyncFileWriter defaults; clock {Kakashi.Clock.KakashiClock.Source}; layout \"{Layout}\"";

    public string? Counters { get; private set; }

    public void Setup(string path)
    {
        _pipeline = new AsyncPipeline(new AsyncPipelineConfig
        {
            MinLevel = LogLevel.Information,
            Formatter = new TextFormatter(Layout),
            Writers = [new AsyncFileWriter(path)],
        });
        _logger = _pipeline.CreateLogger(PeerSetup.Category);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Log(int orderId, int quantity, double price, string symbol) => _logger.OrderFilled(orderId, quantity, price, symbol);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void LogDisabled(int orderId, int quantity, double price, string symbol) => _logger.OrderFilledDebug(orderId, quantity, price, symbol);

    public void LogDisabledLoop(int calls)
    {
        var logger = _logger;
        for (int i = 0; i < calls; i++) logger.OrderFilledDebug(i, PeerSetup.Quantity, PeerSetup.Price, PeerSetup.Symbol);
    }

    /// <summary>FlushAllAsync: every record accepted so far is formatted, written and flushed.</summary>
    public void Flush() => _pipeline?.FlushAllAsync().GetAwaiter().GetResult();

    public void Dispose()
    {
        var pipeline = _pipeline;
        if (pipeline is null) return;
        _pipeline = null;
        pipeline.DisposeAsync().AsTask().GetAwaiter().GetResult();
        var m = pipeline.GetMetrics();
        Counters = $"accepted={m.LogsAccepted} processed={m.LogsProcessed} dropped={m.LogsDropped} rejected={m.LogsRejected} producerWaits={m.ProducerWaits} truncated={m.LogsTruncated} formatErrors={m.FormatErrors}";
    }
}
