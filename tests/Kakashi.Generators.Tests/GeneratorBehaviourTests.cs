using System.Linq;

namespace Kakashi.Generators.Tests;

/// <summary>Methods the generator cannot write are skipped without crashing (the analyzers report why).</summary>
public class GeneratorBehaviourTests
{
    private const string Usings = "using System;\nusing Kakashi;\nusing Microsoft.Extensions.Logging;\n";

    [Theory]
    [InlineData("not partial type", "public static class C { [KakashiLog(LogLevel.Information, \"x {A}\")] public static partial void M(KakashiLogger l, int a); }")]
    [InlineData("hole without parameter", "public static partial class C { [KakashiLog(LogLevel.Information, \"x {Missing}\")] public static partial void M(KakashiLogger l, int a); }")]
    [InlineData("no logger", "public static partial class C { [KakashiLog(LogLevel.Information, \"x {A}\")] public static partial void M(int a); }")]
    [InlineData("returns a value", "public static partial class C { [KakashiLog(LogLevel.Information, \"x {A}\")] public static partial int M(KakashiLogger l, int a); }")]
    [InlineData("generic method", "public static partial class C { [KakashiLog(LogLevel.Information, \"x {A}\")] public static partial void M<T>(KakashiLogger l, T a); }")]
    [InlineData("out parameter", "public static partial class C { [KakashiLog(LogLevel.Information, \"x {A}\")] public static partial void M(KakashiLogger l, out int a); }")]
    [InlineData("malformed template", "public static partial class C { [KakashiLog(LogLevel.Information, \"x {A,x}\")] public static partial void M(KakashiLogger l, int a); }")]
    [InlineData("level None", "public static partial class C { [KakashiLog(LogLevel.None, \"x {A}\")] public static partial void M(KakashiLogger l, int a); }")]
    [InlineData("no level at all", "public static partial class C { [KakashiLog(\"x {A}\")] public static partial void M(KakashiLogger l, int a); }")]
    [InlineData("two logger fields", "public partial class C(KakashiLogger a, KakashiLogger b) { KakashiLogger _a = a; KakashiLogger _b = b; [KakashiLog(LogLevel.Information, \"x {V}\")] partial void M(int v); }")]
    public void Skips_methods_it_cannot_write(string why, string source)
    {
        var (sources, _) = GeneratorHarness.Run(Usings + source);
        Assert.True(sources.IsEmpty, why);
    }

    [Fact]
    public void Holes_bind_case_insensitively_and_in_any_order()
    {
        var (sources, diagnostics) = GeneratorHarness.Run(Usings + """
            public static partial class C
            {
                [KakashiLog(LogLevel.Information, "{B} then {a} then {B:X}")]
                public static partial void M(KakashiLogger l, int a, int b);
            }
            """);
        Assert.Empty(diagnostics);
        string code = sources.Single().SourceText.ToString();
        Assert.Contains("TemplateSegment.Hole(\"B\", 1, 0, null)", code, System.StringComparison.Ordinal);
        Assert.Contains("TemplateSegment.Hole(\"a\", 0, 0, null)", code, System.StringComparison.Ordinal);
        Assert.Contains("TemplateSegment.Hole(\"B\", 1, 0, \"X\")", code, System.StringComparison.Ordinal);
    }

    [Fact]
    public void Many_methods_in_one_type_each_get_their_own_file()
    {
        var (sources, diagnostics) = GeneratorHarness.Run(Usings + """
            public static partial class C
            {
                [KakashiLog(LogLevel.Information, "one {A}")] public static partial void M(KakashiLogger l, int a);
                [KakashiLog(LogLevel.Information, "two {A}")] public static partial void M(KakashiLogger l, string a);
            }
            """);
        Assert.Empty(diagnostics);
        Assert.Equal(2, sources.Length);
        Assert.Equal(2, sources.Select(s => s.HintName).Distinct().Count());
    }
}

public class SigilBindingTests
{
    [Fact]
    public void Serilog_style_sigils_bind_to_the_parameter()
    {
        var (sources, diagnostics) = GeneratorHarness.Run("""
            using Kakashi;
            using Microsoft.Extensions.Logging;
            public static partial class C
            {
                [KakashiLog(LogLevel.Information, "{@Value} and {$Other}")]
                public static partial void M(KakashiLogger l, int value, string other);
            }
            """);
        Assert.Empty(diagnostics);
        Assert.Contains("TemplateSegment.Hole(\"@Value\", 0, 0, null)", Assert.Single(sources).SourceText.ToString(), System.StringComparison.Ordinal);
    }
}
