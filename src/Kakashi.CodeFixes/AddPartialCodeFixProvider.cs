using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Kakashi.Generators.Analyzers;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Kakashi.CodeFixes;

/// <summary>KAK001 / KAK005: adds <c>partial</c> to the log method or to the type (as the last modifier, where C# wants it).</summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(AddPartialCodeFixProvider)), Shared]
public sealed class AddPartialCodeFixProvider : CodeFixProvider
{
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(DiagnosticIds.MethodNotPartial, DiagnosticIds.TypeNotPartial);

    public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        if (root is null) return;
        foreach (var diagnostic in context.Diagnostics)
        {
            var node = root.FindToken(diagnostic.Location.SourceSpan.Start).Parent;
            if (node is MethodDeclarationSyntax method && method.Body is null && method.ExpressionBody is null)
            {
                context.RegisterCodeFix(CodeAction.Create("Make the log method partial", ct => Replace(context.Document, root, method, AddPartial(method)), nameof(AddPartialCodeFixProvider) + ".Method"), diagnostic);
            }
            else if (node is TypeDeclarationSyntax type)
            {
                context.RegisterCodeFix(CodeAction.Create($"Make '{type.Identifier.ValueText}' partial", ct => Replace(context.Document, root, type, AddPartial(type)), nameof(AddPartialCodeFixProvider) + ".Type"), diagnostic);
            }
        }
    }

    private static Task<Document> Replace(Document document, SyntaxNode root, SyntaxNode node, SyntaxNode replacement)
        => Task.FromResult(document.WithSyntaxRoot(root.ReplaceNode(node, replacement)));

    internal static MethodDeclarationSyntax AddPartial(MethodDeclarationSyntax method)
    {
        if (method.Modifiers.Count > 0) return method.WithModifiers(method.Modifiers.Add(Partial()));
        // no modifier: 'partial' takes the return type's place (and its indentation)
        var returnType = method.ReturnType;
        var leading = returnType.GetLeadingTrivia();
        return method.WithReturnType(returnType.WithLeadingTrivia()).WithModifiers(SyntaxFactory.TokenList(Partial().WithLeadingTrivia(leading)));
    }

    internal static TypeDeclarationSyntax AddPartial(TypeDeclarationSyntax type)
    {
        if (type.Modifiers.Count > 0) return type.WithModifiers(type.Modifiers.Add(Partial()));
        var keyword = type.Keyword;
        return type.WithKeyword(keyword.WithLeadingTrivia()).WithModifiers(SyntaxFactory.TokenList(Partial().WithLeadingTrivia(keyword.LeadingTrivia)));
    }

    private static SyntaxToken Partial() => SyntaxFactory.Token(SyntaxKind.PartialKeyword).WithTrailingTrivia(SyntaxFactory.Space);
}
