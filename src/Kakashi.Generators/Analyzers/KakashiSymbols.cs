using System.Collections.Concurrent;
using Microsoft.CodeAnalysis;

namespace Kakashi.Generators.Analyzers;

/// <summary>
/// The symbols every Kakashi analyzer needs, looked up once per compilation (in a compilation-start action). Null when the
/// compilation does not reference Kakashi: the analyzers then register nothing.
/// </summary>
internal sealed class KakashiSymbols
{
    private readonly ConcurrentDictionary<IMethodSymbol, AttributeData?> _logAttributes = new(SymbolEqualityComparer.Default);

    private KakashiSymbols(Compilation compilation, INamedTypeSymbol attribute, INamedTypeSymbol logger, INamedTypeSymbol logLevel, INamedTypeSymbol exception)
    {
        Compilation = compilation;
        Attribute = attribute;
        Logger = logger;
        LogLevel = logLevel;
        Exception = exception;
        GeneratedCode = compilation.GetTypeByMetadataName(KnownTypes.GeneratedCodeAttribute);
    }

    public Compilation Compilation { get; }
    public INamedTypeSymbol Attribute { get; }
    public INamedTypeSymbol Logger { get; }
    public INamedTypeSymbol LogLevel { get; }
    public INamedTypeSymbol Exception { get; }
    public INamedTypeSymbol? GeneratedCode { get; }

    public static KakashiSymbols? Create(Compilation compilation)
    {
        var attribute = compilation.GetTypeByMetadataName(KnownTypes.KakashiLogAttribute);
        var logger = compilation.GetTypeByMetadataName(KnownTypes.KakashiLogger);
        var level = compilation.GetTypeByMetadataName(KnownTypes.LogLevel);
        var exception = compilation.GetTypeByMetadataName(KnownTypes.Exception);
        if (attribute is null || logger is null || level is null || exception is null) return null;
        return new KakashiSymbols(compilation, attribute, logger, level, exception);
    }

    /// <summary>The method's [KakashiLog] attribute, or null (cached: call sites ask about the same methods again and again).</summary>
    public AttributeData? GetLogAttribute(IMethodSymbol method)
    {
        method = (method.PartialDefinitionPart ?? method).OriginalDefinition;
        if (method.MethodKind != MethodKind.Ordinary) return null;
        return _logAttributes.GetOrAdd(method, m =>
        {
            foreach (var attribute in m.GetAttributes())
                if (SymbolEqualityComparer.Default.Equals(attribute.AttributeClass, Attribute)) return attribute;
            return null;
        });
    }

    public bool IsLogger(ITypeSymbol type) => SymbolEqualityComparer.Default.Equals(type, Logger);

    public bool IsLogLevel(ITypeSymbol type) => SymbolEqualityComparer.Default.Equals(type, LogLevel);

    public bool IsException(ITypeSymbol type) => KakashiLogGenerator.Parser.InheritsFrom(type, Exception);
}
