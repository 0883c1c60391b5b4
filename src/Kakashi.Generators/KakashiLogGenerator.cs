using Kakashi.Generators.Model;
using Microsoft.CodeAnalysis;

namespace Kakashi.Generators;

/// <summary>
/// Generates the body of every <c>[KakashiLog]</c> partial method. The pipeline turns each attributed method into a
/// value-equatable <see cref="LogMethodSpec"/> right away, so an edit elsewhere leaves the cached output untouched.
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed partial class KakashiLogGenerator : IIncrementalGenerator
{
    /// <summary>Tracking names of the pipeline steps (tests use them to prove caching).</summary>
    public static class TrackingNames
    {
        public const string Methods = "KakashiLogMethods";
        public const string Generatable = "KakashiGeneratableMethods";
    }

    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        var methods = context.SyntaxProvider
            .ForAttributeWithMetadataName(
                KnownTypes.KakashiLogAttribute,
                predicate: static (node, _) => node is Microsoft.CodeAnalysis.CSharp.Syntax.MethodDeclarationSyntax,
                transform: static (ctx, ct) => Parser.Parse(ctx, ct))
            .WithTrackingName(TrackingNames.Methods)
            .Where(static spec => spec is not null)
            .Select(static (spec, _) => spec!)
            .WithTrackingName(TrackingNames.Generatable);

        context.RegisterSourceOutput(methods, static (spc, spec) =>
        {
            string hint = (spec.Namespace is null ? "" : spec.Namespace + ".") + spec.QualifiedName.Replace('<', '[').Replace('>', ']') + "_" + spec.Suffix + ".g.cs";
            spc.AddSource(hint, Emitter.Emit(spec));
        });
    }
}
