// Misuses that stop the generator: the compiler reports its own declaration error (CS8795, CS0501, CS0751) and a
// command-line build ends there, before analyzers run; the IDE (and this test, like it) shows the Kakashi reason too.
using System;
using Kakashi;
using Microsoft.Extensions.Logging;

namespace Blocking;

public static class NotPartial                                                        // KAK005
{
    [KakashiLog(LogLevel.Information, "x {A}")]
    public static partial void A(this KakashiLogger logger, int a);
}

public partial class TwoLoggers(KakashiLogger a, KakashiLogger b)
{
    [KakashiLog(LogLevel.Information, "x {V}")]
    public partial void M(int v);                                                     // KAK012
}

public static partial class Log
{
    [KakashiLog(LogLevel.Information, "x {A}")]
    public static void NoPartial(this KakashiLogger logger, int a);                  // KAK001

    [KakashiLog(LogLevel.Information, "x {A}")]
    public static partial int NotVoid(this KakashiLogger logger, int a);             // KAK003

    [KakashiLog(LogLevel.Information, "x {A}")]
    public static partial void Generic<T>(this KakashiLogger logger, T a);           // KAK004, KAK040

    [KakashiLog(LogLevel.Information, "x {A}")]
    public static partial void WithOut(this KakashiLogger logger, out int a);        // KAK006

    [KakashiLog(LogLevel.Information, "x {A}")]
    public static partial void NoLogger(int a);                                      // KAK010

    [KakashiLog(LogLevel.Information, "x {A,x}")]
    public static partial void Malformed(this KakashiLogger logger, int a);          // KAK020

    [KakashiLog(LogLevel.Information, "x {Missing}")]
    public static partial void Unmatched(this KakashiLogger logger, int a);          // KAK021, KAK022

    [KakashiLog(LogLevel.None, "x {A}")]
    public static partial void NoneLevel(this KakashiLogger logger, int a);          // KAK030

    [KakashiLog("x {A}")]
    public static partial void NoLevel(this KakashiLogger logger, int a);            // KAK032

    [KakashiLog(LogLevel.Information, "via {Logger}")]
    public static partial void LoggerHole(this KakashiLogger logger);                // KAK037
}
