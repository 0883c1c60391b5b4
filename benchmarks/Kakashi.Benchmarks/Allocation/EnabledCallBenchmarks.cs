using System.Threading;
using BenchmarkDotNet.Attributes;
using Kakashi.Benchmarks.Peers;

namespace Kakashi.Benchmarks.Allocation;

/// <summary>
/// Caller cost of one enabled call, every peer in one run, Kakashi the baseline. An iteration is a burst of 1,000 calls and
/// each iteration starts after a 5 ms pause (IterationSetup) so the background writer has caught up: back-to-back calls for
/// a whole iteration would measure each peer's drain rate once its bounded queue is full (Kakashi, Serilog with
/// blockWhenFull, NLog with Block), against the bare enqueue of ZLogger's unbounded default queue. The burst shape and
/// the counts are fixed here (attributes override --job for this class).
/// Iterations of ~15-1,500 µs make BenchmarkDotNet warn (MinIterationTime): expected, the burst is the point.
/// </summary>
[MemoryDiagnoser]
[InvocationCount(Burst, 1)]
[WarmupCount(250)] // 250,000 warm-up calls (PERF.md asks for >= 200k): every peer's path reaches tier-1 code
[IterationCount(200)]
public class EnabledCallBenchmarks : PeerBenchmarkBase
{
    public const int Burst = 1000;

    [GlobalSetup(Target = nameof(Kakashi_Enabled))] public void SetupKakashi() => Kakashi = Create(new KakashiPeer());
    [GlobalSetup(Target = nameof(ZLogger_Enabled))] public void SetupZLogger() => ZLogger = Create(new ZLoggerPeer());
    [GlobalSetup(Target = nameof(MEL_Enabled))] public void SetupMel() => Mel = Create(new MelPeer());
    [GlobalSetup(Target = nameof(Serilog_Enabled))] public void SetupSerilog() => Serilog = Create(new SerilogPeer());
    [GlobalSetup(Target = nameof(NLog_Enabled))] public void SetupNLog() => NLog = Create(new NLogPeer());

    /// <summary>The pause between bursts (not timed): the writer drains the previous burst.</summary>
#pragma warning disable CA1822 // BenchmarkDotNet calls setup methods on the instance
    [IterationSetup] public void Pause() => Thread.Sleep(5);
#pragma warning restore CA1822

    [GlobalCleanup] public void Cleanup() => DisposeAll();

    [Benchmark(Baseline = true)] public void Kakashi_Enabled() => Kakashi.Log(OrderId++, PeerSetup.Quantity, PeerSetup.Price, PeerSetup.Symbol);
    [Benchmark] public void ZLogger_Enabled() => ZLogger.Log(OrderId++, PeerSetup.Quantity, PeerSetup.Price, PeerSetup.Symbol);
    [Benchmark] public void MEL_Enabled() => Mel.Log(OrderId++, PeerSetup.Quantity, PeerSetup.Price, PeerSetup.Symbol);
    [Benchmark] public void Serilog_Enabled() => Serilog.Log(OrderId++, PeerSetup.Quantity, PeerSetup.Price, PeerSetup.Symbol);
    [Benchmark] public void NLog_Enabled() => NLog.Log(OrderId++, PeerSetup.Quantity, PeerSetup.Price, PeerSetup.Symbol);
}
