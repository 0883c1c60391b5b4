using Kakashi.Shared;
using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Kakashi.Generators.Model;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Kakashi.Generators;

public sealed partial class KakashiLogGenerator
{
    /// <summary>
    /// Turns one attributed method into a <see cref="LogMethodModel"/>: the <see cref="LogMethodSpec"/> of its body, or, when
    /// the method cannot be generated (the analyzers report why), the <see cref="StubSpec"/> of an empty implementation so
    /// that the compiler does not stop at "no implementation" (CS8795) before the analyzers run. Null when neither can be
    /// written (the method is not a partial definition, or a type around it is not partial).
    /// </summary>
    internal static class Parser
    {
        internal static readonly SymbolDisplayFormat TypeFormat = SymbolDisplayFormat.FullyQualifiedFormat
            .AddMiscellaneousOptions(SymbolDisplayMiscellaneousOptions.IncludeNullableReferenceTypeModifier);

        public static LogMethodModel? Parse(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken)
        {
            if (context.TargetSymbol is not IMethodSymbol method || context.TargetNode is not MethodDeclarationSyntax syntax) return null;
            var spec = ParseSpec(context, method, syntax, cancellationToken);
            if (spec is not null) return new LogMethodModel(spec, null);
            var stub = Stub.Create(method, syntax, context.SemanticModel, cancellationToken);
            return stub is null ? null : new LogMethodModel(null, stub);
        }

