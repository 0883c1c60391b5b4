using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Kakashi.Generators;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Testing;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Testing;

namespace Kakashi.Analyzers.Tests.Infrastructure;

/// <summary>
/// Runs an analyzer (and a code fix) over test sources compiled against .NET 10 (Basic.Reference.Assemblies: no download
/// at test time), Kakashi and Microsoft.Extensions.Logging.Abstractions, with the Kakashi generator running as it does in a
/// build, so generated bodies are there and must not be reported. Expected diagnostics are written in the source with the
/// markup <c>{|KAK001:text|}</c>: the id and its exact span. Compiler diagnostics are not compared (broken shapes are the
/// point of many tests); the integration tests check that good code compiles clean.
/// </summary>
internal static class Verify
{
    public const string Usings = "using System;\nusing Kakashi;\nusing Microsoft.Extensions.Logging;\n\n";

    private static readonly ReferenceAssemblies NoPackages = new("net10.0");

    internal static readonly MetadataReference[] References =
    [
        .. Basic.Reference.Assemblies.Net100.References.All,
        MetadataReference.CreateFromFile(typeof(Kakashi.KakashiLogger).Assembly.Location),
        MetadataReference.CreateFromFile(typeof(Microsoft.Extensions.Logging.LogLevel).Assembly.Location),
    ];

    public static Task AnalyzerAsync<TAnalyzer>(string source, params DiagnosticResult[] expected) where TAnalyzer : DiagnosticAnalyzer, new()
    {
        var test = new AnalyzerTest<TAnalyzer> { TestCode = source };
        test.ExpectedDiagnostics.AddRange(expected);
        return test.RunAsync(CancellationToken.None);
    }

    /// <summary>Applies the code action with <paramref name="equivalenceKey"/> (or the only one) and compares with <paramref name="fixedSource"/>.</summary>
    public static Task CodeFixAsync<TAnalyzer, TFix>(string source, string fixedSource, string? equivalenceKey = null, string[]? additionalSources = null, string[]? additionalFixedSources = null)
        where TAnalyzer : DiagnosticAnalyzer, new()
        where TFix : CodeFixProvider, new()
    {
        var test = new CodeFixTest<TAnalyzer, TFix> { TestCode = source, FixedCode = fixedSource, CodeActionEquivalenceKey = equivalenceKey };
        foreach (var (extra, i) in (additionalSources ?? []).Select((s, i) => (s, i))) test.TestState.Sources.Add(($"/0/Test{i + 1}.cs", extra));
        foreach (var (extra, i) in (additionalFixedSources ?? additionalSources ?? []).Select((s, i) => (s, i))) test.FixedState.Sources.Add(($"/0/Test{i + 1}.cs", extra));
        return test.RunAsync(CancellationToken.None);
    }

    /// <summary>Fix-all in document, project and solution (the batch fixer) must give <paramref name="fixedSource"/>.</summary>
    public static Task FixAllAsync<TAnalyzer, TFix>(string source, string fixedSource, string? equivalenceKey = null)
        where TAnalyzer : DiagnosticAnalyzer, new()
        where TFix : CodeFixProvider, new()
    {
        var test = new CodeFixTest<TAnalyzer, TFix>
        {
            TestCode = source,
            FixedCode = fixedSource,
            BatchFixedCode = fixedSource,
            CodeActionEquivalenceKey = equivalenceKey,
            NumberOfIncrementalIterations = Iterations(source),
            NumberOfFixAllIterations = 1,
        };
        return test.RunAsync(CancellationToken.None);
    }

    private static int Iterations(string source) => source.Split("{|KAK", StringSplitOptions.None).Length - 1;

    internal static void Configure(Microsoft.CodeAnalysis.Testing.AnalyzerTest<DefaultVerifier> test)
    {
        test.ReferenceAssemblies = NoPackages;
        test.TestState.AdditionalReferences.AddRange(References);
        test.CompilerDiagnostics = CompilerDiagnostics.None;
        test.TestBehaviors |= TestBehaviors.SkipGeneratedSourcesCheck; // the generator's output has its own snapshot tests
    }

    internal static ParseOptions Parse(ParseOptions options) => ((CSharpParseOptions)options).WithLanguageVersion(LanguageVersion.Preview);

    internal static CompilationOptions Compile(CompilationOptions options) => ((CSharpCompilationOptions)options).WithNullableContextOptions(NullableContextOptions.Enable);

    internal static readonly Type[] Generators = [typeof(KakashiLogGenerator)];
}

internal sealed class AnalyzerTest<TAnalyzer> : CSharpAnalyzerTest<TAnalyzer, DefaultVerifier> where TAnalyzer : DiagnosticAnalyzer, new()
{
    public AnalyzerTest() => Setup.Configure(this);
    protected override ParseOptions CreateParseOptions() => Setup.Parse(base.CreateParseOptions());
    protected override CompilationOptions CreateCompilationOptions() => Setup.Compile(base.CreateCompilationOptions());
    protected override IEnumerable<Type> GetSourceGenerators() => Setup.Generators;
}

internal sealed class CodeFixTest<TAnalyzer, TFix> : CSharpCodeFixTest<TAnalyzer, TFix, DefaultVerifier>
    where TAnalyzer : DiagnosticAnalyzer, new()
    where TFix : CodeFixProvider, new()
{
    public CodeFixTest() => Setup.Configure(this);
    protected override ParseOptions CreateParseOptions() => Setup.Parse(base.CreateParseOptions());
    protected override CompilationOptions CreateCompilationOptions() => Setup.Compile(base.CreateCompilationOptions());
    protected override IEnumerable<Type> GetSourceGenerators() => Setup.Generators;
}

/// <summary>The test classes inherit a Verify property: this alias reaches the configuration from inside them.</summary>
internal static class Setup
{
    public static void Configure(Microsoft.CodeAnalysis.Testing.AnalyzerTest<DefaultVerifier> test) => global::Kakashi.Analyzers.Tests.Infrastructure.Verify.Configure(test);
    public static ParseOptions Parse(ParseOptions options) => global::Kakashi.Analyzers.Tests.Infrastructure.Verify.Parse(options);
    public static CompilationOptions Compile(CompilationOptions options) => global::Kakashi.Analyzers.Tests.Infrastructure.Verify.Compile(options);
    public static Type[] Generators => global::Kakashi.Analyzers.Tests.Infrastructure.Verify.Generators;
}
