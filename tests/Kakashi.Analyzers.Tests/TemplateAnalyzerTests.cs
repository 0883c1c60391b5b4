using System.Threading.Tasks;
using Kakashi.Analyzers.Tests.Infrastructure;
using Kakashi.CodeFixes;
using Kakashi.Generators.Analyzers;

namespace Kakashi.Analyzers.Tests;

public class TemplateAnalyzerTests
{
    private static Task Check(string source) => Verify.AnalyzerAsync<TemplateAnalyzer>(Verify.Usings + source);

    private static string Method(string message, string parameters = "int value")
        => "public static partial class Log\n{\n    [KakashiLog(LogLevel.Information, " + message + ")]\n    public static partial void M(this KakashiLogger logger, " + parameters + ");\n}\n";

    [Theory]
    [InlineData("\"Value {Value}\"")]
    [InlineData("\"{Value,10} {Value,-5:F2} {value:X}\"")]
    [InlineData("\"{@Value} and {$Value}\"")]
    [InlineData("\"{{literal}} {Value} }}\"")]
    [InlineData("@\"Verbatim \"\"{Value}\"\"\"")]
    [InlineData("\"\"\"Raw {Value}\"\"\"")]
    [InlineData("\"Error code {Value}\"")]
    public Task Good_templates_report_nothing(string message) => Check(Method(message));

    [Fact]
    public Task Logger_level_and_exception_need_no_hole() => Check("""
        public static partial class Log
        {
            [KakashiLog("Failed {Value}")]
            public static partial void M(this KakashiLogger logger, LogLevel level, int value, Exception? error);
        }
        """);

    [Theory]
    [InlineData("\"Value {Value,{|KAK020:x|}}\"")]
    [InlineData("\"Value {|KAK020:{}|} {Value}\"")]
    [InlineData("\"Value {|KAK020:}|} {Value}\"")]
    [InlineData("\"Value {Value} {|KAK020:{|}\"")]
    [InlineData("\"Value {|KAK020:{Order Id}|}\"")]
    [InlineData("\"\\tValue {Value,{|KAK020:x|}}\"")]
    public Task KAK020_malformed(string message) => Check(Method(message));

    [Fact]
    public Task KAK020_stray_brace_in_a_template_without_holes() => Check("""
        public static partial class Log
        {
            [KakashiLog(LogLevel.Information, "No holes {|KAK020:{|} here")] public static partial void A(this KakashiLogger logger);
            [KakashiLog(LogLevel.Information, "No holes {{ here }}")] public static partial void B(this KakashiLogger logger);
        }
        """);

    [Fact]
    public Task KAK021_hole_without_parameter() => Check(Method("\"Order {|KAK021:{OrderId}|} filled {Value}\""));

    [Fact]
    public Task KAK022_parameter_not_in_template() => Check(Method("\"Value {Value}\"", "int value, int {|KAK022:unused|}"));

    [Fact]
    public Task KAK023_holes_differ_only_by_case() => Check(Method("\"{Value} {|KAK023:{value}|}\"", "int Value, int value"));

    [Fact]
    public Task KAK023_not_when_both_bind_the_same_parameter() => Check(Method("\"{Value} {value}\""));

    [Fact]
    public Task KAK024_null_message() => Check(Method("{|KAK024:null!|}", "int value"));

    [Fact]
    public Task KAK025_empty_message() => Check(Method("{|KAK025:\" \"|}", "int {|KAK022:value|}"));

    [Theory]
    [InlineData("\"{|KAK026:ERROR:|} failed {Value}\"")]
    [InlineData("\" {|KAK026:[Warn]|} value {Value}\"")]
    [InlineData("\"{|KAK026:Info -|} value {Value}\"")]
    public Task KAK026_level_prefix(string message) => Check(Method(message));

    [Theory]
    [InlineData("\"Errors: {Value}\"")]
    [InlineData("\"Information {Value}\"")]
    [InlineData("\"Debugger: {Value}\"")]
    public Task KAK026_not_for_words_that_only_look_like_levels(string message) => Check(Method(message));

    [Theory]
    [InlineData("\"Price {|KAK027:{Price:Q2}|}\"", "double price")]
    [InlineData("\"At {|KAK027:{At:yyyy-MM-dd %}|}\"", "DateTime at")]
    [InlineData("\"At {|KAK027:{At:Z}|}\"", "DateTime? at")]
    [InlineData("\"Id {|KAK027:{Id:Q}|}\"", "Guid id")]
    [InlineData("\"Took {|KAK027:{Took:yyyy}|}\"", "TimeSpan took")]
    [InlineData("\"Count {|KAK027:{Count:Y}|}\"", "int count")]
    public Task KAK027_format_the_type_rejects(string message, string parameters) => Check(Method(message, parameters));

