using System;
using System.Globalization;
using Microsoft.CodeAnalysis;

namespace Kakashi.Generators.Analyzers;

/// <summary>
/// Whether a hole's format is one the argument's type rejects at run time (<c>{Price:Q2}</c> on a double,
/// <c>{At:yyyy-MM-dd %}</c> on a DateTime). For the framework's formattable types the check formats a sample value with
/// the format, in the compiler's own .NET runtime — the same parser the drain will use — so the answer is exact
/// rather than a re-implementation of the format grammar. Other types are not judged.
/// </summary>
internal static class FormatCheck
{
    /// <summary>True when <paramref name="type"/> (or the type a Nullable wraps) throws FormatException for <paramref name="format"/>.</summary>
    public static bool Rejects(ITypeSymbol type, string format, out string typeName)
    {
        if (type is INamedTypeSymbol { OriginalDefinition.SpecialType: SpecialType.System_Nullable_T } nullable) type = nullable.TypeArguments[0];
        typeName = type.ToDisplayString(SymbolDisplayFormat.MinimallyQualifiedFormat);
        Func<string, string>? sample = type.SpecialType switch
        {
            SpecialType.System_Byte => f => ((byte)1).ToString(f, CultureInfo.InvariantCulture),
            SpecialType.System_SByte => f => ((sbyte)1).ToString(f, CultureInfo.InvariantCulture),
            SpecialType.System_Int16 => f => ((short)1).ToString(f, CultureInfo.InvariantCulture),
            SpecialType.System_UInt16 => f => ((ushort)1).ToString(f, CultureInfo.InvariantCulture),
            SpecialType.System_Int32 => f => 1.ToString(f, CultureInfo.InvariantCulture),
            SpecialType.System_UInt32 => f => 1u.ToString(f, CultureInfo.InvariantCulture),
            SpecialType.System_Int64 => f => 1L.ToString(f, CultureInfo.InvariantCulture),
            SpecialType.System_UInt64 => f => 1UL.ToString(f, CultureInfo.InvariantCulture),
            SpecialType.System_Single => f => 1.5f.ToString(f, CultureInfo.InvariantCulture),
            SpecialType.System_Double => f => 1.5.ToString(f, CultureInfo.InvariantCulture),
            SpecialType.System_Decimal => f => 1.5m.ToString(f, CultureInfo.InvariantCulture),
            SpecialType.System_DateTime => f => new DateTime(2026, 1, 2, 3, 4, 5, DateTimeKind.Utc).ToString(f, CultureInfo.InvariantCulture),
            _ => null,
        };
        if (sample is null)
        {
            string? full = type.ContainingNamespace?.ToDisplayString() == "System" ? type.Name : null;
            sample = full switch
            {
                "DateTimeOffset" => f => new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero).ToString(f, CultureInfo.InvariantCulture),
                "TimeSpan" => f => TimeSpan.FromSeconds(1.5).ToString(f, CultureInfo.InvariantCulture),
                "Guid" => f => Guid.Empty.ToString(f, CultureInfo.InvariantCulture),
                _ => null,
            };
        }
        if (sample is null) return false;
        try
        {
            _ = sample(format);
            return false;
        }
        catch (FormatException)
        {
            return true;
        }
    }
}
