using System;
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace Kakashi.Generators.Analyzers;

/// <summary>The preset named in <c>KakashiLogging.Setup("...")</c> must be one the runtime knows.</summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class PresetAnalyzer : DiagnosticAnalyzer
{
    /// <summary>Diagnostic property: the closest known preset (code fixes write it).</summary>
    public const string SuggestionProperty = "Suggestion";

    public static readonly DiagnosticDescriptor UnknownPreset = Rule.Create(
        DiagnosticIds.UnknownPreset, Rule.Configuration, DiagnosticSeverity.Error,
        "Unknown logging preset",
        "'{0}' is not a Kakashi preset{1}: use one of {2}",
        "KakashiLogging.Setup throws for an unknown preset name; the known ones (any case) are production, development, web-server, analytics and testing.");

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(UnknownPreset);

    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterCompilationStartAction(start =>
        {
            var logging = start.Compilation.GetTypeByMetadataName(KnownTypes.KakashiLogging);
            if (logging is null) return;
            start.RegisterOperationAction(c => Analyze(c, logging), OperationKind.Invocation);
        });
    }

    private static void Analyze(OperationAnalysisContext context, INamedTypeSymbol logging)
    {
        var invocation = (IInvocationOperation)context.Operation;
        if (invocation.TargetMethod.Name != "Setup" || !SymbolEqualityComparer.Default.Equals(invocation.TargetMethod.ContainingType, logging)) return;
        foreach (var argument in invocation.Arguments)
        {
            if (argument.Parameter?.Ordinal != 0 || !ConstantEvaluator.TryGetString(argument.Value, out string? preset) || preset is null) continue;
            if (IsKnown(preset)) continue;
            string? closest = Closest(preset);
            var properties = ImmutableDictionary<string, string?>.Empty.Add(SuggestionProperty, closest);
            context.ReportDiagnostic(Diagnostic.Create(UnknownPreset, argument.Value.Syntax.GetLocation(), properties,
                preset, closest is null ? "" : $" (did you mean '{closest}'?)", string.Join(", ", ConfigurationRules.Presets)));
        }
    }

    private static bool IsKnown(string preset)
    {
        foreach (string known in ConfigurationRules.Presets) if (string.Equals(known, preset, StringComparison.OrdinalIgnoreCase)) return true;
        return false;
    }

    private static string? Closest(string preset)
    {
        string? best = null;
        int bestDistance = int.MaxValue;
        foreach (string known in ConfigurationRules.Presets)
        {
            int distance = TemplateAnalyzer.Distance(preset.ToLowerInvariant(), known);
            if (distance < bestDistance)
            {
                bestDistance = distance;
                best = known;
            }
        }
        return bestDistance <= 3 ? best : null;
    }
}
