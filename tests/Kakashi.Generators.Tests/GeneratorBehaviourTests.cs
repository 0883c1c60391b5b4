using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace Kakashi.Generators.Tests;

/// <summary>
/// Methods the generator cannot write get a stub that compiles and does nothing, so the compiler does not stop at CS8795
/// and the analyzers' reason is reported; methods that cannot even have a stub are skipped without crashing.
/// </summary>
public class GeneratorBehaviourTests
{
    private const string Usings = "using System;\nusing Kakashi;\nusing Microsoft.Extensions.Logging;\n";

    [Theory]
    [InlineData("KAK021", "hole without parameter", "public static partial class C { [KakashiLog(LogLevel.Information, \"x {Missing}\")] public static partial void M(KakashiLogger l, int a); }")]
    [InlineData("KAK010", "no logger", "public static partial class C { [KakashiLog(LogLevel.Information, \"x {A}\")] public static partial void M(int a); }")]
    [InlineData("KAK011", "no logger member", "public partial class C { [KakashiLog(LogLevel.Information, \"x {A}\")] public partial void M(int a); }")]
    [InlineData("KAK003", "returns a value", "public static partial class C { [KakashiLog(LogLevel.Information, \"x {A}\")] public static partial int M(KakashiLogger l, int a); }")]
    [InlineData("KAK004", "generic method", "public static partial class C { [KakashiLog(LogLevel.Information, \"x {A}\")] public static partial void M<T>(KakashiLogger l, T a); }")]
    [InlineData("KAK006", "out parameter", "public static partial class C { [KakashiLog(LogLevel.Information, \"x {A}\")] public static partial void M(KakashiLogger l, out int a); }")]
    [InlineData("KAK006", "ref parameter", "public static partial class C { [KakashiLog(LogLevel.Information, \"x {A}\")] public static partial void M(KakashiLogger l, ref int a); }")]
    [InlineData("KAK006", "params parameter", "public static partial class C { [KakashiLog(LogLevel.Information, \"x {A}\")] public static partial void M(this KakashiLogger l, params int[] a); }")]
    [InlineData("KAK020", "malformed template", "public static partial class C { [KakashiLog(LogLevel.Information, \"x {A,x}\")] public static partial void M(KakashiLogger l, int a); }")]
    [InlineData("KAK024", "null message", "public static partial class C { [KakashiLog(LogLevel.Information, null!)] public static partial void M(KakashiLogger l, int a); }")]
    [InlineData("KAK030", "level None", "public static partial class C { [KakashiLog(LogLevel.None, \"x {A}\")] public static partial void M(KakashiLogger l, int a); }")]
    [InlineData("KAK032", "no level at all", "public static partial class C { [KakashiLog(\"x {A}\")] public static partial void M(KakashiLogger l, int a); }")]
    [InlineData("KAK037", "logger hole", "public static partial class C { [KakashiLog(LogLevel.Information, \"via {L}\")] public static partial void M(KakashiLogger l); }")]
    [InlineData("KAK012", "two logger fields", "public partial class C(KakashiLogger a, KakashiLogger b) { KakashiLogger _a = a; KakashiLogger _b = b; [KakashiLog(LogLevel.Information, \"x {V}\")] partial void M(int v); }")]
    public void Stubs_methods_it_cannot_write(string id, string why, string source)
    {
        var (sources, diagnostics) = GeneratorHarness.Run(Usings + source);
        var stub = Assert.Single(sources);
        Assert.EndsWith(".Stub.g.cs", stub.HintName, System.StringComparison.Ordinal);
        Assert.Contains("Kakashi could not generate", stub.SourceText.ToString(), System.StringComparison.Ordinal);
        Assert.True(diagnostics.IsEmpty, $"{why}: the stub must compile clean, got{System.Environment.NewLine}{string.Join(System.Environment.NewLine, diagnostics)}");

        // what is left is the analyzers' reason, as a build reports it
        var errors = Analyze(Usings + source).Where(d => d.Severity == DiagnosticSeverity.Error).Select(d => d.Id).Distinct().ToList();
        Assert.True(errors.SequenceEqual([id]), $"{why}: expected {id}, got {string.Join(", ", errors)}");
    }

