// Misuses that stop the generator, in partial methods of partial types: the generator cannot write them, so it writes an
// empty stub instead, and the build gets past the compiler's declaration checks (no CS8795) to report the Kakashi reason.
// The misuses no stub can reach (a method or a type that is not partial) are in Fixtures/Blocking.cs.
using System;
using Kakashi;
using Microsoft.Extensions.Logging;

namespace Broken;

public partial class NoMember
{
    [KakashiLog(LogLevel.Information, "x {V}")]
    public partial void M(int v);                                                    // KAK011
}

public partial class TwoLoggers
{
    public KakashiLogger A { get; } = null!;
    public KakashiLogger B { get; } = null!;

    [KakashiLog(LogLevel.Information, "x {V}")]
    public partial void M(int v);                                                    // KAK012
}

public static partial class Stubbed
{
    [KakashiLog(LogLevel.Information, "x {A}")]
    public static partial int NotVoid(this KakashiLogger logger, int a);             // KAK003

    [KakashiLog(LogLevel.Information, "x {A}")]
    public static partial void Generic<T>(this KakashiLogger logger, T a)            // KAK004, KAK040
        where T : IComparable<T>;

    [KakashiLog(LogLevel.Information, "x {A} {B}")]
    public static partial void WithOut(this KakashiLogger logger, out int a, params int[] b); // KAK006

    [KakashiLog(LogLevel.Information, "x {A}")]
    public static partial void NoLogger(int a);                                      // KAK010

    [KakashiLog(LogLevel.Information, "x {A,x}")]
    public static partial void Malformed(this KakashiLogger logger, int a);          // KAK020

    [KakashiLog(LogLevel.Information, "x {Missing}")]
    public static partial void Unmatched(this KakashiLogger logger, int a);          // KAK021, KAK022

    [KakashiLog(LogLevel.Information, null!)]
    public static partial void NullMessage(this KakashiLogger logger, int a);        // KAK024

    [KakashiLog(LogLevel.None, "x {A}")]
    public static partial void NoneLevel(this KakashiLogger logger, int a);          // KAK030

    [KakashiLog("x {A}")]
    public static partial void NoLevel(this KakashiLogger logger, int a);            // KAK032

    [KakashiLog(LogLevel.Information, "via {Logger}")]
    public static partial void LoggerHole(this KakashiLogger logger);                // KAK037
}
