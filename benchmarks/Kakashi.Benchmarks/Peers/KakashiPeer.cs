using System;
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

/// <summary>
/// Kakashi: generated [KakashiLog] methods, AsyncPipeline with its defaults, one AsyncFileWriter. Variants for the cost of
/// pipeline features: <c>Kakashi-2fmt</c> adds a second file writer with its own formatter (each record is formatted
/// twice); <c>Kakashi-all</c> adds that and every shipped enricher (with a scope and an activity on the producer threads).
/// </summary>
/// <c>Kakashi-klog</c> writes the binary log instead (<see cref="BinaryLogWriter"/>, the raw drain path: no text formatted);
/// the harnesses check its file by decoding it with <see cref="Layout"/> (LogFileCheck).
public sealed class KakashiPeer(string name = "Kakashi", bool secondFormatter = false, bool allEnrichers = false, LogFormatter? formatter = null, string? layout = null, bool warmUp = true,
    NetworkOutage outage = NetworkOutage.None, bool binary = false) : IPeer
{
    /// <summary>The Kakashi-ts variant: a custom timestamp format instead of the round-trip one.</summary>
    public const string CustomTimestampLayout = "{Timestamp:yyyy-MM-dd HH:mm:ss.fff} [{Level}] {Category}: {Message}{NewLine}";

    public const string Layout = "{Timestamp:O} [{Level}] {Category}: {Message}{NewLine}";
    public const string SecondLayout = "{Timestamp:O}|{Level:u3}|{EventId}|{ThreadId}|{Category}|{Message}{NewLine}";
    public const string EnrichedLayout = "{Timestamp:O} [{Level}] {Category}: {Message} {Properties}{NewLine}";

    private AsyncPipeline? _pipeline;
    private KakashiLogger _logger = null!;
    private string? _secondPath;
    private HungEndpoint? _outage;

    public string Name => name;

    private string LayoutText => layout ?? (allEnrichers ? EnrichedLayout : Layout);

    public string Description => binary
        ? $"[KakashiLog] generated methods; AsyncPipeline defaults (1 MiB ring per thread, Park drain); one BinaryLogWriter with its defaults (AsyncFileWriter's: 256 KiB write-outs, no fsync): .klog records, the raw drain path; clock {Kakashi.Clock.KakashiClock.Source}"
        : $"[KakashiLog] generated methods; AsyncPipeline defaults (1 MiB ring per thread, Park drain); AsyncFileWriter defaults; clock {Kakashi.Clock.KakashiClock.Source}; "
        + (formatter is JsonFormatter json ? $"JsonFormatter {{ Fields = {json.Fields}, IncludeTemplate = {json.IncludeTemplate} }}" : $"layout \"{LayoutText}\"")
        + (warmUp ? "" : "; WarmUp = false (no start-up warm-up of the formatting path)")
        + (secondFormatter ? $"; a second AsyncFileWriter with its own formatter \"{SecondLayout}\"" : "")
        + (outage == NetworkOutage.Down ? "; plus an AsyncNetworkWriter (JSON) whose endpoint refuses connections (a closed port): retries, breaker" : "")
        + (outage == NetworkOutage.Hung ? "; plus an AsyncNetworkWriter (JSON) whose endpoint accepts connections and never answers: 5 s timeouts, breaker" : "")
        + (allEnrichers ? "; every shipped enricher (machine, process, application, properties, thread, scope, activity), a scope and an activity on each producer thread" : "");

    public string? Counters { get; private set; }

    public void Setup(string path)
    {
        var config = new AsyncPipelineConfig
        {
            MinLevel = LogLevel.Information,
            Formatter = formatter ?? new TextFormatter(LayoutText),
            WarmUp = warmUp,
            Writers = [binary ? new BinaryLogWriter(path) : new AsyncFileWriter(path)],
        };
        if (secondFormatter)
        {
            _secondPath = path + ".second";
            config.Writers.Add(new AsyncFileWriter(_secondPath) { Formatter = new TextFormatter(SecondLayout) });
        }
        if (outage != NetworkOutage.None)
        {
            _outage = outage == NetworkOutage.Hung ? new HungEndpoint() : null;
            int port = _outage?.Port ?? HungEndpoint.ClosedPort();
            config.Writers.Add(new AsyncNetworkWriter($"http://127.0.0.1:{port}/"));
        }
        if (allEnrichers)
        {
            foreach (var enricher in new ILogEnricher[]
            {
                new MachineNameEnricher(), new ProcessEnricher(), new ApplicationEnricher("bench", "1.0"),
                new PropertiesEnricher(("Region", "eu-west"), ("Env", "bench")), new ThreadEnricher(), new ScopeEnricher(), new ActivityEnricher(),
            }) config.Enrichers.Add(enricher);
        }
        _pipeline = new AsyncPipeline(config);
        _logger = _pipeline.CreateLogger(PeerSetup.Category);
    }

    /// <summary>Called on each producer thread before it logs: the caller context the enrichers read.</summary>
    public IDisposable? EnterProducer()
    {
        if (!allEnrichers) return null;
        var activity = new System.Diagnostics.Activity("request").Start();
        var scope = _logger.BeginScope("RequestId", 42);
        return new Both(scope, activity);
    }

    private sealed class Both(IDisposable a, IDisposable b) : IDisposable
    {
        public void Dispose()
        {
            a.Dispose();
            b.Dispose();
        }
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
        long drainAllocated = pipeline.DrainAllocatedBytes; // the drain thread's own allocations over the whole run (warm-up included)
        pipeline.DisposeAsync().AsTask().GetAwaiter().GetResult();
        if (_secondPath is not null) System.IO.File.Delete(_secondPath);
        _outage?.Dispose();
        var m = pipeline.GetMetrics();
        Counters = $"accepted={m.LogsAccepted} processed={m.LogsProcessed} dropped={m.LogsDropped} rejected={m.LogsRejected} producerWaits={m.ProducerWaits} truncated={m.LogsTruncated} formatErrors={m.FormatErrors} drainAllocatedBytes={drainAllocated}";
    }
}

/// <summary>A network writer next to the file that cannot deliver: the isolation runs (its callers must not notice).</summary>
public enum NetworkOutage
{
    None,
    /// <summary>Connections refused.</summary>
    Down,
    /// <summary>Connections accepted, requests never read or answered.</summary>
    Hung,
}

/// <summary>A loopback TCP port that accepts connections and never reads from them or answers.</summary>
public sealed class HungEndpoint : IDisposable
{
    private readonly System.Net.Sockets.TcpListener _listener = new(System.Net.IPAddress.Loopback, 0);
    private readonly System.Collections.Concurrent.ConcurrentBag<System.Net.Sockets.Socket> _accepted = new();

    public HungEndpoint()
    {
        _listener.Start();
        _ = System.Threading.Tasks.Task.Run(async () =>
        {
            try
            {
                while (true) _accepted.Add(await _listener.AcceptSocketAsync());
            }
            catch (Exception)
            {
                // stopped
            }
        });
    }

    public int Port => ((System.Net.IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>A port nothing listens on (connections to it are refused).</summary>
    public static int ClosedPort()
    {
        var probe = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        probe.Start();
        int port = ((System.Net.IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        return port;
    }

    public void Dispose()
    {
        _listener.Stop();
        foreach (var socket in _accepted) socket.Dispose();
    }
}
