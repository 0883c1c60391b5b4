using System;
using System.Collections;
using System.ComponentModel;
using System.Globalization;
using System.Text;

namespace Kakashi.Buffers;

/// <summary>
/// Text of an argument that cannot be copied as raw bytes (a reference type other than string and Exception, or a value
/// type that is not formattable), made on the calling thread exactly as Microsoft.Extensions.Logging makes it: strings as
/// they are, sequences joined with ", ", <see cref="IFormattable"/> with the hole's format and the invariant culture,
/// anything else with <c>ToString()</c>. This path allocates; the analyzers flag parameters that take it.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class ArgText
{
    /// <summary>The text of <paramref name="value"/> as Microsoft.Extensions.Logging makes it, with the hole's <paramref name="format"/>; null for null. Called by generated code.</summary>
    public static string? Format<T>(T value, string? format)
    {
        object? boxed = value;
        switch (boxed)
        {
            case null: return null;
            case string text: return text;
            case IEnumerable sequence: return Join(sequence);
            case IFormattable formattable: return formattable.ToString(format, CultureInfo.InvariantCulture) ?? "";
            default: return boxed.ToString() ?? ""; // string.Format writes nothing for a null ToString()
        }
    }

    private static string Join(IEnumerable sequence)
    {
        var sb = new StringBuilder();
        bool first = true;
        foreach (object? item in sequence)
        {
            if (!first) sb.Append(", ");
            sb.Append(item switch
            {
                null => "(null)",
                IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture),
                _ => item.ToString(),
            });
            first = false;
        }
        return sb.ToString();
    }
}
