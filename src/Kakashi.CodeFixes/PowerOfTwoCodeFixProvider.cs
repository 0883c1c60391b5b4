using System.Collections.Immutable;
using System.Composition;
using System.Globalization;
using System.Threading.Tasks;
using Kakashi.Generators.Analyzers;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Kakashi.CodeFixes;

/// <summary>KAK050: rounds a size up to the next power of two (written like the original: hex stays hex, <c>n * 1024</c> stays a product).</summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(PowerOfTwoCodeFixProvider)), Shared]
public sealed class PowerOfTwoCodeFixProvider : CodeFixProvider
{
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(DiagnosticIds.NotPowerOfTwo);

    public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        if (root is null) return;
        foreach (var diagnostic in context.Diagnostics)
        {
            if (!diagnostic.Properties.TryGetValue(ConfigurationAnalyzer.ReplacementProperty, out string? text)
                || !long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out long value)) continue;
            if (root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true) is not ExpressionSyntax expression) continue;
            context.RegisterCodeFix(CodeAction.Create($"Use {value} (the next power of two)", ct =>
            {
                var replacement = Write(expression, value).WithTriviaFrom(expression);
                return Task.FromResult(context.Document.WithSyntaxRoot(root.ReplaceNode(expression, replacement)));
            }, nameof(PowerOfTwoCodeFixProvider)), diagnostic);
        }
    }

    internal static ExpressionSyntax Write(ExpressionSyntax original, long value)
    {
        if (original is LiteralExpressionSyntax literal && literal.Token.Text.StartsWith("0x", System.StringComparison.OrdinalIgnoreCase))
            return Number("0x" + value.ToString("X", CultureInfo.InvariantCulture), value);
        if (original is BinaryExpressionSyntax { RawKind: (int)SyntaxKind.MultiplyExpression })
        {
            // 3 * 1000 * 1024 -> 4 * 1024 * 1024: keep the product form, in KiB and MiB
            long mib = 1024 * 1024;
            if (value % mib == 0) return Product(value / mib, 1024, 1024);
            if (value % 1024 == 0) return Product(value / 1024, 1024);
        }
        return Number(value.ToString(CultureInfo.InvariantCulture), value);
    }

    private static ExpressionSyntax Product(long first, params long[] factors)
    {
        ExpressionSyntax result = Number(first.ToString(CultureInfo.InvariantCulture), first);
        foreach (long factor in factors)
            result = SyntaxFactory.BinaryExpression(SyntaxKind.MultiplyExpression, result, Number(factor.ToString(CultureInfo.InvariantCulture), factor));
        return result;
    }

    private static LiteralExpressionSyntax Number(string text, long value)
        => value <= int.MaxValue
            ? SyntaxFactory.LiteralExpression(SyntaxKind.NumericLiteralExpression, SyntaxFactory.Literal(text, (int)value))
            : SyntaxFactory.LiteralExpression(SyntaxKind.NumericLiteralExpression, SyntaxFactory.Literal(text, value));
}
