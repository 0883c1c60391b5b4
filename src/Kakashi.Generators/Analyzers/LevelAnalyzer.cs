using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace Kakashi.Generators.Analyzers;

/// <summary>
/// The level of a log method: fixed by the attribute (Trace to Critical) or given by one <c>LogLevel</c> parameter at each
/// call, never both and never neither.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class LevelAnalyzer : DiagnosticAnalyzer
{
    public static readonly DiagnosticDescriptor InvalidLevel = Rule.Create(
        DiagnosticIds.InvalidLevel, Rule.Levels, DiagnosticSeverity.Error,
        "Log level must be Trace to Critical",
        "The level of '{0}' is {1}: a log method's level must be Trace, Debug, Information, Warning, Error or Critical",
        "LogLevel.None means 'log nothing' and other values are not levels: such a method could never write a record.");

    public static readonly DiagnosticDescriptor LevelTwice = Rule.Create(
        DiagnosticIds.LevelTwice, Rule.Levels, DiagnosticSeverity.Error,
        "Level given twice",
        "'{0}' has a level in its attribute and a LogLevel parameter '{1}': use [KakashiLog(\"...\")] for a level per call, or remove the parameter",
        "With a level in the attribute a LogLevel parameter is only data, which is almost always a mistake for the per-call level form.");

    public static readonly DiagnosticDescriptor NoLevel = Rule.Create(
        DiagnosticIds.NoLevel, Rule.Levels, DiagnosticSeverity.Error,
        "Log method has no level",
        "'{0}' has no level: give one in the attribute ([KakashiLog(LogLevel.Information, \"...\")]) or add a LogLevel parameter",
        "[KakashiLog(\"message\")] takes its level from a LogLevel parameter at each call.");

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(InvalidLevel, LevelTwice, NoLevel);

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

        if (log.HasAttributeLevel)
        {
            if (log.AttributeLevel < 0 || log.AttributeLevel > 5)
            {
                string shown = log.AttributeLevel == 6 ? "None" : log.AttributeLevel.ToString(System.Globalization.CultureInfo.InvariantCulture);
                context.ReportDiagnostic(Diagnostic.Create(InvalidLevel, log.LevelExpression?.GetLocation() ?? log.Location, method.Name, shown));
            }
            for (int i = 0; i < method.Parameters.Length; i++)
            {
                if (symbols.IsLogLevel(method.Parameters[i].Type))
                {
                    context.ReportDiagnostic(Diagnostic.Create(LevelTwice, log.ParameterLocation(i), method.Name, method.Parameters[i].Name));
                    break;
                }
            }
        }
        else if (log.LevelParameter < 0)
        {
            context.ReportDiagnostic(Diagnostic.Create(NoLevel, log.Syntax?.GetLocation() ?? log.Location, method.Name));
        }
    }
}
