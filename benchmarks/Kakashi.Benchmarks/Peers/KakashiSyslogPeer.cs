using System;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using Microsoft.Extensions.Logging;

namespace Kakashi.Benchmarks.Peers;

/// <summary>
/// <c>Kakashi-syslog-tcp</c>: the Kakashi peer's file (what the harness checks) plus a <see cref="SyslogWriter"/> sending
/// every record as RFC 5424 with octet counting over loopback TCP to an in-process sink that reads and discards the bytes
/// (counted): the cost of a second formatter (<see cref="SyslogFormatter"/>, structured data included) and of the socket
/// path next to the file. The sink shares the machine's cores with the run.
/// </summary>
public sealed class KakashiSyslogPeer : IPeer
{
    private AsyncPipeline? _pipeline;
    private KakashiLogger _logger = null!;
    private TcpListener? _listener;
    private Thread? _sink;
    private long _received;

    public string Name => "Kakashi-syslog-tcp";

    public string Description => $"[KakashiLog] generated methods; AsyncPipeline defaults; AsyncFileWriter with layout \"{KakashiPeer.Layout}\"; "
        + "and a SyslogWriter (TCP, octet counting, SyslogFormatter RFC 5424 with structured data) to an in-process loopback sink that discards what it reads";

    public string? Counters { get; private set; }

    public void Setup(string path)
    {
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        int port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _sink = new Thread(Drain) { IsBackground = true, Name = "syslog-sink" };
        _sink.Start();
        _pipeline = new AsyncPipeline(new AsyncPipelineConfig
        {
            MinLevel = LogLevel.Information,
            Formatter = new TextFormatter(KakashiPeer.Layout),
            Writers = [new AsyncFileWriter(path), new SyslogWriter("127.0.0.1", port) { AppName = "bench", HostName = "bench-host" }],
        });
        _logger = _pipeline.CreateLogger(PeerSetup.Category);
    }

    private void Drain()
    {
        var buffer = new byte[256 * 1024];
        try
        {
            while (true)
            {
                using var client = _listener!.AcceptSocket();
                int n;
                while ((n = client.Receive(buffer)) > 0) Interlocked.Add(ref _received, n);
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or InvalidOperationException)
        {
            // the listener was stopped
        }
    }

    public void Log(int orderId, int quantity, double price, string symbol) => _logger.OrderFilled(orderId, quantity, price, symbol);

    public void LogDisabled(int orderId, int quantity, double price, string symbol) => _logger.OrderFilledDebug(orderId, quantity, price, symbol);

    public void LogDisabledLoop(int calls)
    {
        var logger = _logger;
        for (int i = 0; i < calls; i++) logger.OrderFilledDebug(i, PeerSetup.Quantity, PeerSetup.Price, PeerSetup.Symbol);
    }

    public void Flush() => _pipeline?.FlushAllAsync().GetAwaiter().GetResult();

    public void Dispose()
    {
        var pipeline = _pipeline;
        if (pipeline is null) return;
        _pipeline = null;
        pipeline.DisposeAsync().AsTask().GetAwaiter().GetResult();
        var m = pipeline.GetMetrics();
        var syslog = m.Writers[1];
        _listener?.Stop();
        _sink?.Join(5000);
        Counters = $"accepted={m.LogsAccepted} processed={m.LogsProcessed} dropped={m.LogsDropped} syslogWritten={syslog.Written} syslogDropped={syslog.Dropped} syslogFailed={syslog.Failed} sinkBytes={Interlocked.Read(ref _received)}";
    }
}
