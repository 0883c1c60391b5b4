using System;
using System.IO;
using System.Threading;
using BenchmarkDotNet.Attributes;
using Kakashi.Benchmarks.Infrastructure;
using Kakashi.Benchmarks.Peers;
using Microsoft.Extensions.Logging;

namespace Kakashi.Benchmarks.Allocation;

/// <summary>
/// The <c>ILogger</c> path (issue 11): the same MEL calls, <c>LogInformation(template, args)</c> and a <c>[LoggerMessage]</c>
/// method (<see cref="MelBenchLog.OrderFilled"/>), through Kakashi's provider (JSON to a file), ZLogger's provider (its file
/// provider, JSON) and MEL's console provider (simple formatter, Console.Out sent to TextWriter.Null: its queue and formatting
/// are measured, not a terminal), one run. Bursts of 1,000 calls after a 5 ms pause, as <see cref="EnabledCallBenchmarks"/>.
/// MEL's own allocations (the params array and the boxes of <c>LogInformation</c>) are in every row alike.
/// </summary>
[MemoryDiagnoser]
[System.Diagnostics.CodeAnalysis.SuppressMessage("Performance", "CA1873", Justification = "the LogInformation(template, args) call as applications write it is what is measured")]
[InvocationCount(EnabledCallBenchmarks.Burst, 1)]
[WarmupCount(250)]
[IterationCount(200)]
public class ILoggerBenchmarks
{
    private TempFolder? _temp;
    private ILoggerFactory? _factory;
    private AsyncPipeline? _pipeline;
    private TextWriter? _console;
    private ILogger _logger = null!;
    private int _orderId;

    [GlobalSetup(Targets = [nameof(Kakashi_LogInformation), nameof(Kakashi_LoggerMessage)])]
    public void SetupKakashi()
    {
        _temp = new TempFolder("bdn-ilogger");
        _pipeline = new AsyncPipeline(new AsyncPipelineConfig
        {
            Formatter = new JsonFormatter(),
            Writers = [new AsyncFileWriter(Path.Combine(_temp.Path, "kakashi.json"))],
        });
        _factory = LoggerFactory.Create(b => b.ClearProviders().SetMinimumLevel(LogLevel.Information).AddProvider(new KakashiLoggerProvider(_pipeline)));
        _logger = _factory.CreateLogger(PeerSetup.Category);
    }

    [GlobalSetup(Targets = [nameof(ZLogger_LogInformation), nameof(ZLogger_LoggerMessage)])]
    public void SetupZLogger()
    {
        _temp = new TempFolder("bdn-ilogger");
        _factory = ZLoggerFile.CreateFactory(Path.Combine(_temp.Path, "zlogger.json"), json: true);
        _logger = _factory.CreateLogger(PeerSetup.Category);
    }

    [GlobalSetup(Targets = [nameof(Console_LogInformation), nameof(Console_LoggerMessage)])]
    public void SetupConsole()
    {
        _console = Console.Out;
        Console.SetOut(TextWriter.Null);
        _factory = LoggerFactory.Create(b => b.ClearProviders().SetMinimumLevel(LogLevel.Information).AddSimpleConsole());
        _logger = _factory.CreateLogger(PeerSetup.Category);
    }

#pragma warning disable CA1822 // BenchmarkDotNet calls setup methods on the instance
    [IterationSetup] public void Pause() => Thread.Sleep(5);
#pragma warning restore CA1822

    [GlobalCleanup]
    public void Cleanup()
    {
        _factory?.Dispose();
        _pipeline?.Dispose();
        if (_console is not null) Console.SetOut(_console);
        _temp?.Dispose();
    }

    [Benchmark(Baseline = true)] public void Kakashi_LogInformation() => _logger.LogInformation(PeerSetup.Template, _orderId++, PeerSetup.Quantity, PeerSetup.Price, PeerSetup.Symbol);
    [Benchmark] public void ZLogger_LogInformation() => _logger.LogInformation(PeerSetup.Template, _orderId++, PeerSetup.Quantity, PeerSetup.Price, PeerSetup.Symbol);
    [Benchmark] public void Console_LogInformation() => _logger.LogInformation(PeerSetup.Template, _orderId++, PeerSetup.Quantity, PeerSetup.Price, PeerSetup.Symbol);
    [Benchmark] public void Kakashi_LoggerMessage() => MelBenchLog.OrderFilled(_logger, _orderId++, PeerSetup.Quantity, PeerSetup.Price, PeerSetup.Symbol);
    [Benchmark] public void ZLogger_LoggerMessage() => MelBenchLog.OrderFilled(_logger, _orderId++, PeerSetup.Quantity, PeerSetup.Price, PeerSetup.Symbol);
    [Benchmark] public void Console_LoggerMessage() => MelBenchLog.OrderFilled(_logger, _orderId++, PeerSetup.Quantity, PeerSetup.Price, PeerSetup.Symbol);
}
