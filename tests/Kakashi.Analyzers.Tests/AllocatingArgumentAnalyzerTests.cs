using System.Threading.Tasks;
using Kakashi.Analyzers.Tests.Infrastructure;
using Kakashi.CodeFixes;
using Kakashi.Generators.Analyzers;

namespace Kakashi.Analyzers.Tests;

public class AllocatingArgumentAnalyzerTests
{
    private const string Log = """
        public static partial class Log
        {
            [KakashiLog(LogLevel.Information, "Order {Detail}")]
            public static partial void Order(this KakashiLogger logger, string detail);

            [KakashiLog(LogLevel.Information, "Span {Text}")]
            public static partial void Span(this KakashiLogger logger, ReadOnlySpan<char> text);
        }

        """;

    private static Task Check(string body) => Verify.AnalyzerAsync<AllocatingArgumentAnalyzer>(Verify.Usings + Log + """
        public static class Caller
        {
            private const string Prefix = "p";
            public static void Run(KakashiLogger logger, int id, string name)
            {
        """ + body + """
            }
        }
        """);

    [Fact]
    public Task Plain_values_constants_and_other_methods_report_nothing() => Check("""
                logger.Order(name);
                logger.Order("constant " + "folded");
                logger.Order($"constant {Prefix}");
                logger.Order(Prefix + "x");
                Console.WriteLine($"not a log method {id}");
        """);

    [Fact]
    public Task KAK042_interpolation_and_concatenation() => Check("""
                logger.Order({|KAK042:$"id={id}"|});
                Log.Order(logger, {|KAK042:"name=" + name|});
                logger.Span({|KAK042:$"id={id}"|});
        """);

    [Fact]
    public Task Fix_moves_interpolated_values_into_the_template() => Verify.CodeFixAsync<AllocatingArgumentAnalyzer, AllocatingArgumentCodeFixProvider>(Verify.Usings + """
        public sealed class Fill { public int Quantity { get; init; } }
        public static partial class Log
        {
            [KakashiLog(LogLevel.Information, "Order {Detail} done")]
            public static partial void Order(this KakashiLogger logger, string detail);
        }
        public static class Caller
        {
            public static void Run(KakashiLogger logger, long id, double price, Fill fill)
            {
                logger.Order({|KAK042:$"id={id} {{at}} {price,8:F2} x{fill.Quantity}"|});
            }
        }
        """, Verify.Usings + """
        public sealed class Fill { public int Quantity { get; init; } }
        public static partial class Log
        {
            [KakashiLog(LogLevel.Information, "Order id={Id} {{at}} {Price,8:F2} x{Quantity} done")]
            public static partial void Order(this KakashiLogger logger, long id, double price, int quantity);
        }
        public static class Caller
        {
            public static void Run(KakashiLogger logger, long id, double price, Fill fill)
            {
                logger.Order(id, price, fill.Quantity);
            }
        }
        """);

    [Fact]
    public Task No_fix_when_the_method_has_other_callers() => Verify.CodeFixAsync<AllocatingArgumentAnalyzer, AllocatingArgumentCodeFixProvider>(Verify.Usings + Log + """
        public static class Caller
        {
            public static void Run(KakashiLogger logger, long id)
            {
                logger.Order({|KAK042:$"id={id}"|});
                logger.Order("other");
            }
        }
        """, Verify.Usings + Log + """
        public static class Caller
        {
            public static void Run(KakashiLogger logger, long id)
            {
                logger.Order({|KAK042:$"id={id}"|});
                logger.Order("other");
            }
        }
        """);
}
