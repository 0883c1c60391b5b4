using System.Threading.Tasks;
using Kakashi.Analyzers.Tests.Infrastructure;
using Kakashi.Generators.Analyzers;

namespace Kakashi.Analyzers.Tests;

public class LoggerSourceAnalyzerTests
{
    private static Task Check(string source) => Verify.AnalyzerAsync<LoggerSourceAnalyzer>(Verify.Usings + source);

    [Fact]
    public Task Logger_parameter_field_property_and_primary_constructor_report_nothing() => Check("""
        public static partial class Log
        {
            [KakashiLog(LogLevel.Information, "A {Value}")] public static partial void A(this KakashiLogger logger, int value);
        }
        public partial class WithField(KakashiLogger logger)
        {
            private readonly KakashiLogger _logger = logger;
            [KakashiLog(LogLevel.Information, "A {Value}")] public partial void A(int value);
        }
        public partial class WithProperty
        {
            public KakashiLogger Logger { get; } = null!;
            [KakashiLog(LogLevel.Information, "A {Value}")] public partial void A(int value);
        }
        public partial class WithPrimary(KakashiLogger log)
        {
            [KakashiLog(LogLevel.Information, "A {Value}")] public partial void A(int value);
        }
        public partial class Derived : WithProperty
        {
            [KakashiLog(LogLevel.Information, "B {Value}")] public partial void B(int value);
        }
        """);

    [Fact]
    public Task KAK010_static_without_logger_parameter() => Check("""
        public static partial class Log
        {
            private static KakashiLogger Shared = null!;
            [KakashiLog(LogLevel.Information, "A {Value}")] public static partial void {|KAK010:A|}(int value);
        }
        """);

    [Fact]
    public Task KAK011_instance_without_logger() => Check("""
        public partial class Engine
        {
            private readonly object _logger = new();
            [KakashiLog(LogLevel.Information, "A {Value}")] public partial void {|KAK011:A|}(int value);
        }
        """);

    [Fact]
    public Task KAK011_not_when_the_logger_is_in_a_base_type() => Check("""
        public class Base { protected KakashiLogger Logger = null!; }
        public partial class Engine : Base
        {
            [KakashiLog(LogLevel.Information, "A {Value}")] public partial void A(int value);
        }
        """);

    [Fact]
    public Task KAK012_instance_with_two_loggers() => Check("""
        public partial class Engine(KakashiLogger a, KakashiLogger b)
        {
            private readonly KakashiLogger _a = a;
            private readonly KakashiLogger _b = b;
            [KakashiLog(LogLevel.Information, "A {Value}")] public partial void {|KAK012:A|}(int value);
        }
        public partial class Primary(KakashiLogger a, KakashiLogger b)
        {
            [KakashiLog(LogLevel.Information, "A {Value}")] public partial void {|KAK012:A|}(int value);
        }
        """);

    [Fact]
    public Task KAK013_static_method_beside_a_logger_member() => Check("""
        public partial class Engine(KakashiLogger log)
        {
            private readonly KakashiLogger _log = log;
            [KakashiLog(LogLevel.Information, "A {Value}")] public static partial void A(KakashiLogger {|KAK013:logger|}, int value);
        }
        """);

    [Fact]
    public Task KAK013_not_in_a_type_without_logger_member() => Check("""
        public partial class Engine(int id)
        {
            private readonly int _id = id;
            [KakashiLog(LogLevel.Information, "A {Value}")] public static partial void A(KakashiLogger logger, int value);
        }
        """);
}
