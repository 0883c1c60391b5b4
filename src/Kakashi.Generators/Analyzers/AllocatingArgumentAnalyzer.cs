using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace Kakashi.Generators.Analyzers;

/// <summary>
/// Call sites that build a string for a log method: an interpolated string or a concatenation is evaluated (and allocated)
/// before the call, so it costs even when the level is disabled, and it throws away the template's structure.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class AllocatingArgumentAnalyzer : DiagnosticAnalyzer
{
    public static readonly DiagnosticDescriptor AllocatingArgument = Rule.Create(
        DiagnosticIds.AllocatingArgument, Rule.HotPath, DiagnosticSeverity.Warning,
        "String built at a log call site",
        "The {0} passed to '{1}' of '{2}' allocates a string on every call, even when the level is disabled: pass its values as parameters of the log method and put them in the template",
        "Arguments are evaluated before the log method checks its level. A log method with one parameter per value copies them without allocating, and only when the level is enabled.");

    /// <summary>Diagnostic property: "interpolation" or "concatenation".</summary>
    public const string KindProperty = "Kind";

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(AllocatingArgument);

    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterCompilationStartAction(start =>
        {
            var symbols = KakashiSymbols.Create(start.Compilation);
            if (symbols is null) return;
            start.RegisterOperationAction(c => Analyze(c, symbols), OperationKind.Invocation);
        });
    }

    private static void Analyze(OperationAnalysisContext context, KakashiSymbols symbols)
    {
        var invocation = (IInvocationOperation)context.Operation;
        var method = invocation.TargetMethod;
        if (!method.ReturnsVoid || method.Parameters.Length == 0) return; // cheap filters before the attribute look-up
        if (symbols.GetLogAttribute(method) is null) return;

        foreach (var argument in invocation.Arguments)
        {
            if (argument.Parameter is null || argument.ArgumentKind != ArgumentKind.Explicit) continue;
            var value = argument.Value;
            while (value is IConversionOperation { IsImplicit: true } conversion) value = conversion.Operand;
            if (value.ConstantValue.HasValue || value.Type?.SpecialType != SpecialType.System_String) continue;
            string? kind = value switch
            {
                IInterpolatedStringOperation => "interpolated string",
                IBinaryOperation { OperatorKind: BinaryOperatorKind.Add } => "string concatenation",
                _ => null,
            };
            if (kind is null) continue;
            var properties = ImmutableDictionary<string, string?>.Empty.Add(KindProperty, value is IInterpolatedStringOperation ? "interpolation" : "concatenation");
            context.ReportDiagnostic(Diagnostic.Create(AllocatingArgument, argument.Value.Syntax.GetLocation(), properties, kind, argument.Parameter.Name, method.Name));
        }
    }
}
