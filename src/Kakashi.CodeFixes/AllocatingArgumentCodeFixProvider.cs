using Kakashi.Shared;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Kakashi.Generators;
using Kakashi.Generators.Analyzers;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.FindSymbols;
using Microsoft.CodeAnalysis.Operations;

namespace Kakashi.CodeFixes;

/// <summary>
/// KAK042: turns <c>log.M($"id={id} qty={qty,5}")</c> into <c>log.M(id, qty)</c> with the hole that showed the string
/// replaced by <c>id={Id} qty={Qty,5}</c> and the string parameter by <c>int id, int qty</c>. Offered only where this is
/// mechanical: the log method is in the solution and this is its only call, the string parameter feeds exactly one plain
/// hole of a literal message, and every interpolation is a named value (a local, parameter, field or property).
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(AllocatingArgumentCodeFixProvider)), Shared]
public sealed class AllocatingArgumentCodeFixProvider : CodeFixProvider
{
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(DiagnosticIds.AllocatingArgument);

    public override FixAllProvider? GetFixAllProvider() => null; // each rewrite changes a method signature

    private sealed class Plan
    {
        public Plan(Document callDocument, ArgumentSyntax argument, Document declarationDocument, MethodDeclarationSyntax method, ParameterSyntax parameter, MessageLiteral message, TemplateParser.Hole hole)
        {
            CallDocument = callDocument;
            Argument = argument;
            DeclarationDocument = declarationDocument;
            Method = method;
            Parameter = parameter;
            Message = message;
            Hole = hole;
        }

