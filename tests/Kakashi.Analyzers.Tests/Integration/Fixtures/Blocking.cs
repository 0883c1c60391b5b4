// Misuses no stub can fix: the generator has no partial method (KAK001) or no partial type (KAK005) to implement the
// method in, so the compiler reports its own declaration error (CS0501, CS0751, CS8795) and a command-line build ends
// there, before analyzers run; the IDE (and this test, like it) shows the Kakashi reason too. Every other misuse that stops
// the generator gets a stub, so the build reports it: see Broken/Stubbed.cs.
using System;
using Kakashi;
using Microsoft.Extensions.Logging;

namespace Blocking;

public static class NotPartial                                                        // KAK005
{
    [KakashiLog(LogLevel.Information, "x {A}")]
    public static partial void A(this KakashiLogger logger, int a);                  // CS0751
}

public static class Outer                                                             // KAK005
{
    public static partial class Inner
    {
        [KakashiLog(LogLevel.Information, "x {A}")]
        public static partial void A(KakashiLogger logger, int a);                   // CS8795
    }
}

public static partial class Log
{
    [KakashiLog(LogLevel.Information, "x {A}")]
    public static void NoPartial(this KakashiLogger logger, int a);                  // KAK001, CS0501
}