    [Theory]
    [InlineData("\"Price {Price:F2} {Price:0.00#} {Price:E3} {Price:R}\"", "double price")]
    [InlineData("\"At {At:yyyy-MM-dd HH:mm:ss.fff} {At:O} {At:u}\"", "DateTime at")]
    [InlineData("\"Id {Id:N} {Id:B}\"", "Guid id")]
    [InlineData("\"Took {Took:c} {Took:hh\\\\:mm}\"", "TimeSpan took")]
    [InlineData("\"Count {Count:X8} {Count:#,0}\"", "int count")]
    [InlineData("\"Side {Side:Q2}\"", "DayOfWeek side")] // not a type the check knows: not judged
    public Task Formats_the_type_accepts_report_nothing(string message, string parameters) => Check(Method(message, parameters));

    [Fact]
    public Task KAK036_exception_as_a_hole() => Check(Method("\"Failed {|KAK036:{Error}|}\"", "Exception error"));

    [Fact]
    public Task KAK037_logger_as_a_hole() => Check(Method("\"Via {|KAK037:{Logger}|} {Value}\""));

    [Fact]
    public Task Fix_adds_a_parameter_for_the_hole() => Verify.CodeFixAsync<TemplateAnalyzer, HoleWithoutParameterCodeFixProvider>(
        Verify.Usings + Method("\"Order {|KAK021:{OrderId}|} {Value}\""),
        Verify.Usings + Method("\"Order {OrderId} {Value}\"", "int value, string orderId"),
        "HoleWithoutParameterCodeFixProvider.Add");

    [Fact]
    public Task Fix_renames_the_hole_to_the_closest_parameter() => Verify.CodeFixAsync<TemplateAnalyzer, HoleWithoutParameterCodeFixProvider>(
        Verify.Usings + Method("\"\\tOrder {|KAK021:{OrderIdd,5:X}|}\"", "long {|KAK022:orderId|}"),
        Verify.Usings + Method("\"\\tOrder {OrderId,5:X}\"", "long orderId"),
        "HoleWithoutParameterCodeFixProvider.Rename");

    [Fact]
    public Task Fix_adds_the_parameter_to_the_template() => Verify.CodeFixAsync<TemplateAnalyzer, ParameterNotInTemplateCodeFixProvider>(
        Verify.Usings + Method("\"Value {Value}\" /* kept */", "int value, int {|KAK022:count|}"),
        Verify.Usings + Method("\"Value {Value} {Count}\" /* kept */", "int value, int count"),
        "ParameterNotInTemplateCodeFixProvider.Add");

    [Fact]
    public Task Fix_removes_the_parameter_and_its_arguments() => Verify.CodeFixAsync<TemplateAnalyzer, ParameterNotInTemplateCodeFixProvider>(
        Verify.Usings + Method("\"Value {Value}\"", "int value, int {|KAK022:count|}") + """
            public static class Caller
            {
                public static void Run(KakashiLogger logger)
                {
                    logger.M(1, 2);
                    Log.M(logger, value: 3, count: 4);
                }
            }
            """,
        Verify.Usings + Method("\"Value {Value}\"", "int value") + """
            public static class Caller
            {
                public static void Run(KakashiLogger logger)
                {
                    logger.M(1);
                    Log.M(logger, value: 3);
                }
            }
            """,
        "ParameterNotInTemplateCodeFixProvider.Remove");

    [Fact]
    public Task Fix_all_removes_unused_parameters() => Verify.FixAllAsync<TemplateAnalyzer, ParameterNotInTemplateCodeFixProvider>(Verify.Usings + """
        public static partial class Log
        {
            [KakashiLog(LogLevel.Information, "A {Value}")] public static partial void A(this KakashiLogger logger, int value, int {|KAK022:a|});
            [KakashiLog(LogLevel.Information, "B {Value}")] public static partial void B(this KakashiLogger logger, int {|KAK022:b|}, int value);
        }
        """, Verify.Usings + """
        public static partial class Log
        {
            [KakashiLog(LogLevel.Information, "A {Value}")] public static partial void A(this KakashiLogger logger, int value);
            [KakashiLog(LogLevel.Information, "B {Value}")] public static partial void B(this KakashiLogger logger, int value);
        }
        """, "ParameterNotInTemplateCodeFixProvider.Remove");
}
