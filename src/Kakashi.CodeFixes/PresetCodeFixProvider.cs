using System.Collections.Immutable;
using System.Composition;
using System.Threading.Tasks;
using Kakashi.Generators.Analyzers;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Kakashi.CodeFixes;

/// <summary>KAK059: replaces an unknown preset name with the closest known one.</summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(PresetCodeFixProvider)), Shared]
public sealed class PresetCodeFixProvider : CodeFixProvider
{
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(DiagnosticIds.UnknownPreset);

    public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        if (root is null) return;
        foreach (var diagnostic in context.Diagnostics)
        {
            if (!diagnostic.Properties.TryGetValue(PresetAnalyzer.SuggestionProperty, out string? preset) || preset is null) continue;
            if (root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true) is not LiteralExpressionSyntax literal) continue;
            context.RegisterCodeFix(CodeAction.Create($"Use preset '{preset}'", ct =>
            {
                var replacement = SyntaxFactory.LiteralExpression(SyntaxKind.StringLiteralExpression, SyntaxFactory.Literal(preset)).WithTriviaFrom(literal);
                return Task.FromResult(context.Document.WithSyntaxRoot(root.ReplaceNode(literal, replacement)));
            }, nameof(PresetCodeFixProvider)), diagnostic);
        }
    }
}