        private static LogMethodSpec? ParseSpec(GeneratorAttributeSyntaxContext context, IMethodSymbol method, MethodDeclarationSyntax syntax, CancellationToken cancellationToken)
        {
            var compilation = context.SemanticModel.Compilation;
            var loggerType = compilation.GetTypeByMetadataName(KnownTypes.KakashiLogger);
            var levelType = compilation.GetTypeByMetadataName(KnownTypes.LogLevel);
            var exceptionType = compilation.GetTypeByMetadataName(KnownTypes.Exception);
            if (loggerType is null || levelType is null || exceptionType is null) return null;

            // shape: partial, no body, void, not generic
            if (!method.IsPartialDefinition || method.PartialImplementationPart is not null) return null;
            if (!method.ReturnsVoid || method.IsGenericMethod) return null;
            if (method.Parameters.Any(p => p.RefKind == RefKind.Out || p.RefKind == RefKind.Ref || p.IsParams)) return null;
            if (method.Parameters.Any(p => p.Type is IPointerTypeSymbol or IFunctionPointerTypeSymbol)) return null; // a stub is written instead

            var attribute = context.Attributes[0];
            if (!ReadAttribute(attribute, out int level, out string? message, out int eventId, out string? eventName)) return null;

            var containing = ContainingTypes(method, cancellationToken);
            if (containing is null) return null;

            // logger source
            string? loggerExpression = null;
            int levelParameter = -1;
            var parameters = method.Parameters;
            for (int i = 0; i < parameters.Length; i++)
            {
                var type = parameters[i].Type;
                if (loggerExpression is null && method.IsStatic && SymbolEqualityComparer.Default.Equals(type, loggerType))
                    loggerExpression = Escape(parameters[i].Name);
                else if (level < 0 && levelParameter < 0 && SymbolEqualityComparer.Default.Equals(type, levelType))
                    levelParameter = i;
            }
            if (level < 0 && levelParameter < 0) return null;
            if (!method.IsStatic)
            {
                loggerExpression = FindLoggerMember(method.ContainingType, loggerType, cancellationToken);
            }
            if (loggerExpression is null) return null;

            var template = TemplateParser.Parse(message!);
            if (template.Error is not null) return null;

            // which parameters a hole uses
            var holeTargets = new int[template.Holes.Count];
            for (int h = 0; h < template.Holes.Count; h++)
            {
                holeTargets[h] = Bind(template.Holes[h].Name, parameters);
                if (holeTargets[h] < 0) return null;
            }

            // declared parameters, then the payload: one argument per encoded parameter (per distinct format for values
            // formatted on the calling thread)
            var specs = new ParameterSpec[parameters.Length];
            var args = new List<ArgSpec>();
            var argOfHole = new int[holeTargets.Length];
            for (int i = 0; i < parameters.Length; i++)
            {
                var p = parameters[i];
                bool isLogger = method.IsStatic && loggerExpression == Escape(p.Name) && SymbolEqualityComparer.Default.Equals(p.Type, loggerType);
                bool isLevel = i == levelParameter;
                string prefix = (i == 0 && method.IsExtensionMethod ? "this " : "") + RefPrefix(p);
                specs[i] = new ParameterSpec(Escape(p.Name), p.Type.ToDisplayString(TypeFormat), prefix, !isLogger && !isLevel);
                if (isLogger) continue;
                bool usedByHole = Array.IndexOf(holeTargets, i) >= 0;
                if (isLevel && !usedByHole) continue;

                Classify(p.Type, compilation, exceptionType, out var encoding, out string? valueType, out ArgWire wire);
                string source = isLevel ? "__level" : Escape(p.Name);
                bool callerFormatted = encoding == ArgEncoding.Formatted || encoding == ArgEncoding.ToString;
                int first = -1;
                for (int h = 0; h < holeTargets.Length; h++)
                {
                    if (holeTargets[h] != i) continue;
                    string? format = template.Holes[h].Format;
                    int existing = -1;
                    if (callerFormatted)
                    {
                        for (int a = first < 0 ? args.Count : first; a < args.Count; a++)
                            if (args[a].Format == format) { existing = a; break; }
                    }
                    else if (first >= 0)
                    {
                        existing = first;
                    }
                    if (existing < 0)
                    {
                        existing = args.Count;
                        args.Add(new ArgSpec(p.Name, source, encoding, valueType, wire, callerFormatted ? format : null));
                    }
                    if (first < 0) first = existing;
                    argOfHole[h] = existing;
                }
                if (first < 0) args.Add(new ArgSpec(p.Name, source, encoding, valueType, wire, null));
            }

            var segments = new List<SegmentSpec>();
            int holeIndex = 0;
            foreach (var segment in template.Segments)
            {
                if (segment is string text)
                {
                    segments.Add(new SegmentSpec(true, text, -1, 0, null));
                }
                else
                {
                    var hole = (TemplateParser.Hole)segment;
                    if (holeTargets[holeIndex] >= 0 && !specs[holeTargets[holeIndex]].PassToWriter && holeTargets[holeIndex] != levelParameter) return null; // a hole on the logger
                    segments.Add(new SegmentSpec(false, hole.Name, argOfHole[holeIndex++], hole.Alignment, hole.Format));
                }
            }

            string ns = method.ContainingNamespace.IsGlobalNamespace ? "" : method.ContainingNamespace.ToDisplayString();
            string qualified = method.ContainingType.ToDisplayString(SymbolDisplayFormat.CSharpErrorMessageFormat) + "." + method.Name;
            // ref kinds are part of the signature: M(int) and M(in int) are different methods with different generated members
            string signature = qualified + "(" + string.Join(",", parameters.Select(p => (p.RefKind == RefKind.None ? "" : p.RefKind + " ") + p.Type.ToDisplayString(TypeFormat))) + ")";
            return new LogMethodSpec(
                ns.Length == 0 ? null : ns,
                containing.Value,
                Escape(method.Name),
                syntax.Modifiers.ToString(),
                method.IsStatic,
                new EquatableArray<ParameterSpec>(specs),
                level,
                levelParameter,
                loggerExpression,
                eventId,
                eventName,
                message!,
                new EquatableArray<ArgSpec>(args.ToArray()),
                new EquatableArray<SegmentSpec>(segments.ToArray()),
                qualified,
                Hash(signature));
        }