    [Theory]
    [InlineData("not partial type", "public static class C { [KakashiLog(LogLevel.Information, \"x {A}\")] public static partial void M(KakashiLogger l, int a); }")]
    [InlineData("not partial enclosing type", "public static class O { public static partial class C { [KakashiLog(LogLevel.Information, \"x {Missing}\")] public static partial void M(KakashiLogger l, int a); } }")]
    [InlineData("not partial method", "public static partial class C { [KakashiLog(LogLevel.Information, \"x {Missing}\")] public static void M(KakashiLogger l, int a); }")]
    [InlineData("hand-written implementation", "public static partial class C { [KakashiLog(LogLevel.Information, \"x {Missing}\")] public static partial void M(KakashiLogger l, int a); public static partial void M(KakashiLogger l, int a) { } }")]
    public void Writes_nothing_where_no_implementation_can_go(string why, string source)
    {
        var (sources, _) = GeneratorHarness.Run(Usings + source);
        Assert.True(sources.IsEmpty, why);
    }

    /// <summary>Signatures a stub must repeat exactly (C# requires the implementation part to match the definition).</summary>
    [Theory]
    [InlineData("constraints", "using System.Collections.Generic;\npublic static partial class C { [KakashiLog(LogLevel.Information, \"x {A}\")] public static partial T M<T, U, V, W, X, Y>(this KakashiLogger l, T a, U u, V v, W w, X x, Y y) where T : class?, IComparable<T>, new() where U : struct, IEquatable<U> where V : unmanaged where W : notnull, IList<T> where X : allows ref struct where Y : T; [KakashiLog(LogLevel.Information, \"x {A}\")] public static partial void N<T, U, V, W>(KakashiLogger l, T a) where T : class, IComparable<T>?, IEquatable<List<string?>> where U : IList<T?>? where V : T? where W : struct, IComparable<W?>; }")]
    [InlineData("ref kinds", "public static partial class C { [KakashiLog(LogLevel.Information, \"x {A}\")] public static partial void M(KakashiLogger l, in int a, ref readonly int b, ref int c, out string d, scoped ref int e, scoped ReadOnlySpan<int> f, params ReadOnlySpan<int> rest); }")]
    [InlineData("ref returns", "public partial class C { public KakashiLogger Log { get; } = null!; [KakashiLog(LogLevel.Information, \"x {A}\")] public partial ref int M(int a); [KakashiLog(LogLevel.Information, \"x {A}\")] internal partial ref readonly (int First, string? Second) N(int a); }")]
    [InlineData("overloads", "public static partial class C { [KakashiLog(LogLevel.Information, \"x {B}\")] public static partial void M(KakashiLogger l, int a); [KakashiLog(LogLevel.Information, \"x {B}\")] public static partial void M(KakashiLogger l, ref int a); [KakashiLog(LogLevel.Information, \"x {B}\")] public static partial void M<T>(KakashiLogger l, int a); }")]
    [InlineData("keywords and nesting", "namespace N.M; public partial class Outer<T> where T : class { internal readonly partial struct Inner { [KakashiLog(LogLevel.Information, \"x {Class}\")] private partial string? @event(int @class, T? @in, (int A, string B) tuple); } }")]
    [InlineData("modifiers", "public abstract partial class B { public abstract void Z(); } public partial class C : B { public KakashiLogger Log { get; } = null!; [KakashiLog(LogLevel.Information, \"x {Q}\")] public sealed override partial void Z(); [KakashiLog(LogLevel.Information, \"x {Q}\")] protected internal virtual partial void Y(); [KakashiLog(LogLevel.Information, \"x {Q}\")] public new partial int GetHashCode(); }")]
    [InlineData("generic override", "public abstract partial class B { public abstract T? Z<T>(T a) where T : class; } public partial class C : B { public KakashiLogger Log { get; } = null!; [KakashiLog(LogLevel.Information, \"x {Q}\")] public override partial T? Z<T>(T a) where T : class; }")]
    [InlineData("nullable disabled", "#nullable disable\npublic static partial class C { [KakashiLog(LogLevel.Information, \"x {Q}\")] public static partial string M(KakashiLogger l, string a, out object b, int? c); [KakashiLog(LogLevel.Information, \"x {Q}\")] public static partial T G<T>(KakashiLogger l, T a) where T : class, IComparable<T>; }")]
    [InlineData("unsafe", "public static unsafe partial class C { [KakashiLog(LogLevel.Information, \"x {Q}\")] public static unsafe partial int* M(KakashiLogger l, int* a, delegate*<int, void> f); }")]
    [InlineData("unsafe type", "public static unsafe partial class C { [KakashiLog(LogLevel.Information, \"x {Q}\")] public static partial void M(KakashiLogger l, int*[] a); }")]
    [InlineData("interface and records", "public partial interface I { [KakashiLog(LogLevel.Information, \"x {Q}\")] public static partial void M(KakashiLogger l); } public partial record R { [KakashiLog(LogLevel.Information, \"x {Q}\")] public static partial void M(KakashiLogger l); } public partial record struct S { [KakashiLog(LogLevel.Information, \"x {Q}\")] public static partial void M(KakashiLogger l); }")]
    [InlineData("obsolete", "[Obsolete(\"old\")] public class Old { } public static partial class C { [Obsolete(\"old\")] [KakashiLog(LogLevel.Information, \"x {Q}\")] public static partial void M(KakashiLogger l, Old a); }")]
    public void Stub_repeats_the_declaration(string why, string source)
    {
        var (sources, diagnostics) = GeneratorHarness.Run(Usings + source);
        Assert.NotEmpty(sources);
        Assert.All(sources, s => Assert.EndsWith(".Stub.g.cs", s.HintName, System.StringComparison.Ordinal));
        Assert.True(diagnostics.IsEmpty, $"{why}:{System.Environment.NewLine}{string.Join(System.Environment.NewLine, diagnostics)}{System.Environment.NewLine}{string.Join(System.Environment.NewLine, sources.Select(s => s.SourceText.ToString()))}");
    }

