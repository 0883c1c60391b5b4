using System.Threading.Tasks;
using Kakashi.Analyzers.Tests.Infrastructure;
using Kakashi.CodeFixes;
using Kakashi.Generators.Analyzers;

namespace Kakashi.Analyzers.Tests;

public class MethodShapeAnalyzerTests
{
    private static Task Check(string source) => Verify.AnalyzerAsync<MethodShapeAnalyzer>(Verify.Usings + source);

    [Fact]
    public Task Supported_shapes_report_nothing() => Check("""
        public static partial class Log
        {
            [KakashiLog(LogLevel.Information, "A {Value} {Other}")]
            public static partial void A(this KakashiLogger logger, in int value, ref readonly Guid other);
        }
        public partial class Outer<T>
        {
            public partial record struct Inner(KakashiLogger log)
            {
                [KakashiLog(LogLevel.Warning, "Inner {Value}")] internal partial void Warn(int value);
            }
        }
        """);

    [Fact]
    public Task KAK001_method_not_partial() => Check("""
        public static partial class Log
        {
            [KakashiLog(LogLevel.Information, "A {Value}")]
            public static void {|KAK001:A|}(this KakashiLogger logger, int value);
        }
        """);

    [Fact]
    public Task KAK002_hand_written_body_but_not_the_generated_one() => Check("""
        public static partial class Log
        {
            [KakashiLog(LogLevel.Information, "A {Value}")]
            public static partial void A(this KakashiLogger logger, int value);
            public static partial void {|KAK002:A|}(this KakashiLogger logger, int value) { }

            [KakashiLog(LogLevel.Information, "B {Value}")]
            public static partial void B(this KakashiLogger logger, int value);
        }
        """);

    [Fact]
    public Task KAK001_and_KAK002_method_with_a_body() => Check("""
        public static partial class Log
        {
            [KakashiLog(LogLevel.Information, "A {Value}")]
            public static void {|KAK001:{|KAK002:A|}|}(this KakashiLogger logger, int value) { }
        }
        """);

    [Fact]
    public Task KAK003_not_void() => Check("""
        public static partial class Log
        {
            [KakashiLog(LogLevel.Information, "A {Value}")]
            public static partial {|KAK003:int|} A(this KakashiLogger logger, int value);
        }
        """);

    [Fact]
    public Task KAK004_generic() => Check("""
        public static partial class Log
        {
            [KakashiLog(LogLevel.Information, "A {Value}")]
            public static partial void A{|KAK004:<T>|}(this KakashiLogger logger, T value);
        }
        """);

    [Fact]
    public Task KAK004_not_for_a_generic_containing_type() => Check("""
        public partial class Holder<T>(KakashiLogger log)
        {
            [KakashiLog(LogLevel.Information, "A {Value}")]
            public partial void A(int value);
        }
        """);

    [Fact]
    public Task KAK005_containing_and_enclosing_types() => Check("""
        public class {|KAK005:Outer|}
        {
            public static class {|KAK005:Log|}
            {
                [KakashiLog(LogLevel.Information, "A {Value}")]
                public static partial void A(this KakashiLogger logger, int value);
            }
            public class Unrelated { }
        }
        """);

    [Fact]
    public Task KAK006_out_ref_params_but_not_in_or_ref_readonly() => Check("""
        public static partial class Log
        {
            [KakashiLog(LogLevel.Information, "A {A} {B} {C} {D} {E}")]
            public static partial void A(this KakashiLogger logger, {|KAK006:out|} int a, {|KAK006:ref|} int b, in int c, ref readonly int d, {|KAK006:params|} int[] e);
        }
        """);

    [Fact]
    public Task KAK007_reserved_parameter_and_method_names() => Check("""
        public static partial class Log
        {
            [KakashiLog(LogLevel.Information, "A {__w} {__text0} {__texts}")]
            public static partial void A(this KakashiLogger logger, int {|KAK007:__w|}, int {|KAK007:__text0|}, int __texts);

            [KakashiLog(LogLevel.Information, "B")]
            public static partial void {|KAK007:__kakashiB|}(this KakashiLogger logger);
        }
        public partial class Engine(KakashiLogger log)
        {
            [KakashiLog(LogLevel.Information, "Tick {Log}")]
            public partial void Tick(int {|KAK007:log|});
        }
        public partial class FieldEngine(KakashiLogger log)
        {
            private readonly KakashiLogger _log = log;
            [KakashiLog(LogLevel.Information, "Tick {Log}")]
            public partial void Tick(int log);
        }
        """);

    [Fact]
    public Task Fix_adds_partial_to_the_method() => Verify.CodeFixAsync<MethodShapeAnalyzer, AddPartialCodeFixProvider>(Verify.Usings + """
        public static partial class Log
        {
            // keeps this comment
            [KakashiLog(LogLevel.Information, "A {Value}")]
            public static void {|KAK001:A|}(this KakashiLogger logger, int value);
        }
        """, Verify.Usings + """
        public static partial class Log
        {
            // keeps this comment
            [KakashiLog(LogLevel.Information, "A {Value}")]
            public static partial void A(this KakashiLogger logger, int value);
        }
        """);

    [Fact]
    public Task Fix_adds_partial_without_modifiers() => Verify.CodeFixAsync<MethodShapeAnalyzer, AddPartialCodeFixProvider>(Verify.Usings + """
        public partial class Engine(KakashiLogger log)
        {
            [KakashiLog(LogLevel.Information, "A {Value}")]
            void {|KAK001:A|}(int value);
        }
        """, Verify.Usings + """
        public partial class Engine(KakashiLogger log)
        {
            [KakashiLog(LogLevel.Information, "A {Value}")]
            partial void A(int value);
        }
        """);

    [Fact]
    public Task Fix_all_adds_partial_to_every_type() => Verify.FixAllAsync<MethodShapeAnalyzer, AddPartialCodeFixProvider>(Verify.Usings + """
        class {|KAK005:Outer|}
        {
            public static class {|KAK005:Log|}
            {
                [KakashiLog(LogLevel.Information, "A {Value}")]
                public static partial void A(this KakashiLogger logger, int value);
            }
        }
        """, Verify.Usings + """
        partial class Outer
        {
            public static partial class Log
            {
                [KakashiLog(LogLevel.Information, "A {Value}")]
                public static partial void A(this KakashiLogger logger, int value);
            }
        }
        """);
}