        /// <summary>The types enclosing the method, outermost first; null when one of them is not partial (nothing can be added to it).</summary>
        internal static EquatableArray<ContainingTypeSpec>? ContainingTypes(IMethodSymbol method, CancellationToken cancellationToken)
        {
            var containing = new List<ContainingTypeSpec>();
            for (var type = method.ContainingType; type is not null; type = type.ContainingType)
            {
                var typeSyntax = type.DeclaringSyntaxReferences.Select(r => r.GetSyntax(cancellationToken)).OfType<TypeDeclarationSyntax>().FirstOrDefault();
                if (typeSyntax is null || !typeSyntax.Modifiers.Any(SyntaxKind.PartialKeyword)) return null;
                containing.Insert(0, new ContainingTypeSpec(Keyword(typeSyntax), TypeName(type)));
            }
            return new EquatableArray<ContainingTypeSpec>(containing.ToArray());
        }

        private static bool ReadAttribute(AttributeData attribute, out int level, out string? message, out int eventId, out string? eventName)
        {
            level = -1;
            message = null;
            eventId = 0;
            eventName = null;
            var args = attribute.ConstructorArguments;
            if (args.Length == 2 && args[0].Value is int l && args[1].Value is string m)
            {
                level = l;
                message = m;
            }
            else if (args.Length == 1 && args[0].Value is string only)
            {
                message = only;
            }
            else
            {
                return false;
            }
            if (level > 5) return false; // None or out of range
            foreach (var named in attribute.NamedArguments)
            {
                if (named.Key == "EventId" && named.Value.Value is int id) eventId = id;
                else if (named.Key == "EventName" && named.Value.Value is string name) eventName = name;
            }
            return true;
        }

        /// <summary>The single KakashiLogger field, property or primary-constructor parameter of the type (or its bases).</summary>
        private static string? FindLoggerMember(INamedTypeSymbol type, INamedTypeSymbol loggerType, CancellationToken cancellationToken)
        {
            var found = FindLoggerMembers(type, loggerType, cancellationToken);
            return found.Count == 1 ? found[0].Expression : null;
        }

        /// <summary>A place an instance log method can take its logger from.</summary>
        internal readonly struct LoggerMember
        {
            public LoggerMember(string expression, ISymbol? symbol, Location location)
            {
                Expression = expression;
                Symbol = symbol;
                Location = location;
            }

            /// <summary>What the generated code reads (<c>this._logger</c>, or a primary-constructor parameter's name).</summary>
            public string Expression { get; }
            /// <summary>The field or property; null for a primary-constructor parameter.</summary>
            public ISymbol? Symbol { get; }
            public Location Location { get; }
        }

        /// <summary>
        /// The KakashiLogger fields and properties of the type (or, when it has none, of the nearest base that has some),
        /// else its KakashiLogger primary-constructor parameters. The generator needs exactly one; the analyzers report the rest.
        /// </summary>
        internal static List<LoggerMember> FindLoggerMembers(INamedTypeSymbol type, INamedTypeSymbol loggerType, CancellationToken cancellationToken)
        {
            var found = new List<LoggerMember>();
            for (var t = type; t is not null && found.Count == 0; t = t.BaseType)
            {
                foreach (var member in t.GetMembers())
                {
                    if (member.IsStatic || member.IsImplicitlyDeclared) continue;
                    if (!SymbolEqualityComparer.Default.Equals(t, type) && member.DeclaredAccessibility == Accessibility.Private) continue;
                    var memberType = member switch
                    {
                        IFieldSymbol f when f.AssociatedSymbol is null => f.Type,
                        IPropertySymbol p => p.Type,
                        _ => null,
                    };
                    if (memberType is not null && SymbolEqualityComparer.Default.Equals(memberType, loggerType))
                        found.Add(new LoggerMember("this." + Escape(member.Name), member, member.Locations.FirstOrDefault() ?? Location.None));
                }
            }
            if (found.Count > 0) return found;

            // primary constructor parameter (captured by the generated method)
            foreach (var reference in type.DeclaringSyntaxReferences)
            {
                if (reference.GetSyntax(cancellationToken) is TypeDeclarationSyntax { ParameterList: { } list })
                {
                    foreach (var parameter in list.Parameters)
                    {
                        if (parameter.Type is null) continue;
                        string typeText = parameter.Type.ToString();
                        if (typeText == "KakashiLogger" || typeText.EndsWith(".KakashiLogger", StringComparison.Ordinal))
                            found.Add(new LoggerMember(Escape(parameter.Identifier.ValueText), null, parameter.Identifier.GetLocation()));
                    }
                }
            }
            return found;
        }

