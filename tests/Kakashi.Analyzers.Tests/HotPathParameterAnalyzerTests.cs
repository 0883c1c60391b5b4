using System.Threading.Tasks;
using Kakashi.Analyzers.Tests.Infrastructure;
using Kakashi.Generators.Analyzers;

namespace Kakashi.Analyzers.Tests;

public class HotPathParameterAnalyzerTests
{
    private static Task Check(string source) => Verify.AnalyzerAsync<HotPathParameterAnalyzer>(Verify.Usings + source);

    private const string Types = """
        public enum Side { Buy, Sell }
        public readonly struct Price(long m) : ISpanFormattable
        {
            public string ToString(string? format, IFormatProvider? provider) => m.ToString(format, provider);
            public bool TryFormat(Span<char> d, out int w, ReadOnlySpan<char> f, IFormatProvider? p) => m.TryFormat(d, out w, f, p);
        }
        public readonly struct Label(string text) : IUtf8SpanFormattable
        {
            public bool TryFormat(Span<byte> d, out int w, ReadOnlySpan<char> f, IFormatProvider? p) { w = 0; return true; }
            public override string ToString() => text;
        }
        public readonly struct Plain(string text) { public override string ToString() => text; }
        public sealed class Order { }

        """;

    [Fact]
    public Task Every_supported_type_reports_nothing() => Check(Types + """
        public static partial class Log
        {
            [KakashiLog(LogLevel.Information, "{A}{B}{C}{D}{E}{F}{G}{H}{I}{J}{K}{L}{M}{N}{O}{P}{Q}{R}{S}{T}{U}")]
            public static partial void All(this KakashiLogger logger, int a, long b, double c, decimal d, char e, bool f, Side g, DateTime h,
                DateTimeOffset i, TimeSpan j, Guid k, Half l, Int128 m, Price n, int? o, Side? p, string? q, ReadOnlySpan<char> r, Span<char> s,
                Label t, System.Numerics.BigInteger u, Exception? error);
        }
        """);

    [Fact]
    public Task KAK040_reference_types_and_plain_structs() => Check(Types + """
        public static partial class Log
        {
            [KakashiLog(LogLevel.Information, "{A} {B} {C} {D}")]
            public static partial void M(this KakashiLogger logger, {|KAK040:Order|} a, {|KAK040:object?|} b, {|KAK040:Plain|} c, {|KAK040:int[]|} d);
        }
        """);

    [Fact]
    public Task KAK041_second_exception() => Check("""
        public static partial class Log
        {
            [KakashiLog(LogLevel.Error, "Failed")]
            public static partial void M(this KakashiLogger logger, Exception first, InvalidOperationException {|KAK041:second|});
        }
        """);
}
