using System.Threading.Tasks;
using Kakashi.Analyzers.Tests.Infrastructure;
using Kakashi.Generators.Analyzers;

namespace Kakashi.Analyzers.Tests;

public class EventIdAnalyzerTests
{
    private static Task Check(string source) => Verify.AnalyzerAsync<EventIdAnalyzer>(Verify.Usings + source);

    [Fact]
    public Task Distinct_ids_names_and_unset_ids_report_nothing() => Check("""
        public static partial class Log
        {
            [KakashiLog(LogLevel.Information, "A {Value}", EventId = 1)] public static partial void A(this KakashiLogger logger, int value);
            [KakashiLog(LogLevel.Information, "B {Value}", EventId = 2, EventName = "Bee")] public static partial void B(this KakashiLogger logger, int value);
            [KakashiLog(LogLevel.Information, "C {Value}")] public static partial void C(this KakashiLogger logger, int value);
            [KakashiLog(LogLevel.Information, "D {Value}")] public static partial void D(this KakashiLogger logger, int value);
            [KakashiLog(LogLevel.Information, "M {Value}")] public static partial void M(this KakashiLogger logger, int value);
            [KakashiLog(LogLevel.Information, "M {Value}")] public static partial void M(this KakashiLogger logger, string value);
        }
        """);

    [Fact]
    public Task KAK033_duplicate_event_id_in_a_type() => Check("""
        public static partial class Log
        {
            [KakashiLog(LogLevel.Information, "A {Value}", EventId = 7)] public static partial void A(this KakashiLogger logger, int value);
            [KakashiLog(LogLevel.Information, "B {Value}", EventId = {|KAK033:7|})] public static partial void B(this KakashiLogger logger, int value);
        }
        """);

    [Fact]
    public Task KAK034_duplicate_event_id_across_types() => Check("""
        public static partial class Orders
        {
            [KakashiLog(LogLevel.Information, "A {Value}", EventId = 7)] public static partial void A(this KakashiLogger logger, int value);
        }
        public static partial class Trades
        {
            [KakashiLog(LogLevel.Information, "B {Value}", EventId = {|KAK034:7|})] public static partial void B(this KakashiLogger logger, int value);
            [KakashiLog(LogLevel.Information, "C {Value}", EventId = 8)] public static partial void C(this KakashiLogger logger, int value);
        }
        """);

    [Fact]
    public Task KAK035_duplicate_event_name_in_a_type() => Check("""
        public static partial class Log
        {
            [KakashiLog(LogLevel.Information, "A {Value}", EventName = "Filled")] public static partial void A(this KakashiLogger logger, int value);
            [KakashiLog(LogLevel.Information, "B {Value}", EventName = {|KAK035:"Filled"|})] public static partial void B(this KakashiLogger logger, int value);
            [KakashiLog(LogLevel.Information, "D {Value}")] public static partial void D(this KakashiLogger logger, int value);
            [KakashiLog(LogLevel.Information, "C {Value}", EventName = {|KAK035:"D"|})] public static partial void C(this KakashiLogger logger, int value);
        }
        public static partial class Other
        {
            [KakashiLog(LogLevel.Information, "A {Value}", EventName = "Filled")] public static partial void A(this KakashiLogger logger, int value);
        }
        """);
}
