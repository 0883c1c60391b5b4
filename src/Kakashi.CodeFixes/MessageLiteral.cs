using System.Threading;
using Kakashi.Generators;
using Kakashi.Generators.Analyzers;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Kakashi.CodeFixes;

/// <summary>The string literal that spells a log method's message in its [KakashiLog] attribute, for fixes that edit it.</summary>
internal sealed class MessageLiteral
{
    private MessageLiteral(MethodDeclarationSyntax method, LiteralExpressionSyntax literal)
    {
        Method = method;
        Literal = literal;
    }

    public MethodDeclarationSyntax Method { get; }
    public LiteralExpressionSyntax Literal { get; }
    public string Value => Literal.Token.ValueText;

    /// <summary>The message literal of the method; null when the message is not a literal written in the attribute.</summary>
    public static MessageLiteral? Find(MethodDeclarationSyntax method, SemanticModel model, CancellationToken cancellationToken)
    {
        foreach (var list in method.AttributeLists)
        {
            foreach (var attribute in list.Attributes)
            {
                if (model.GetTypeInfo(attribute, cancellationToken).Type?.ToDisplayString() != KnownTypes.KakashiLogAttribute || attribute.ArgumentList is null) continue;
                foreach (var argument in attribute.ArgumentList.Arguments)
                {
                    if (argument.NameEquals is not null) continue;
                    if (argument.Expression is LiteralExpressionSyntax literal && literal.IsKind(SyntaxKind.StringLiteralExpression))
                        return TemplateText.Map(literal.Token, literal.Token.ValueText) is null ? null : new MessageLiteral(method, literal);
                }
            }
        }
        return null;
    }

    /// <summary>The literal with value[start..start+length] replaced (the rest of its text and its trivia kept).</summary>
    public LiteralExpressionSyntax? Replace(int start, int length, string replacement)
    {
        var token = TemplateText.Replace(Literal.Token, Value, start, length, replacement);
        return token is null ? null : Literal.WithToken(token.Value);
    }

    /// <summary>A hole name for a parameter: MEL style, PascalCase.</summary>
    public static string HoleName(string parameter)
        => parameter.Length == 0 ? parameter : char.ToUpperInvariant(parameter[0]) + parameter.Substring(1);

    /// <summary>A parameter name for a hole: camelCase, escaped when it is a keyword.</summary>
    public static string ParameterName(string hole)
    {
        string name = hole.Length == 0 ? hole : char.ToLowerInvariant(hole[0]) + hole.Substring(1);
        return SyntaxFacts.GetKeywordKind(name) != SyntaxKind.None ? "@" + name : name;
    }

}
