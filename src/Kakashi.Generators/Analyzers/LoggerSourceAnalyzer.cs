using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;

namespace Kakashi.Generators.Analyzers;

/// <summary>
/// Where a log method's logger comes from: a <c>KakashiLogger</c> parameter for a static method; the type's single
/// <c>KakashiLogger</c> field, property or primary-constructor parameter for an instance method.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class LoggerSourceAnalyzer : DiagnosticAnalyzer
{
    public static readonly DiagnosticDescriptor StaticWithoutLogger = Rule.Create(
        DiagnosticIds.StaticWithoutLogger, Rule.LoggerSource, DiagnosticSeverity.Error,
        "Static log method needs a KakashiLogger parameter",
        "Static log method '{0}' has no KakashiLogger parameter: add one (for example 'this KakashiLogger logger')",
        "A static log method writes to the logger passed to it; static KakashiLogger fields are not used.");

    public static readonly DiagnosticDescriptor InstanceWithoutLogger = Rule.Create(
        DiagnosticIds.InstanceWithoutLogger, Rule.LoggerSource, DiagnosticSeverity.Error,
        "Instance log method needs a KakashiLogger member",
        "Instance log method '{0}' needs a KakashiLogger field, property or primary-constructor parameter in '{1}'",
        "An instance log method writes to the logger held by its instance.");

    public static readonly DiagnosticDescriptor InstanceWithManyLoggers = Rule.Create(
        DiagnosticIds.InstanceWithManyLoggers, Rule.LoggerSource, DiagnosticSeverity.Error,
        "Instance log method has several KakashiLogger members",
        "Instance log method '{0}' cannot choose between the KakashiLogger members {1} of '{2}': keep one, or make the method static with a logger parameter",
        "The generator needs exactly one logger for an instance log method.");

    public static readonly DiagnosticDescriptor StaticWithLoggerMember = Rule.Create(
        DiagnosticIds.StaticWithLoggerMember, Rule.LoggerSource, DiagnosticSeverity.Warning,
        "Static log method ignores the type's logger",
        "Static log method '{0}' logs to its parameter '{1}', not to '{2}' of '{3}': pick one (remove 'static' and the parameter, or the member)",
        "Two loggers in reach make it easy to log to the wrong one; a static method always uses its parameter.");

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } =
        ImmutableArray.Create(StaticWithoutLogger, InstanceWithoutLogger, InstanceWithManyLoggers, StaticWithLoggerMember);

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
        var type = method.ContainingType;

        if (method.IsStatic)
        {
            if (log.LoggerParameter < 0)
            {
                context.ReportDiagnostic(Diagnostic.Create(StaticWithoutLogger, log.Location, method.Name));
                return;
            }
            var member = OwnLoggerMember(type, symbols, context);
            if (member is not null)
                context.ReportDiagnostic(Diagnostic.Create(StaticWithLoggerMember, log.ParameterLocation(log.LoggerParameter), method.Name, method.Parameters[log.LoggerParameter].Name, member, type.Name));
            return;
        }

        var members = KakashiLogGenerator.Parser.FindLoggerMembers(type, symbols.Logger, context.CancellationToken);
        if (members.Count == 0)
        {
            context.ReportDiagnostic(Diagnostic.Create(InstanceWithoutLogger, log.Location, method.Name, type.Name));
        }
        else if (members.Count > 1)
        {
            string names = string.Join(", ", members.Select(m => "'" + (m.Symbol?.Name ?? m.Expression) + "'"));
            context.ReportDiagnostic(Diagnostic.Create(InstanceWithManyLoggers, log.Location, members.Select(m => m.Location), method.Name, names, type.Name));
        }
    }

    /// <summary>A KakashiLogger field, property (static or not) or primary-constructor parameter declared by the type itself.</summary>
    private static string? OwnLoggerMember(INamedTypeSymbol type, KakashiSymbols symbols, SymbolAnalysisContext context)
    {
        foreach (var member in type.GetMembers())
        {
            if (member.IsImplicitlyDeclared) continue;
            var memberType = member switch
            {
                IFieldSymbol f when f.AssociatedSymbol is null => f.Type,
                IPropertySymbol p => p.Type,
                _ => null,
            };
            if (memberType is not null && symbols.IsLogger(memberType)) return member.Name;
        }
        foreach (var constructor in type.InstanceConstructors)
        {
            // the primary constructor is the one declared by the type declaration itself
            if (!constructor.DeclaringSyntaxReferences.Any(r => r.GetSyntax(context.CancellationToken) is TypeDeclarationSyntax)) continue;
            foreach (var parameter in constructor.Parameters)
                if (symbols.IsLogger(parameter.Type)) return parameter.Name;
        }
        return null;
    }
}
