using Kakashi.Generators.Model;
using Microsoft.CodeAnalysis;

namespace Kakashi.Generators;

/// <summary>
/// Generates the body of every <c>[KakashiLog]</c> partial method. The pipeline turns each attributed method into a
/// value-equatable <see cref="LogMethodModel"/> right away, so an edit elsewhere leaves the cached output untouched. A
/// partial method the generator cannot write gets an empty stub instead (see <see cref="Stub"/>), so that a build reports
/// the analyzers' reason rather than the compiler's "no implementation".
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed partial class KakashiLogGenerator : IIncrementalGenerator
{
    /// <summary>Tracking names of the pipeline steps (tests use them to prove caching).</summary>
    public static class TrackingNames
    {
        public const string Methods = "KakashiLogMethods";
        public const string Generatable = "KakashiGeneratableMethods";
        public const string Stubs = "KakashiStubMethods";
    }

    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        var methods = context.SyntaxProvider
            .ForAttributeWithMetadataName(
                KnownTypes.KakashiLogAttribute,
                predicate: static (node, _) => node is Microsoft.CodeAnalysis.CSharp.Syntax.MethodDeclarationSyntax,
                transform: static (ctx, ct) => Parser.Parse(ctx, ct))
            .WithTrackingName(TrackingNames.Methods);

        var generatable = methods
            .Where(static model => model?.Spec is not null)
            .Select(static (model, _) => model!.Spec!)
            .WithTrackingName(TrackingNames.Generatable);

        var stubs = methods
            .Where(static model => model?.Stub is not null)
            .Select(static (model, _) => model!.Stub!)
            .WithTrackingName(TrackingNames.Stubs);

        context.RegisterSourceOutput(generatable, static (spc, spec) =>
        {
            string hint = (spec.Namespace is null ? "" : spec.Namespace + ".") + spec.QualifiedName.Replace('<', '[').Replace('>', ']') + "_" + spec.Suffix + ".g.cs";
            spc.AddSource(hint, Emitter.Emit(spec));
        });
        context.RegisterSourceOutput(stubs, static (spc, stub) => spc.AddSource(stub.HintName, Stub.Emit(stub)));
    }
}
