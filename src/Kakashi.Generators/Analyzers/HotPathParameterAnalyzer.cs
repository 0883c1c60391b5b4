using System.Collections.Immutable;
using System.Linq;
using Kakashi.Generators.Model;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;

namespace Kakashi.Generators.Analyzers;

/// <summary>
/// Parameters that cost the calling thread an allocation: a type the generator can only capture through
/// <c>ToString</c> (the classification is the generator's own, so the analyzer and the emitted code always agree), and
/// exception parameters beyond the first.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class HotPathParameterAnalyzer : DiagnosticAnalyzer
{
    public static readonly DiagnosticDescriptor AllocatingParameter = Rule.Create(
        DiagnosticIds.AllocatingParameter, Rule.HotPath, DiagnosticSeverity.Warning,
        "Parameter type allocates on the calling thread",
        "Parameter '{0}' of '{1}' has type '{2}', which Kakashi can only capture by calling ToString on the calling thread (a string allocation per enabled call): {3}",
        "Kakashi copies primitives, enums, DateTime/TimeSpan/Guid..., unmanaged ISpanFormattable structs, Nullable<> of these, strings and char spans as raw bytes, and formats value types implementing IUtf8SpanFormattable into a reused buffer. Any other type is turned into text with ToString on the logging thread.");

    public static readonly DiagnosticDescriptor ManyExceptions = Rule.Create(
        DiagnosticIds.ManyExceptions, Rule.HotPath, DiagnosticSeverity.Warning,
        "More than one exception parameter",
        "'{0}' has more than one exception parameter ('{1}' and '{2}'): the output template renders one exception; log the others in separate records",
        "Each record keeps one exception reference for the output template's {Exception}; further exceptions take object slots and are not rendered after the message.");

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(AllocatingParameter, ManyExceptions);

    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterCompilationStartAction(start =>
        {
            var symbols = KakashiSymbols.Create(start.Compilation);
            if (symbols is null) return;
            start.RegisterSymbolAction(c => LogMethod.ForEach(c, symbols, log => Analyze(c, symbols, log)), SymbolKind.NamedType);
        });
    }

    private static void Analyze(SymbolAnalysisContext context, KakashiSymbols symbols, LogMethod log)
    {
        var method = log.Symbol;

        IParameterSymbol? firstException = null;
        for (int i = 0; i < method.Parameters.Length; i++)
        {
            var parameter = method.Parameters[i];
            var type = parameter.Type;
            if (type.TypeKind == TypeKind.Error || i == log.LoggerParameter || i == log.LevelParameter || symbols.IsLogger(type)) continue;
            if (symbols.IsException(type))
            {
                if (firstException is null) firstException = parameter;
                else context.ReportDiagnostic(Diagnostic.Create(ManyExceptions, log.ParameterLocation(i), method.Name, firstException.Name, parameter.Name));
                continue;
            }
            KakashiLogGenerator.Parser.Classify(type, context.Compilation, symbols.Exception, out var encoding, out _, out _);
            if (encoding != ArgEncoding.ToString) continue;
            var typeSyntax = parameter.DeclaringSyntaxReferences.Select(r => r.GetSyntax(context.CancellationToken)).OfType<ParameterSyntax>().FirstOrDefault()?.Type;
            context.ReportDiagnostic(Diagnostic.Create(AllocatingParameter, typeSyntax?.GetLocation() ?? log.ParameterLocation(i), parameter.Name, method.Name, type.ToDisplayString(SymbolDisplayFormat.CSharpShortErrorMessageFormat), Advice(type)));
        }
    }

    private static string Advice(ITypeSymbol type)
    {
        if (type.IsValueType) return "implement ISpanFormattable (unmanaged structs) or IUtf8SpanFormattable, or log its fields";
        if (type.TypeKind == TypeKind.TypeParameter) return "use a concrete type";
        return "log the fields that matter (ids, numbers, strings) instead of the object";
    }
}
