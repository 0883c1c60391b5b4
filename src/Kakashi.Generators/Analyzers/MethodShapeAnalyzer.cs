using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;

namespace Kakashi.Generators.Analyzers;

/// <summary>
/// The shape the generator needs: a <c>partial</c> method without a body, returning <c>void</c>, not generic, in
/// <c>partial</c> types, without <c>out</c>/<c>ref</c>/<c>params</c> parameters or names the generated code uses.
/// Without these the generator cannot write the method; it writes an empty stub instead when the method is a partial
/// definition in partial types, so that a build reports these ids rather than stopping at the compiler's "no implementation"
/// (CS8795). A method or type that is not partial leaves nowhere to put one (CS0501, CS0751: KAK001 and KAK005 only show in
/// the IDE until fixed).
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class MethodShapeAnalyzer : DiagnosticAnalyzer
{
    public static readonly DiagnosticDescriptor NotPartial = Rule.Create(
        DiagnosticIds.MethodNotPartial, Rule.MethodShape, DiagnosticSeverity.Error,
        "Log method must be partial",
        "Log method '{0}' must be declared 'partial' (without a body): the Kakashi generator writes its body",
        "A [KakashiLog] method is a partial method declaration whose implementation the source generator writes.");

    public static readonly DiagnosticDescriptor HasBody = Rule.Create(
        DiagnosticIds.MethodHasBody, Rule.MethodShape, DiagnosticSeverity.Error,
        "Log method must not have a body",
        "Log method '{0}' must not have a body: the Kakashi generator writes it",
        "The generator writes the body of a [KakashiLog] method; a hand-written body means no code is generated.");

    public static readonly DiagnosticDescriptor NotVoid = Rule.Create(
        DiagnosticIds.MethodNotVoid, Rule.MethodShape, DiagnosticSeverity.Error,
        "Log method must return void",
        "Log method '{0}' must return 'void'",
        "A log call never returns anything (and never throws): its result is the record in the ring buffer.");

    public static readonly DiagnosticDescriptor Generic = Rule.Create(
        DiagnosticIds.MethodGeneric, Rule.MethodShape, DiagnosticSeverity.Error,
        "Log method must not be generic",
        "Log method '{0}' must not be generic: the generator needs the concrete type of every argument to copy it without boxing",
        "The encoding of each argument is chosen at compile time from its type; a type parameter has none.");

    public static readonly DiagnosticDescriptor TypeNotPartial = Rule.Create(
        DiagnosticIds.TypeNotPartial, Rule.MethodShape, DiagnosticSeverity.Error,
        "Type containing log methods must be partial",
        "Type '{0}' must be declared 'partial': it contains [KakashiLog] methods",
        "The generated code is added to the type that declares the log method and to every type enclosing it.");

    public static readonly DiagnosticDescriptor ParameterModifier = Rule.Create(
        DiagnosticIds.UnsupportedParameterModifier, Rule.MethodShape, DiagnosticSeverity.Error,
        "Log method parameter cannot be out, ref or params",
        "Parameter '{0}' of log method '{1}' cannot be '{2}' ('in' and 'ref readonly' are supported)",
        "A log call only reads its arguments; 'out' and 'ref' would let it write them and 'params' would allocate an array per call.");

    public static readonly DiagnosticDescriptor ReservedName = Rule.Create(
        DiagnosticIds.ReservedName, Rule.MethodShape, DiagnosticSeverity.Error,
        "Name reserved by the generated code",
        "'{0}' is used by the code Kakashi generates for '{1}': {2}",
        "The generated method uses the names __logger, __level, __w, __e, __textN, __lengthN and members named __kakashi*; an instance method reads its logger by name, so a parameter must not hide it.");

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } =
        ImmutableArray.Create(NotPartial, HasBody, NotVoid, Generic, TypeNotPartial, ParameterModifier, ReservedName);

    private static readonly string[] ReservedParameters = { "__logger", "__level", "__w", "__e" };

    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterCompilationStartAction(start =>
        {
            var symbols = KakashiSymbols.Create(start.Compilation);
            if (symbols is null) return;
            start.RegisterSymbolAction(c =>
            {
                AnalyzeType(c, symbols);
                LogMethod.ForEach(c, symbols, log => AnalyzeMethod(c, symbols, log));
            }, SymbolKind.NamedType);
        });
    }

    private static void AnalyzeMethod(SymbolAnalysisContext context, KakashiSymbols symbols, LogMethod log)
    {
        var method = log.Symbol;
        var declaration = log.Declaration(context.CancellationToken);
        if (declaration is null) return;
        string name = method.Name;

        bool partial = LogMethod.IsPartial(declaration.Modifiers);
        if (!partial) context.ReportDiagnostic(Diagnostic.Create(NotPartial, declaration.Identifier.GetLocation(), name));
        if (declaration.Body is not null || declaration.ExpressionBody is not null)
        {
            context.ReportDiagnostic(Diagnostic.Create(HasBody, declaration.Identifier.GetLocation(), name));
        }
        else if (method.PartialImplementationPart is { } implementation && !IsGenerated(implementation, symbols))
        {
            var body = implementation.DeclaringSyntaxReferences.Select(r => r.GetSyntax(context.CancellationToken)).OfType<MethodDeclarationSyntax>().FirstOrDefault();
            context.ReportDiagnostic(Diagnostic.Create(HasBody, body?.Identifier.GetLocation() ?? log.Location, name));
        }

        if (!method.ReturnsVoid) context.ReportDiagnostic(Diagnostic.Create(NotVoid, declaration.ReturnType.GetLocation(), name));
        if (method.IsGenericMethod && declaration.TypeParameterList is not null)
            context.ReportDiagnostic(Diagnostic.Create(Generic, declaration.TypeParameterList.GetLocation(), name));

        foreach (var parameter in declaration.ParameterList.Parameters)
        {
            foreach (var modifier in parameter.Modifiers)
            {
                bool refReadonly = modifier.IsKind(SyntaxKind.RefKeyword) && parameter.Modifiers.Any(SyntaxKind.ReadOnlyKeyword);
                if (modifier.IsKind(SyntaxKind.OutKeyword) || modifier.IsKind(SyntaxKind.ParamsKeyword) || (modifier.IsKind(SyntaxKind.RefKeyword) && !refReadonly))
                    context.ReportDiagnostic(Diagnostic.Create(ParameterModifier, modifier.GetLocation(), parameter.Identifier.ValueText, name, modifier.ValueText));
            }
        }

        if (name.StartsWith("__kakashi", System.StringComparison.Ordinal))
            context.ReportDiagnostic(Diagnostic.Create(ReservedName, declaration.Identifier.GetLocation(), name, name, "the generated members of a type are named __kakashi*"));
        string? loggerName = null;
        if (!method.IsStatic)
        {
            var members = KakashiLogGenerator.Parser.FindLoggerMembers(method.ContainingType, symbols.Logger, context.CancellationToken);
            if (members.Count == 1 && members[0].Symbol is null) loggerName = members[0].Expression.TrimStart('@');
        }
        foreach (var parameter in method.Parameters)
        {
            string parameterName = parameter.Name;
            string? why = null;
            if (System.Array.IndexOf(ReservedParameters, parameterName) >= 0 || IsNumbered(parameterName, "__text") || IsNumbered(parameterName, "__length"))
                why = "rename the parameter (names starting with __ are the generated code's)";
            else if (loggerName is not null && parameterName == loggerName)
                why = $"the generated body reads the logger from the primary-constructor parameter '{loggerName}', which this parameter hides; rename it";
            if (why is not null)
                context.ReportDiagnostic(Diagnostic.Create(ReservedName, parameter.Locations.FirstOrDefault() ?? log.Location, parameterName, name, why));
        }
    }

    /// <summary>Types that are not partial but hold [KakashiLog] methods, directly or in nested types.</summary>
    private static void AnalyzeType(SymbolAnalysisContext context, KakashiSymbols symbols)
    {
        var type = (INamedTypeSymbol)context.Symbol;
        if (type.DeclaringSyntaxReferences.Length != 1) return; // several declarations are all partial (or the compiler complains)
        if (type.DeclaringSyntaxReferences[0].GetSyntax(context.CancellationToken) is not TypeDeclarationSyntax declaration) return;
        if (LogMethod.IsPartial(declaration.Modifiers)) return;
        if (!ContainsLogMethod(type, symbols)) return;
        context.ReportDiagnostic(Diagnostic.Create(TypeNotPartial, declaration.Identifier.GetLocation(), type.Name));
    }

    private static bool ContainsLogMethod(INamedTypeSymbol type, KakashiSymbols symbols)
    {
        foreach (var member in type.GetMembers())
        {
            if (member is IMethodSymbol method && symbols.GetLogAttribute(method) is not null) return true;
            if (member is INamedTypeSymbol nested && ContainsLogMethod(nested, symbols)) return true;
        }
        return false;
    }

    /// <summary>The generator marks what it writes with [GeneratedCode("Kakashi.Generators", ...)].</summary>
    private static bool IsGenerated(IMethodSymbol implementation, KakashiSymbols symbols)
    {
        foreach (var attribute in implementation.GetAttributes())
        {
            if (SymbolEqualityComparer.Default.Equals(attribute.AttributeClass, symbols.GeneratedCode)
                && attribute.ConstructorArguments.Length > 0 && attribute.ConstructorArguments[0].Value is "Kakashi.Generators")
                return true;
        }
        return false;
    }

    private static bool IsNumbered(string name, string prefix)
    {
        if (name.Length <= prefix.Length || !name.StartsWith(prefix, System.StringComparison.Ordinal)) return false;
        for (int i = prefix.Length; i < name.Length; i++) if (name[i] < '0' || name[i] > '9') return false;
        return true;
    }
}