        /// <summary>The parameter a hole binds to (exact name first, then ignoring case; a Serilog sigil is skipped), or -1.</summary>
        internal static int Bind(string name, System.Collections.Immutable.ImmutableArray<IParameterSymbol> parameters)
        {
            // Serilog-style capture hints ({@Value}, {$Value}) bind like MEL's generator binds them: by the name after the sigil
            if (name.Length > 1 && (name[0] == '@' || name[0] == '$')) name = name.Substring(1);
            for (int i = 0; i < parameters.Length; i++) if (parameters[i].Name == name) return i;
            for (int i = 0; i < parameters.Length; i++) if (string.Equals(parameters[i].Name, name, StringComparison.OrdinalIgnoreCase)) return i;
            return -1;
        }

        /// <summary>Chooses the encoding of a parameter type (raw bytes whenever possible, never boxing) and its wire type.</summary>
        internal static void Classify(ITypeSymbol type, Compilation compilation, INamedTypeSymbol exceptionType, out ArgEncoding encoding, out string? valueType, out ArgWire wire)
        {
            valueType = null;
            if (type.SpecialType == SpecialType.System_String)
            {
                encoding = ArgEncoding.String;
                wire = ArgWire.Of("String");
                return;
            }
            if (type is INamedTypeSymbol named && named.IsGenericType && named.TypeArguments.Length == 1
                && named.TypeArguments[0].SpecialType == SpecialType.System_Char
                && (named.OriginalDefinition.ToDisplayString() == "System.ReadOnlySpan<T>" || named.OriginalDefinition.ToDisplayString() == "System.Span<T>"))
            {
                encoding = ArgEncoding.Chars;
                wire = ArgWire.Of("String");
                return;
            }
            if (InheritsFrom(type, exceptionType))
            {
                encoding = ArgEncoding.Exception;
                wire = ArgWire.Of("Exception");
                return;
            }
            if (type.OriginalDefinition.SpecialType == SpecialType.System_Nullable_T && type is INamedTypeSymbol nullable)
            {
                var inner = nullable.TypeArguments[0];
                var innerWire = UnmanagedWire(inner, compilation, nullable: true);
                if (innerWire is not null)
                {
                    encoding = ArgEncoding.Nullable;
                    valueType = inner.ToDisplayString(TypeFormat);
                    wire = innerWire;
                    return;
                }
            }
            var unmanaged = UnmanagedWire(type, compilation, nullable: false);
            if (unmanaged is not null)
            {
                encoding = ArgEncoding.Unmanaged;
                valueType = type.ToDisplayString(TypeFormat);
                wire = unmanaged;
                return;
            }
            var utf8 = compilation.GetTypeByMetadataName(KnownTypes.Utf8SpanFormattable);
            if (type.IsValueType && utf8 is not null && Implements(type, utf8))
            {
                encoding = ArgEncoding.Formatted;
                wire = ArgWire.Of("Utf8Text");
                return;
            }
            encoding = ArgEncoding.ToString;
            wire = ArgWire.Of("String");
        }

        /// <summary>The BCL types that have a wire type of their own (the ArgType member of the same name).</summary>
        private static readonly string[] WireTypes =
        {
            "System.Int128", "System.UInt128", "System.Half", "System.DateTime", "System.DateTimeOffset", "System.TimeSpan",
            "System.DateOnly", "System.TimeOnly", "System.Guid",
        };

