// Misuses that still compile (the generator writes these methods): a build of this project must fail with exactly these
// Kakashi ids (and those of Stubbed.cs, where the generator writes stubs), warnings included (TreatWarningsAsErrors), and
// no compiler error. Misuses no stub can fix are in Fixtures/Blocking.cs: the compiler's own error for them (CS0501,
// CS0751, CS8795) ends a command-line build before analyzers run.
using System;
using Kakashi;
using Microsoft.Extensions.Logging;

namespace Broken;

public class Order { }

public partial class Engine(KakashiLogger log)
{
    private readonly KakashiLogger _log = log;

    [KakashiLog(LogLevel.Information, "x {A}")]
    public static partial void StaticBesideField(KakashiLogger logger, int a);                         // KAK013
}

public static partial class Log
{
    [KakashiLog(LogLevel.Information, "x {A}", EventId = 5)]
    public static partial void Unused(this KakashiLogger logger, int a, int unused);                   // KAK022

    [KakashiLog(LogLevel.Information, "x {A} {a}", EventId = 5)]
    public static partial void CaseOnly(this KakashiLogger logger, int A, int a);                      // KAK023, KAK033

    [KakashiLog(LogLevel.Warning, "x {A}", EventName = "Same")]
    public static partial void LevelTwice(this KakashiLogger logger, LogLevel level, int a);           // KAK031

    [KakashiLog(LogLevel.Information, "x {A}", EventName = "Same")]
    public static partial void SameName(this KakashiLogger logger, int a);                             // KAK035

    [KakashiLog(LogLevel.Error, "failed {Error}")]
    public static partial void ExceptionHole(this KakashiLogger logger, Exception error);              // KAK036

    [KakashiLog(LogLevel.Information, "x {A}")]
    public static partial void Allocates(this KakashiLogger logger, Order a);                          // KAK040

    [KakashiLog(LogLevel.Error, "failed")]
    public static partial void TwoErrors(this KakashiLogger logger, Exception first, Exception second); // KAK041

    [KakashiLog(LogLevel.Information, "x {Detail}")]
    public static partial void Text(this KakashiLogger logger, string detail);
}

public static class Calls
{
    public static AsyncPipelineConfig Run(KakashiLogger logger, int id)
    {
        logger.Text($"id={id}");                                                                       // KAK042
        var config = new AsyncPipelineConfig
        {
            BufferSize = 3000 * 1024,                                                                  // KAK050
            MaxBatchRecords = 0,                                                                       // KAK051
            ShutdownTimeout = TimeSpan.Zero,                                                           // KAK052
            FlushInterval = TimeSpan.FromMinutes(5),                                                   // KAK053
            BackpressureLimit = 1024,                                                                  // KAK056
            Backpressure = new BackpressureConfig
            {
                BufferSize = 65536,
                WarningThreshold = 60_000,                                                             // KAK054
                DropThreshold = 50_000,
            },
            Writers = [new AsyncFileWriter("app.log") { BatchSize = 1 << 20, QueueLimit = 65536 }],     // KAK057
        };
        var backpressure = new BackpressureConfig { BufferSize = 65536, DropThreshold = 70_000 };      // KAK055
        return config;
    }
}
