using Kakashi.Shared;
using System.Collections.Immutable;
using System.Composition;
using System.Globalization;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Kakashi.Generators;
using Kakashi.Generators.Analyzers;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Kakashi.CodeFixes;

/// <summary>KAK021: adds a parameter for the hole, or renames the hole to the closest parameter.</summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(HoleWithoutParameterCodeFixProvider)), Shared]
public sealed class HoleWithoutParameterCodeFixProvider : CodeFixProvider
{
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(DiagnosticIds.HoleWithoutParameter);

    public override FixAllProvider? GetFixAllProvider() => null; // each hole is its own decision

    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        var model = await context.Document.GetSemanticModelAsync(context.CancellationToken).ConfigureAwait(false);
        if (root is null || model is null) return;
        foreach (var diagnostic in context.Diagnostics)
        {
            if (!diagnostic.Properties.TryGetValue(TemplateAnalyzer.HoleProperty, out string? holeName) || holeName is null) continue;
            if (!int.TryParse(diagnostic.Properties[TemplateAnalyzer.HoleStartProperty], NumberStyles.None, CultureInfo.InvariantCulture, out int holeStart)) continue;
            var method = root.FindToken(diagnostic.Location.SourceSpan.Start).Parent?.FirstAncestorOrSelf<MethodDeclarationSyntax>();
            if (method is null) continue;
            string bindingName = LogMethod.BindingName(holeName);

            string parameterName = MessageLiteral.ParameterName(bindingName);
            context.RegisterCodeFix(CodeAction.Create($"Add parameter 'string {parameterName}'", ct =>
            {
                var list = method.ParameterList;
                var parameter = SyntaxFactory.Parameter(SyntaxFactory.Identifier(parameterName))
                    .WithType(SyntaxFactory.PredefinedType(SyntaxFactory.Token(SyntaxKind.StringKeyword)).WithTrailingTrivia(SyntaxFactory.Space));
                if (list.Parameters.Count > 0) parameter = parameter.WithLeadingTrivia(SyntaxFactory.Space);
                var newMethod = method.WithParameterList(list.WithParameters(list.Parameters.Add(parameter)));
                return Task.FromResult(context.Document.WithSyntaxRoot(root.ReplaceNode(method, newMethod)));
            }, nameof(HoleWithoutParameterCodeFixProvider) + ".Add"), diagnostic);

            if (diagnostic.Properties.TryGetValue(TemplateAnalyzer.SuggestionProperty, out string? suggestion) && suggestion is not null)
            {
                var message = MessageLiteral.Find(method, model, context.CancellationToken);
                var hole = message is null ? null : TemplateParser.Parse(message.Value).Holes.FirstOrDefault(h => h.Start == holeStart);
                if (message is null || hole is null) continue;
                int nameStart = message.Value.IndexOf(bindingName, hole.Start, hole.Length, System.StringComparison.Ordinal);
                if (nameStart < 0) continue;
                string newName = char.IsUpper(bindingName[0]) ? MessageLiteral.HoleName(suggestion) : suggestion;
                context.RegisterCodeFix(CodeAction.Create($"Rename hole '{{{holeName}}}' to '{{{newName}}}'", ct =>
                {
                    var literal = message.Replace(nameStart, bindingName.Length, newName);
                    return Task.FromResult(literal is null ? context.Document : context.Document.WithSyntaxRoot(root.ReplaceNode(message.Literal, literal)));
                }, nameof(HoleWithoutParameterCodeFixProvider) + ".Rename"), diagnostic);
            }
        }
    }
}