        private static ArgWire? UnmanagedWire(ITypeSymbol type, Compilation compilation, bool nullable)
        {
            if (!type.IsUnmanagedType || type is IPointerTypeSymbol || type is IFunctionPointerTypeSymbol || type.TypeKind == TypeKind.TypeParameter) return null;
            string name = type.ToDisplayString(TypeFormat);
            if (type.TypeKind == TypeKind.Enum) return new ArgWire(null, "Enum", name, nullable);
            string? builtIn = type.SpecialType switch
            {
                SpecialType.System_Boolean => "Boolean",
                SpecialType.System_Char => "Char",
                SpecialType.System_SByte => "SByte",
                SpecialType.System_Byte => "Byte",
                SpecialType.System_Int16 => "Int16",
                SpecialType.System_UInt16 => "UInt16",
                SpecialType.System_Int32 => "Int32",
                SpecialType.System_UInt32 => "UInt32",
                SpecialType.System_Int64 => "Int64",
                SpecialType.System_UInt64 => "UInt64",
                SpecialType.System_Single => "Single",
                SpecialType.System_Double => "Double",
                SpecialType.System_Decimal => "Decimal",
                SpecialType.System_DateTime => "DateTime",
                _ => null,
            };
            if (builtIn is null)
            {
                string metadataName = type.ContainingNamespace?.ToDisplayString() + "." + type.MetadataName;
                if (System.Array.IndexOf(WireTypes, metadataName) >= 0) builtIn = type.MetadataName;
            }
            if (builtIn is not null) return new ArgWire(builtIn, null, null, nullable);
            // a user value type: copied raw, formatted where its type is loaded
            var utf8 = compilation.GetTypeByMetadataName(KnownTypes.Utf8SpanFormattable);
            if (utf8 is not null && Implements(type, utf8)) return new ArgWire(null, "Formattable", name, nullable);
            var span = compilation.GetTypeByMetadataName(KnownTypes.SpanFormattable);
            if (span is not null && Implements(type, span)) return new ArgWire(null, "SpanFormattable", name, nullable);
            return null;
        }

        private static bool Implements(ITypeSymbol type, INamedTypeSymbol @interface)
        {
            foreach (var i in type.AllInterfaces) if (SymbolEqualityComparer.Default.Equals(i, @interface)) return true;
            return false;
        }

        internal static bool InheritsFrom(ITypeSymbol type, INamedTypeSymbol baseType)
        {
            for (var t = type; t is not null; t = t.BaseType) if (SymbolEqualityComparer.Default.Equals(t, baseType)) return true;
            return false;
        }

        private static string RefPrefix(IParameterSymbol p) => p.RefKind switch
        {
            RefKind.In => "in ",
            RefKind.RefReadOnlyParameter => "ref readonly ",
            _ => "",
        } is var refText && p.ScopedKind == ScopedKind.ScopedValue ? "scoped " + refText : refText;

        private static string Keyword(TypeDeclarationSyntax syntax) => syntax switch
        {
            RecordDeclarationSyntax r => r.ClassOrStructKeyword.IsKind(SyntaxKind.StructKeyword) ? "record struct" : "record",
            StructDeclarationSyntax => "struct",
            InterfaceDeclarationSyntax => "interface",
            _ => "class",
        };

        private static string TypeName(INamedTypeSymbol type)
            => type.TypeParameters.Length == 0 ? Escape(type.Name) : Escape(type.Name) + "<" + string.Join(", ", type.TypeParameters.Select(t => Escape(t.Name))) + ">";

        internal static string Escape(string identifier)
            => SyntaxFacts.GetKeywordKind(identifier) != SyntaxKind.None ? "@" + identifier : identifier;

        internal static string Hash(string text)
        {
            uint hash = 2166136261;
            foreach (char c in text) hash = unchecked((hash ^ c) * 16777619);
            return hash.ToString("X8", System.Globalization.CultureInfo.InvariantCulture);
        }
    }
}
