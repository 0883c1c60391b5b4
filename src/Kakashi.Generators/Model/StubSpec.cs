namespace Kakashi.Generators.Model;

/// <summary>What the pipeline keeps of one [KakashiLog] method: exactly one of the two is set.</summary>
internal sealed record LogMethodModel(LogMethodSpec? Spec, StubSpec? Stub);

/// <summary>
/// The implementation written for a partial [KakashiLog] method the generator cannot write: it does nothing, and only exists
/// so that the compiler does not stop at "partial method must have an implementation part" (CS8795) before the analyzers
/// report why the method could not be generated. The declaration is kept as text, as the definition declares it
/// (modifiers, return type, type parameters, parameters with their modifiers), with fully qualified types.
/// <see cref="Unsafe"/>: the signature has pointers but the method is not <c>unsafe</c> itself (its type declaration is), so
/// the generated part of the type must be <c>unsafe</c> too.
/// </summary>
internal sealed record StubSpec(
    string? Namespace,
    EquatableArray<ContainingTypeSpec> ContainingTypes,
    string Declaration,
    EquatableArray<string> Constraints,
    EquatableArray<string> OutParameters,
    string? ReturnStatement,
    bool Unsafe,
    string QualifiedName,
    string HintName);
