using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using System.Threading.Tasks;
using Kakashi.Generators.Analyzers;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Kakashi.CodeFixes;

/// <summary>KAK054: swaps the values of WarningThreshold and DropThreshold in the initializer (each keeps its own trivia).</summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(SwapThresholdsCodeFixProvider)), Shared]
public sealed class SwapThresholdsCodeFixProvider : CodeFixProvider
{
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(DiagnosticIds.InvertedThresholds);

    public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        if (root is null) return;
        foreach (var diagnostic in context.Diagnostics)
        {
            var warning = root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true).FirstAncestorOrSelf<AssignmentExpressionSyntax>();
            if (warning?.Parent is not InitializerExpressionSyntax initializer) continue;
            var drop = initializer.Expressions.OfType<AssignmentExpressionSyntax>()
                .FirstOrDefault(a => a.Left is IdentifierNameSyntax { Identifier.ValueText: "DropThreshold" });
            if (drop is null) continue;
            context.RegisterCodeFix(CodeAction.Create("Swap WarningThreshold and DropThreshold", ct =>
            {
                var newRoot = root.ReplaceNodes(new[] { warning.Right, drop.Right }, (original, _) =>
                    original == warning.Right ? drop.Right.WithTriviaFrom(warning.Right) : warning.Right.WithTriviaFrom(drop.Right));
                return Task.FromResult(context.Document.WithSyntaxRoot(newRoot));
            }, nameof(SwapThresholdsCodeFixProvider)), diagnostic);
        }
    }
}
