using System.Collections.Generic;
using System.Linq;
using System.Text;
using System.Threading;
using Kakashi.Generators.Model;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Kakashi.Generators;

public sealed partial class KakashiLogGenerator
{
    /// <summary>
    /// The empty implementation of a partial [KakashiLog] method the generator cannot write (no logger, a hole without a
    /// parameter, a non-void return...). Without one, the compiler reports CS8795 ("partial method must have an
    /// implementation part") and a command-line build stops before the analyzers run, so the KAK diagnostic that says what
    /// is wrong would only show in the IDE. The stub declares the method exactly as its definition does (a partial
    /// implementation must repeat modifiers, ref kinds, <c>params</c>, <c>this</c>, type parameters and constraints), with
    /// fully qualified types since the generated file has none of the user's usings.
    /// </summary>
    internal static class Stub
    {
        private const string NullRef = "global::System.Runtime.CompilerServices.Unsafe.NullRef";

        /// <summary>The stub of a partial definition without implementation in partial types, or null when none can be written.</summary>
        public static StubSpec? Create(IMethodSymbol method, MethodDeclarationSyntax syntax, SemanticModel semanticModel, CancellationToken cancellationToken)
        {
            if (method.MethodKind != MethodKind.Ordinary || !method.IsPartialDefinition || method.PartialImplementationPart is not null) return null;
            if (syntax.Body is not null || syntax.ExpressionBody is not null || syntax.ExplicitInterfaceSpecifier is not null) return null;
            var parameterSyntax = syntax.ParameterList.Parameters;
            if (parameterSyntax.Count != method.Parameters.Length) return null; // __arglist
            var containing = Parser.ContainingTypes(method, cancellationToken);
            if (containing is null) return null;

            string returnType = method.ReturnsVoid ? "void" : method.ReturnType.ToDisplayString(Parser.TypeFormat);
            string byRef = method.ReturnsByRefReadonly ? "ref readonly " : method.ReturnsByRef ? "ref " : "";
            var declaration = new StringBuilder();
            declaration.Append(string.Join(" ", syntax.Modifiers.Select(m => m.Text))).Append(' ').Append(byRef).Append(returnType).Append(' ').Append(Parser.Escape(method.Name));
            if (method.TypeParameters.Length > 0)
                declaration.Append('<').Append(string.Join(", ", method.TypeParameters.Select(t => Parser.Escape(t.Name)))).Append('>');

            // parameters: the modifiers as written (this, scoped, ref, readonly, in, out, params), the type from the symbol
            declaration.Append('(');
            var outParameters = new List<string>();
            var signature = new StringBuilder();
            for (int i = 0; i < parameterSyntax.Count; i++)
            {
                var parameter = method.Parameters[i];
                string type = parameter.Type.ToDisplayString(Parser.TypeFormat);
                string modifiers = string.Concat(parameterSyntax[i].Modifiers.Select(m => m.Text + " "));
                if (i > 0) declaration.Append(", ");
                declaration.Append(modifiers).Append(type).Append(' ').Append(Parser.Escape(parameter.Name));
                if (parameter.RefKind == RefKind.Out) outParameters.Add(Parser.Escape(parameter.Name));
                signature.Append(i > 0 ? "," : "").Append(parameter.RefKind).Append(' ').Append(type);
            }
            declaration.Append(')');

            // constraint clauses as written, with each constraint type fully qualified
            var constraints = syntax.ConstraintClauses
                .Select(clause => "where " + Parser.Escape(clause.Name.Identifier.ValueText) + " : "
                    + string.Join(", ", clause.Constraints.Select(c => Constraint(c, semanticModel, cancellationToken))))
                .ToArray();

            bool needsUnsafe = !syntax.Modifiers.Any(m => m.IsKind(SyntaxKind.UnsafeKeyword))
                && (HasPointer(method.ReturnType) || method.Parameters.Any(p => HasPointer(p.Type)));
            string? returnStatement = method.ReturnsVoid ? null : byRef.Length > 0 ? $"return ref {NullRef}<{returnType}>();" : "return default!;";
            string ns = method.ContainingNamespace.IsGlobalNamespace ? "" : method.ContainingNamespace.ToDisplayString();
            string qualified = method.ContainingType.ToDisplayString(SymbolDisplayFormat.CSharpErrorMessageFormat) + "." + method.Name;
            string hash = Parser.Hash(qualified + "`" + method.Arity + "(" + signature + ")");
            return new StubSpec(
                ns.Length == 0 ? null : ns,
                containing.Value,
                declaration.ToString(),
                new EquatableArray<string>(constraints),
                new EquatableArray<string>(outParameters.ToArray()),
                returnStatement,
                needsUnsafe,
                method.ToDisplayString(SymbolDisplayFormat.CSharpErrorMessageFormat),
                (ns.Length == 0 ? "" : ns + ".") + qualified.Replace('<', '[').Replace('>', ']') + "_" + hash + ".Stub.g.cs");
        }

        /// <summary>One constraint of a clause: a type, fully qualified; anything else (class, struct, new(), unmanaged...) as written.</summary>
        private static string Constraint(TypeParameterConstraintSyntax constraint, SemanticModel semanticModel, CancellationToken cancellationToken)
        {
            if (constraint is TypeConstraintSyntax typeConstraint
                && semanticModel.GetTypeInfo(typeConstraint.Type, cancellationToken).Type is { TypeKind: not TypeKind.Error } type)
            {
                // the type of a constraint comes without its top-level '?' (which must match the definition's: CS8667)
                if (typeConstraint.Type is NullableTypeSyntax && type.OriginalDefinition.SpecialType != SpecialType.System_Nullable_T)
                    type = type.WithNullableAnnotation(NullableAnnotation.Annotated);
                return type.ToDisplayString(Parser.TypeFormat);
            }
            return constraint.ToString();
        }

        private static bool HasPointer(ITypeSymbol type) => type switch
        {
            IPointerTypeSymbol or IFunctionPointerTypeSymbol => true,
            IArrayTypeSymbol array => HasPointer(array.ElementType),
            _ => false,
        };

        public static string Emit(StubSpec stub)
        {
            var sb = new StringBuilder();
            int indent = Emitter.Open(sb, stub.Namespace, stub.ContainingTypes, stub.Unsafe);
            Emitter.Line(sb, indent, $"// Kakashi could not generate {stub.QualifiedName}: see the KAK diagnostics reported on its declaration.");
            Emitter.Line(sb, indent, "// This stub does nothing; it only implements the partial method so that the build reports them (instead of CS8795).");
            Emitter.Line(sb, indent, Emitter.GeneratedCode);
            Emitter.Line(sb, indent, stub.Declaration);
            foreach (string constraint in stub.Constraints) Emitter.Line(sb, indent + 1, constraint);
            Emitter.Line(sb, indent, "{");
            foreach (string name in stub.OutParameters) Emitter.Line(sb, indent + 1, name + " = default!;");
            if (stub.ReturnStatement is not null) Emitter.Line(sb, indent + 1, stub.ReturnStatement);
            Emitter.Line(sb, indent, "}");
            return Emitter.Close(sb, indent);
        }
    }
}
