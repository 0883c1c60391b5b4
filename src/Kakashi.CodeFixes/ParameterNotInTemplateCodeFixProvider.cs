using System.Collections.Generic;
using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Kakashi.Generators.Analyzers;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.FindSymbols;
using Microsoft.CodeAnalysis.Operations;

namespace Kakashi.CodeFixes;

/// <summary>KAK022: adds the parameter to the message as a hole, or removes it (and its argument at every call site).</summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(ParameterNotInTemplateCodeFixProvider)), Shared]
public sealed class ParameterNotInTemplateCodeFixProvider : CodeFixProvider
{
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(DiagnosticIds.ParameterNotInTemplate);

    public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        var model = await context.Document.GetSemanticModelAsync(context.CancellationToken).ConfigureAwait(false);
        if (root is null || model is null) return;
        foreach (var diagnostic in context.Diagnostics)
        {
            var parameter = root.FindToken(diagnostic.Location.SourceSpan.Start).Parent?.FirstAncestorOrSelf<ParameterSyntax>();
            var method = parameter?.FirstAncestorOrSelf<MethodDeclarationSyntax>();
            if (parameter is null || method is null) continue;
            string name = parameter.Identifier.ValueText;

            var message = MessageLiteral.Find(method, model, context.CancellationToken);
            if (message is not null)
            {
                string hole = "{" + MessageLiteral.HoleName(name) + "}";
                context.RegisterCodeFix(CodeAction.Create($"Add '{hole}' to the message", ct =>
                {
                    string value = message.Value;
                    string text = value.Length == 0 || value.EndsWith(" ", System.StringComparison.Ordinal) ? hole : " " + hole;
                    var literal = message.Replace(value.Length, 0, text);
                    return Task.FromResult(literal is null ? context.Document : context.Document.WithSyntaxRoot(root.ReplaceNode(message.Literal, literal)));
                }, nameof(ParameterNotInTemplateCodeFixProvider) + ".Add"), diagnostic);
            }

            context.RegisterCodeFix(CodeAction.Create($"Remove parameter '{name}'", ct => RemoveAsync(context.Document, parameter, ct), nameof(ParameterNotInTemplateCodeFixProvider) + ".Remove"), diagnostic);
        }
    }

    /// <summary>Removes the parameter from the declaration and the matching argument from every call in the solution.</summary>
    private static async Task<Solution> RemoveAsync(Document document, ParameterSyntax parameter, CancellationToken cancellationToken)
    {
        var model = await document.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false);
        var symbol = model?.GetDeclaredSymbol(parameter, cancellationToken) as IParameterSymbol;
        var solution = document.Project.Solution;
        if (symbol?.ContainingSymbol is not IMethodSymbol method) return solution;

        // arguments to remove, per document
        var removals = new Dictionary<DocumentId, List<ArgumentSyntax>>();
        var references = await SymbolFinder.FindReferencesAsync(method, solution, cancellationToken).ConfigureAwait(false);
        foreach (var location in references.SelectMany(r => r.Locations))
        {
            var callDocument = location.Document;
            var callRoot = await callDocument.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
            var callModel = await callDocument.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false);
            var invocation = callRoot?.FindNode(location.Location.SourceSpan).FirstAncestorOrSelf<InvocationExpressionSyntax>();
            if (invocation is null || callModel?.GetOperation(invocation, cancellationToken) is not IInvocationOperation operation) continue;
            foreach (var argument in operation.Arguments)
            {
                if (argument.Parameter?.Ordinal == symbol.Ordinal && argument.Syntax is ArgumentSyntax syntax)
                {
                    if (!removals.TryGetValue(callDocument.Id, out var list)) removals.Add(callDocument.Id, list = new List<ArgumentSyntax>());
                    list.Add(syntax);
                }
            }
        }

        var declarationDocument = document.Id;
        if (!removals.ContainsKey(declarationDocument)) removals.Add(declarationDocument, new List<ArgumentSyntax>());
        foreach (var pair in removals)
        {
            var current = solution.GetDocument(pair.Key)!;
            var root = await current.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
            if (root is null) continue;
            var nodes = new List<SyntaxNode>(pair.Value);
            if (pair.Key == declarationDocument) nodes.Add(parameter);
            var newRoot = root.RemoveNodes(nodes, SyntaxRemoveOptions.KeepNoTrivia);
            if (newRoot is not null) solution = solution.WithDocumentSyntaxRoot(pair.Key, newRoot);
        }
        return solution;
    }
}
