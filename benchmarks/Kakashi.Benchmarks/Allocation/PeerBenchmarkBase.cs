using System.IO;
using Kakashi.Benchmarks.Infrastructure;
using Kakashi.Benchmarks.Peers;

namespace Kakashi.Benchmarks.Allocation;

/// <summary>The five peers as fields, each set up by the benchmark that uses it (BenchmarkDotNet runs each benchmark in its own process).</summary>
public abstract class PeerBenchmarkBase
{
    private TempFolder? _temp;
    protected KakashiPeer Kakashi = null!;
    protected ZLoggerPeer ZLogger = null!;
    protected MelPeer Mel = null!;
    protected SerilogPeer Serilog = null!;
    protected NLogPeer NLog = null!;
    protected int OrderId;

    protected T Create<T>(T peer) where T : IPeer
    {
        _temp ??= new TempFolder("bdn");
        peer.Setup(Path.Combine(_temp.Path, peer.Name + ".log"));
        return peer;
    }

    protected void DisposeAll()
    {
        Kakashi?.Dispose();
        ZLogger?.Dispose();
        Mel?.Dispose();
        Serilog?.Dispose();
        NLog?.Dispose();
        _temp?.Dispose();
        _temp = null;
    }
}