        public Document CallDocument { get; }
        public ArgumentSyntax Argument { get; }
        public Document DeclarationDocument { get; }
        public MethodDeclarationSyntax Method { get; }
        public ParameterSyntax Parameter { get; }
        public MessageLiteral Message { get; }
        public TemplateParser.Hole Hole { get; }
        public string Template { get; set; } = "";
        public List<(ExpressionSyntax Value, string Name, ITypeSymbol Type)> Values { get; } = new();
    }

    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        foreach (var diagnostic in context.Diagnostics)
        {
            if (!diagnostic.Properties.TryGetValue(AllocatingArgumentAnalyzer.KindProperty, out string? kind) || kind != "interpolation") continue;
            var plan = await PlanAsync(context.Document, diagnostic, context.CancellationToken).ConfigureAwait(false);
            if (plan is null) continue;
            context.RegisterCodeFix(CodeAction.Create("Move the interpolated values into the log method's template", ct => ApplyAsync(plan, ct), nameof(AllocatingArgumentCodeFixProvider)), diagnostic);
        }
    }

    private static async Task<Plan?> PlanAsync(Document document, Diagnostic diagnostic, CancellationToken cancellationToken)
    {
        var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        var model = await document.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false);
        if (root is null || model is null) return null;
        var interpolated = root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true) as InterpolatedStringExpressionSyntax;
        // $"..." and $@"...": their text escapes braces as {{ }}, like a template (raw $$"""...""" strings do not)
        if (interpolated is null || !(interpolated.StringStartToken.IsKind(SyntaxKind.InterpolatedStringStartToken) || interpolated.StringStartToken.IsKind(SyntaxKind.InterpolatedVerbatimStringStartToken))) return null;
        if (interpolated.Parent is not ArgumentSyntax { NameColon: null } argument || argument.Parent?.Parent is not InvocationExpressionSyntax invocation) return null;
        if (model.GetOperation(invocation, cancellationToken) is not IInvocationOperation operation) return null;
        var argumentOperation = operation.Arguments.FirstOrDefault(a => a.Syntax == argument);
        var method = operation.TargetMethod.OriginalDefinition;
        if (argumentOperation?.Parameter is not { } parameterSymbol) return null;

        // the declaration, in this solution, and this call as its only use
        var definition = method.PartialDefinitionPart ?? method;
        var declarationSyntax = definition.DeclaringSyntaxReferences.Select(r => r.GetSyntax(cancellationToken)).OfType<MethodDeclarationSyntax>().FirstOrDefault();
        if (declarationSyntax is null) return null;
        var declarationDocument = document.Project.Solution.GetDocument(declarationSyntax.SyntaxTree);
        if (declarationDocument is null) return null;
        var references = await SymbolFinder.FindReferencesAsync(definition, document.Project.Solution, cancellationToken).ConfigureAwait(false);
        if (references.SelectMany(r => r.Locations).Count() != 1) return null;

        var declarationModel = await declarationDocument.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false);
        if (declarationModel is null) return null;
        var message = MessageLiteral.Find(declarationSyntax, declarationModel, cancellationToken);
        if (message is null) return null;
        var template = TemplateParser.Parse(message.Value);
        if (template.Error is not null) return null;
        var holes = template.Holes.Where(h => KakashiLogGenerator.Parser.Bind(h.Name, definition.Parameters) == parameterSymbol.Ordinal).ToList();
        if (holes.Count != 1 || holes[0].Alignment != 0 || holes[0].Format is not null) return null;
        var parameterSyntax = declarationSyntax.ParameterList.Parameters.ElementAtOrDefault(parameterSymbol.Ordinal);
        if (parameterSyntax is null) return null;

        var plan = new Plan(document, argument, declarationDocument, declarationSyntax, parameterSyntax, message, holes[0]);
        var taken = new HashSet<string>(definition.Parameters.Where(p => p.Ordinal != parameterSymbol.Ordinal).Select(p => p.Name), System.StringComparer.OrdinalIgnoreCase);
        var text = new StringBuilder();
        foreach (var content in interpolated.Contents)
        {
            if (content is InterpolatedStringTextSyntax literal)
            {
                text.Append(literal.TextToken.ValueText); // braces stay doubled in an interpolated string's text: already template escapes
                continue;
            }
            var interpolation = (InterpolationSyntax)content;
            string? name = interpolation.Expression switch
            {
                IdentifierNameSyntax identifier => identifier.Identifier.ValueText,
                MemberAccessExpressionSyntax { Name: IdentifierNameSyntax member } => member.Identifier.ValueText,
                _ => null,
            };
            var type = model.GetTypeInfo(interpolation.Expression, cancellationToken).Type;
            if (name is null || type is null || type.TypeKind == TypeKind.Error) return null;
            string unique = MessageLiteral.HoleName(name.TrimStart('_'));
            for (int n = 2; !taken.Add(unique); n++) unique = MessageLiteral.HoleName(name.TrimStart('_')) + n;
            text.Append('{').Append(unique);
            if (interpolation.AlignmentClause is { } alignment) text.Append(',').Append(alignment.Value.ToString().Replace(" ", ""));
            if (interpolation.FormatClause is { } format) text.Append(':').Append(format.FormatStringToken.ValueText);
            text.Append('}');
            plan.Values.Add((interpolation.Expression, unique, type));
        }
        if (plan.Values.Count == 0) return null;
        plan.Template = text.ToString();
        return plan;
    }

    private static async Task<Solution> ApplyAsync(Plan plan, CancellationToken cancellationToken)
    {
        var solution = plan.CallDocument.Project.Solution;
        var declarationModel = await plan.DeclarationDocument.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false);
        if (declarationModel is null) return solution;

        // the call: one argument per interpolated value
        var list = (ArgumentListSyntax)plan.Argument.Parent!;
        var arguments = new List<ArgumentSyntax>();
        foreach (var existing in list.Arguments)
        {
            if (existing != plan.Argument)
            {
                arguments.Add(existing);
                continue;
            }
            for (int i = 0; i < plan.Values.Count; i++)
            {
                var value = SyntaxFactory.Argument(plan.Values[i].Value.WithoutTrivia());
                arguments.Add(i == 0 ? value.WithLeadingTrivia(existing.GetLeadingTrivia()) : value.WithLeadingTrivia(SyntaxFactory.Space));
            }
        }
        var newList = list.WithArguments(SyntaxFactory.SeparatedList(arguments));

        // the declaration: the new parameters replace the string parameter, the template text replaces its hole
        var parameterList = plan.Method.ParameterList;
        var parameters = new List<ParameterSyntax>();
        foreach (var existing in parameterList.Parameters)
        {
            if (existing != plan.Parameter)
            {
                parameters.Add(existing);
                continue;
            }
            for (int i = 0; i < plan.Values.Count; i++)
            {
                string type = plan.Values[i].Type.ToMinimalDisplayString(declarationModel, existing.SpanStart);
                var parameter = SyntaxFactory.Parameter(SyntaxFactory.Identifier(MessageLiteral.ParameterName(plan.Values[i].Name)))
                    .WithType(SyntaxFactory.ParseTypeName(type).WithTrailingTrivia(SyntaxFactory.Space));
                parameters.Add(i == 0 ? parameter.WithLeadingTrivia(existing.GetLeadingTrivia()) : parameter.WithLeadingTrivia(SyntaxFactory.Space));
            }
        }
        var newParameterList = parameterList.WithParameters(SyntaxFactory.SeparatedList(parameters));
        var newLiteral = plan.Message.Replace(plan.Hole.Start, plan.Hole.Length, plan.Template);
        if (newLiteral is null) return solution;

        var replacements = new Dictionary<SyntaxNode, SyntaxNode> { [parameterList] = newParameterList, [plan.Message.Literal] = newLiteral };
        if (plan.CallDocument.Id == plan.DeclarationDocument.Id)
        {
            replacements[list] = newList;
        }
        else
        {
            var callRoot = await plan.CallDocument.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
            solution = solution.WithDocumentSyntaxRoot(plan.CallDocument.Id, callRoot!.ReplaceNode(list, newList));
        }
        var declarationRoot = await plan.DeclarationDocument.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        return solution.WithDocumentSyntaxRoot(plan.DeclarationDocument.Id, declarationRoot!.ReplaceNodes(replacements.Keys, (original, _) => replacements[original]));
    }
}
