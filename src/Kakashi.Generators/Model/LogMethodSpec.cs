namespace Kakashi.Generators.Model;

/// <summary>Everything the emitter needs to write one [KakashiLog] method. Value-equatable: no symbols, no syntax.</summary>
internal sealed record LogMethodSpec(
    string? Namespace,
    EquatableArray<ContainingTypeSpec> ContainingTypes,
    string MethodName,
    string Modifiers,
    bool IsStatic,
    EquatableArray<ParameterSpec> Parameters,
    int Level,
    int LevelParameter,
    string LoggerExpression,
    int EventId,
    string? EventName,
    string Message,
    EquatableArray<ArgSpec> Args,
    EquatableArray<SegmentSpec> Segments,
    string QualifiedName,
    string Suffix);

/// <summary>A type enclosing the method (outermost first): keyword (<c>class</c>, <c>record struct</c>...) and name with type parameters.</summary>
internal sealed record ContainingTypeSpec(string Keyword, string Name);

/// <summary>How a parameter's value travels through the ring.</summary>
internal enum ArgEncoding
{
    /// <summary>Not written: the logger, or a level parameter no hole uses.</summary>
    None,
    /// <summary>Raw bytes of an unmanaged value.</summary>
    Unmanaged,
    /// <summary>Presence byte + raw bytes.</summary>
    Nullable,
    /// <summary>UTF-16 chars of a string.</summary>
    String,
    /// <summary>UTF-16 chars of a char span.</summary>
    Chars,
    /// <summary>Formatted to UTF-8 on the caller (value type holding references).</summary>
    Formatted,
    /// <summary>ToString() on the caller (allocates; other reference types).</summary>
    ToString,
    /// <summary>Reference kept in the object ring.</summary>
    Exception,
}

/// <summary>A parameter as declared. The logger and the level parameter are not passed to the record writer.</summary>
internal sealed record ParameterSpec(string Name, string Type, string Prefix, bool PassToWriter);

/// <summary>
/// One argument in the record's payload, in order: which parameter it reads, how it is encoded and its wire type (data the
/// runtime maps to a codec). A value formatted on the calling thread appears once per distinct hole format.
/// </summary>
internal sealed record ArgSpec(string Name, string Source, ArgEncoding Encoding, string? ValueType, ArgWire Wire, string? Format);

/// <summary>
/// An argument's wire type: a built-in <c>Kakashi.Templates.ArgType</c> member (<see cref="Type"/>), or, for enums and user
/// value types, the <c>TemplateArg</c> factory that describes them from their type (<see cref="Factory"/>: Enum, Formattable,
/// SpanFormattable; <see cref="TypeArgument"/>: the type).
/// </summary>
internal sealed record ArgWire(string? Type, string? Factory, string? TypeArgument, bool Nullable)
{
    public static ArgWire Of(string type) => new(type, null, null, false);
}

/// <summary>A template segment: literal text, or a hole bound to an argument index (index in <see cref="LogMethodSpec.Args"/>).</summary>
internal sealed record SegmentSpec(bool IsLiteral, string Text, int ArgIndex, int Alignment, string? Format);