    /// <summary>Compiler and analyzer diagnostics (warnings and errors) of the source after generation.</summary>
    private static ImmutableArray<Diagnostic> Analyze(string source)
    {
        var compilation = GeneratorHarness.Compile(source);
        GeneratorHarness.CreateDriver().RunGeneratorsAndUpdateCompilation(compilation, out var generated, out _);
        var analyzers = typeof(KakashiLogGenerator).Assembly.GetTypes()
            .Where(t => typeof(DiagnosticAnalyzer).IsAssignableFrom(t) && !t.IsAbstract)
            .Select(t => (DiagnosticAnalyzer)System.Activator.CreateInstance(t)!)
            .ToImmutableArray();
        var analyzerDiagnostics = generated.WithAnalyzers(analyzers).GetAnalyzerDiagnosticsAsync(CancellationToken.None).GetAwaiter().GetResult();
        return generated.GetDiagnostics().AddRange(analyzerDiagnostics).Where(d => d.Severity >= DiagnosticSeverity.Warning).ToImmutableArray();
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

public class SignatureEdgeTests
{
    [Fact]
    public void Overloads_that_differ_by_ref_kind_and_keyword_method_names_compile()
    {
        var (sources, diagnostics) = GeneratorHarness.Run("""
            using Kakashi;
            using Microsoft.Extensions.Logging;
            public static partial class C
            {
                [KakashiLog(LogLevel.Information, "by value {A}")] public static partial void M(KakashiLogger l, decimal a);
                [KakashiLog(LogLevel.Information, "by ref {A}")] public static partial void M(KakashiLogger l, in decimal a);
                [KakashiLog(LogLevel.Information, "keyword {A}")] public static partial void @event(KakashiLogger l, int a);
            }
            """);
        Assert.Empty(diagnostics);
        Assert.Equal(3, sources.Length);
        Assert.Equal(3, sources.Select(s => s.HintName).Distinct().Count());
    }
}
