using System.Threading.Tasks;
using Kakashi.Analyzers.Tests.Infrastructure;
using Kakashi.Generators.Analyzers;

namespace Kakashi.Analyzers.Tests;

public class LevelAnalyzerTests
{
    private static Task Check(string source) => Verify.AnalyzerAsync<LevelAnalyzer>(Verify.Usings + source);

    [Fact]
    public Task Attribute_level_or_level_parameter_report_nothing() => Check("""
        public static partial class Log
        {
            [KakashiLog(LogLevel.Critical, "A {Value}")] public static partial void A(this KakashiLogger logger, int value);
            [KakashiLog(LogLevel.Trace, "B {Value}")] public static partial void B(this KakashiLogger logger, int value);
            [KakashiLog("C {Value}")] public static partial void C(this KakashiLogger logger, LogLevel level, int value);
            [KakashiLog("D {Level} {Value}")] public static partial void D(this KakashiLogger logger, LogLevel level, int value);
        }
        """);

    [Fact]
    public Task KAK030_level_None_or_out_of_range() => Check("""
        public static partial class Log
        {
            [KakashiLog({|KAK030:LogLevel.None|}, "A {Value}")] public static partial void A(this KakashiLogger logger, int value);
            [KakashiLog({|KAK030:(LogLevel)42|}, "B {Value}")] public static partial void B(this KakashiLogger logger, int value);
            [KakashiLog({|KAK030:(LogLevel)(-1)|}, "C {Value}")] public static partial void C(this KakashiLogger logger, int value);
        }
        """);

    [Fact]
    public Task KAK031_attribute_level_and_level_parameter() => Check("""
        public static partial class Log
        {
            [KakashiLog(LogLevel.Warning, "A {Value}")] public static partial void A(this KakashiLogger logger, LogLevel {|KAK031:level|}, int value);
        }
        """);

    [Fact]
    public Task KAK032_no_level_at_all() => Check("""
        public static partial class Log
        {
            [{|KAK032:KakashiLog("A {Value}")|}] public static partial void A(this KakashiLogger logger, int value);
        }
        """);
}
