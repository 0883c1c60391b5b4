using BenchmarkDotNet.Attributes;
using Kakashi.Benchmarks.Peers;

namespace Kakashi.Benchmarks.Allocation;

/// <summary>
/// Caller cost of one call below the minimum level (Debug with the minimum at Information), every peer in one run,
/// Kakashi the baseline. Standard BenchmarkDotNet loop (the job comes from the command line, e.g. --job short).
/// </summary>
[MemoryDiagnoser]
public class DisabledCallBenchmarks : PeerBenchmarkBase
{
    [GlobalSetup(Target = nameof(Kakashi_Disabled))] public void SetupKakashi() => Kakashi = Create(new KakashiPeer());
    [GlobalSetup(Target = nameof(ZLogger_Disabled))] public void SetupZLogger() => ZLogger = Create(new ZLoggerPeer());
    [GlobalSetup(Target = nameof(MEL_Disabled))] public void SetupMel() => Mel = Create(new MelPeer());
    [GlobalSetup(Target = nameof(Serilog_Disabled))] public void SetupSerilog() => Serilog = Create(new SerilogPeer());
    [GlobalSetup(Target = nameof(NLog_Disabled))] public void SetupNLog() => NLog = Create(new NLogPeer());

    [GlobalCleanup] public void Cleanup() => DisposeAll();

    [Benchmark(Baseline = true)] public void Kakashi_Disabled() => Kakashi.LogDisabled(OrderId++, PeerSetup.Quantity, PeerSetup.Price, PeerSetup.Symbol);
    [Benchmark] public void ZLogger_Disabled() => ZLogger.LogDisabled(OrderId++, PeerSetup.Quantity, PeerSetup.Price, PeerSetup.Symbol);
    [Benchmark] public void MEL_Disabled() => Mel.LogDisabled(OrderId++, PeerSetup.Quantity, PeerSetup.Price, PeerSetup.Symbol);
    [Benchmark] public void Serilog_Disabled() => Serilog.LogDisabled(OrderId++, PeerSetup.Quantity, PeerSetup.Price, PeerSetup.Symbol);
    [Benchmark] public void NLog_Disabled() => NLog.LogDisabled(OrderId++, PeerSetup.Quantity, PeerSetup.Price, PeerSetup.Symbol);
}
