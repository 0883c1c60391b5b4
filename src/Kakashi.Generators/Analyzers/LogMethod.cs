using Kakashi.Shared;
using System;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;

namespace Kakashi.Generators.Analyzers;

/// <summary>
/// What the analyzers know about one <c>[KakashiLog]</c> method: the attribute's values and where they are written, the
/// parsed template (the generator's <see cref="TemplateParser"/>) and what each hole binds to (the generator's binding).
/// Built from symbols only, so each analyzer can build it for the methods it looks at without sharing state.
/// </summary>
internal sealed class LogMethod
{
    private LogMethod(IMethodSymbol symbol, AttributeData attribute, AttributeSyntax? syntax)
    {
        Symbol = symbol;
        Attribute = attribute;
        Syntax = syntax;
    }

    public IMethodSymbol Symbol { get; }
    public AttributeData Attribute { get; }
    public AttributeSyntax? Syntax { get; }

    /// <summary>True when the attribute was written with a level (<c>[KakashiLog(LogLevel.X, "...")]</c>).</summary>
    public bool HasAttributeLevel { get; private set; }
    /// <summary>The attribute's level as a number (only with <see cref="HasAttributeLevel"/>).</summary>
    public int AttributeLevel { get; private set; }
    public ExpressionSyntax? LevelExpression { get; private set; }

    public string? Message { get; private set; }
    /// <summary>The message argument is the null constant (not merely missing or erroneous).</summary>
    public bool MessageIsNull { get; private set; }
    public ExpressionSyntax? MessageExpression { get; private set; }

    public bool HasEventId { get; private set; }
    public int EventId { get; private set; }
    public ExpressionSyntax? EventIdExpression { get; private set; }
    public string? EventName { get; private set; }
    public ExpressionSyntax? EventNameExpression { get; private set; }

    /// <summary>Static methods: the parameter the logger comes from (the first <c>KakashiLogger</c> one), or -1.</summary>
    public int LoggerParameter { get; private set; } = -1;
    /// <summary>Without an attribute level: the parameter the level comes from (the first <c>LogLevel</c> one), or -1.</summary>
    public int LevelParameter { get; private set; } = -1;

    /// <summary>The parsed template (null when the message is null).</summary>
    public TemplateParser.Result? Template { get; private set; }
    /// <summary>For each hole of <see cref="Template"/>, the index of the parameter it binds to, or -1.</summary>
    public ImmutableArray<int> HoleTargets { get; private set; } = ImmutableArray<int>.Empty;

    public ImmutableArray<IParameterSymbol> Parameters => Symbol.Parameters;

    /// <summary>The method's name in its declaration (the place most method diagnostics point at).</summary>
    public Location Location => Symbol.Locations.FirstOrDefault() ?? Location.None;

    /// <summary>Where the message is written (the attribute's argument), or the attribute, or the method.</summary>
    public Location MessageLocation => MessageExpression?.GetLocation() ?? Syntax?.GetLocation() ?? Location;

    /// <summary>Where a part of the message is: inside the string literal when it is one, else the whole argument.</summary>
    public Location MessagePartLocation(int start, int length)
        => MessageExpression is null || Message is null ? MessageLocation : TemplateText.Locate(MessageExpression, Message, start, length);

    public static LogMethod? Create(IMethodSymbol method, KakashiSymbols symbols, CancellationToken cancellationToken)
    {
        var attribute = symbols.GetLogAttribute(method);
        if (attribute is null || attribute.AttributeConstructor is null) return null;
        var syntax = attribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken) as AttributeSyntax;
        var result = new LogMethod(method, attribute, syntax);

        var constructor = attribute.AttributeConstructor;
        var args = attribute.ConstructorArguments;
        for (int i = 0; i < constructor.Parameters.Length && i < args.Length; i++)
        {
            var parameter = constructor.Parameters[i];
            var expression = ArgumentExpression(syntax, parameter.Name, i);
            if (SymbolEqualityComparer.Default.Equals(parameter.Type, symbols.LogLevel))
            {
                result.HasAttributeLevel = true;
                result.AttributeLevel = args[i].Value is int level ? level : -1;
                result.LevelExpression = expression;
            }
            else if (parameter.Type.SpecialType == SpecialType.System_String)
            {
                result.Message = args[i].Value as string;
                result.MessageIsNull = args[i].Kind != TypedConstantKind.Error && args[i].IsNull;
                result.MessageExpression = expression;
            }
        }
        foreach (var named in attribute.NamedArguments)
        {
            if (named.Key == "EventId" && named.Value.Value is int id)
            {
                result.HasEventId = true;
                result.EventId = id;
                result.EventIdExpression = NamedExpression(syntax, "EventId");
            }
            else if (named.Key == "EventName")
            {
                result.EventName = named.Value.Value as string;
                result.EventNameExpression = NamedExpression(syntax, "EventName");
            }
        }

