using System.Globalization;
using System.Runtime.CompilerServices;
using Serilog;
using Serilog.Core;

namespace Kakashi.Benchmarks.Peers;

/// <summary>
/// Serilog 4.4: WriteTo.Async(a => a.File(path, buffered: true)). blockWhenFull is true: the sink's default (false) drops
/// records once its 10,000-entry queue is full, which the throughput line count would show as loss.
/// </summary>
public sealed class SerilogPeer(bool clef = false) : IPeer
{
    public const string OutputTemplate = "{UtcTimestamp:o} [{Level}] {SourceContext}: {Message:lj}{NewLine}";

    private readonly QueueMonitor _monitor = new();
    private Logger? _root;
    private ILogger _logger = null!;

    public string Name => clef ? "Serilog-clef" : "Serilog";

    public string Description => $"message-template calls (params object[]); WriteTo.Async(bufferSize 10000, blockWhenFull: true) => File(buffered: true); "
        + (clef ? "RenderedCompactJsonFormatter (Serilog.Formatting.Compact 3.0: CLEF with @m)" : $"outputTemplate \"{OutputTemplate}\"");

    public string? Counters => null;

    public void Setup(string path)
    {
        _root = clef
            ? new LoggerConfiguration()
                .MinimumLevel.Information()
                .WriteTo.Async(a => a.File(new Serilog.Formatting.Compact.RenderedCompactJsonFormatter(), path, fileSizeLimitBytes: null, buffered: true),
                    blockWhenFull: true, monitor: _monitor)
                .CreateLogger()
            : new LoggerConfiguration()
                .MinimumLevel.Information()
                .WriteTo.Async(a => a.File(path, outputTemplate: OutputTemplate, formatProvider: CultureInfo.InvariantCulture,
                    fileSizeLimitBytes: null, buffered: true), blockWhenFull: true, monitor: _monitor)
                .CreateLogger();
        _logger = _root.ForContext(Constants.SourceContextPropertyName, PeerSetup.Category);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Log(int orderId, int quantity, double price, string symbol)
        => _logger.Information(PeerSetup.Template, orderId, quantity, price, symbol);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void LogDisabled(int orderId, int quantity, double price, string symbol)
        => _logger.Debug(PeerSetup.Template, orderId, quantity, price, symbol);

    public void LogDisabledLoop(int calls)
    {
        var logger = _logger;
        for (int i = 0; i < calls; i++) logger.Debug(PeerSetup.Template, i, PeerSetup.Quantity, PeerSetup.Price, PeerSetup.Symbol);
    }

    /// <summary>
    /// Serilog has no flush short of disposing: wait until the async sink's queue is empty (its inspector), then a little
    /// for the event being written. What the buffered file sink holds in its stream buffer stays there (a few KB).
    /// </summary>
    public void Flush()
    {
        var inspector = _monitor.Inspector;
        if (inspector is null) return;
        var deadline = System.Diagnostics.Stopwatch.GetTimestamp() + 60 * System.Diagnostics.Stopwatch.Frequency;
        while (inspector.Count > 0 && System.Diagnostics.Stopwatch.GetTimestamp() < deadline) System.Threading.Thread.Sleep(1);
        System.Threading.Thread.Sleep(5);
    }

    private sealed class QueueMonitor : Serilog.Sinks.Async.IAsyncLogEventSinkMonitor
    {
        public volatile Serilog.Sinks.Async.IAsyncLogEventSinkInspector? Inspector;
        public void StartMonitoring(Serilog.Sinks.Async.IAsyncLogEventSinkInspector inspector) => Inspector = inspector;
        public void StopMonitoring(Serilog.Sinks.Async.IAsyncLogEventSinkInspector inspector) => Inspector = null;
    }

    public void Dispose()
    {
        // Disposing the root logger disposes the async wrapper: it drains its queue into the file sink, which flushes and closes.
        _root?.Dispose();
        _root = null;
    }
}
