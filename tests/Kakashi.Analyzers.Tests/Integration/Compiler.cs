using System;
using System.Collections.Immutable;
using System.IO;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using Kakashi.Analyzers.Tests.Infrastructure;
using Kakashi.Generators;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;

namespace Kakashi.Analyzers.Tests.Integration;

/// <summary>Compiles real files of the repository with the generator and every Kakashi analyzer, as a build does.</summary>
internal static class Compiler
{
    public static string RepositoryRoot([CallerFilePath] string thisFile = "")
        => Path.GetFullPath(Path.Combine(Path.GetDirectoryName(thisFile)!, "..", "..", ".."));

    public static ImmutableArray<DiagnosticAnalyzer> Analyzers { get; } = typeof(KakashiLogGenerator).Assembly.GetTypes()
        .Where(t => typeof(DiagnosticAnalyzer).IsAssignableFrom(t) && !t.IsAbstract)
        .Select(t => (DiagnosticAnalyzer)Activator.CreateInstance(t)!)
        .ToImmutableArray();

    /// <summary>Compiler (after generation) and analyzer diagnostics of the files, with the repository's build settings (warnings as errors).</summary>
    public static async Task<ImmutableArray<Diagnostic>> CompileAsync(OutputKind kind, params string[] files)
    {
        var parse = new CSharpParseOptions(LanguageVersion.Preview);
        var trees = files.Select(f => CSharpSyntaxTree.ParseText(File.ReadAllText(f), parse, path: f));
        var compilation = CSharpCompilation.Create(
            "Integration",
            trees,
            Verify.References,
            new CSharpCompilationOptions(kind, nullableContextOptions: NullableContextOptions.Enable, generalDiagnosticOption: ReportDiagnostic.Error, allowUnsafe: true));
        CSharpGeneratorDriver.Create([new KakashiLogGenerator().AsSourceGenerator()], parseOptions: parse)
            .RunGeneratorsAndUpdateCompilation(compilation, out var generated, out _);
        var withAnalyzers = generated.WithAnalyzers(Analyzers);
        var analyzerDiagnostics = await withAnalyzers.GetAnalyzerDiagnosticsAsync(CancellationToken.None);
        return generated.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).Concat(analyzerDiagnostics).ToImmutableArray();
    }

    public static string Describe(ImmutableArray<Diagnostic> diagnostics) => string.Join(Environment.NewLine, diagnostics.Select(d => d.ToString()));
}