        var parameters = method.Parameters;
        for (int i = 0; i < parameters.Length; i++)
        {
            if (method.IsStatic && result.LoggerParameter < 0 && symbols.IsLogger(parameters[i].Type)) result.LoggerParameter = i;
            else if (!result.HasAttributeLevel && result.LevelParameter < 0 && symbols.IsLogLevel(parameters[i].Type)) result.LevelParameter = i;
        }

        if (result.Message is not null)
        {
            var template = TemplateParser.Parse(result.Message);
            result.Template = template;
            var targets = ImmutableArray.CreateBuilder<int>(template.Holes.Count);
            foreach (var hole in template.Holes) targets.Add(hole.Name.Length == 0 ? -1 : KakashiLogGenerator.Parser.Bind(hole.Name, parameters));
            result.HoleTargets = targets.MoveToImmutable();
        }
        return result;
    }

    /// <summary>
    /// Calls <paramref name="analyze"/> for each [KakashiLog] method of the type of a named-type symbol action. Log methods
    /// are analyzed through their type: a partial method whose body was generated counts as generated code, and symbol
    /// actions on it would be skipped.
    /// </summary>
    public static void ForEach(SymbolAnalysisContext context, KakashiSymbols symbols, Action<LogMethod> analyze)
    {
        foreach (var member in ((INamedTypeSymbol)context.Symbol).GetMembers())
        {
            if (member is not IMethodSymbol method || method.PartialDefinitionPart is not null || method.MethodKind != MethodKind.Ordinary) continue;
            var log = Create(method, symbols, context.CancellationToken);
            if (log is not null) analyze(log);
        }
    }

    /// <summary>The hole's name without a Serilog sigil (<c>@</c>, <c>$</c>): the name it binds by.</summary>
    public static string BindingName(string holeName)
        => holeName.Length > 1 && (holeName[0] == '@' || holeName[0] == '$') ? holeName.Substring(1) : holeName;

    /// <summary>True when some hole binds to the parameter.</summary>
    public bool IsUsedByHole(int parameter)
    {
        foreach (int target in HoleTargets) if (target == parameter) return true;
        return false;
    }

    private static ExpressionSyntax? ArgumentExpression(AttributeSyntax? syntax, string parameterName, int position)
    {
        if (syntax?.ArgumentList is null) return null;
        int positional = 0;
        foreach (var argument in syntax.ArgumentList.Arguments)
        {
            if (argument.NameEquals is not null) continue;
            if (argument.NameColon is not null)
            {
                if (argument.NameColon.Name.Identifier.ValueText == parameterName) return argument.Expression;
                continue;
            }
            if (positional++ == position) return argument.Expression;
        }
        return null;
    }

    private static ExpressionSyntax? NamedExpression(AttributeSyntax? syntax, string name)
    {
        if (syntax?.ArgumentList is null) return null;
        foreach (var argument in syntax.ArgumentList.Arguments)
            if (argument.NameEquals is not null && argument.NameEquals.Name.Identifier.ValueText == name) return argument.Expression;
        return null;
    }

    /// <summary>The method's declaration syntax (the defining part of a partial method).</summary>
    public MethodDeclarationSyntax? Declaration(CancellationToken cancellationToken)
        => Symbol.DeclaringSyntaxReferences.Select(r => r.GetSyntax(cancellationToken)).OfType<MethodDeclarationSyntax>().FirstOrDefault();

    /// <summary>Location of a parameter's name.</summary>
    public Location ParameterLocation(int index) => Parameters[index].Locations.FirstOrDefault() ?? Location;

    public static bool IsPartial(SyntaxTokenList modifiers) => modifiers.Any(SyntaxKind.PartialKeyword);

}
