using System;
using System.Collections.Generic;
using Microsoft.Extensions.Logging;

namespace Kakashi;

/// <summary>Resolves a category's minimum level: the longest configured prefix (on a '.' boundary or the whole name), else the default.</summary>
internal sealed class CategoryLevels(LogLevel fallback, IDictionary<string, LogLevel> rules)
{
    private readonly KeyValuePair<string, LogLevel>[] _rules = [.. rules];

    public LogLevel For(string category)
    {
        LogLevel level = fallback;
        int best = -1;
        foreach (var (prefix, value) in _rules)
        {
            bool matches = category.Length == prefix.Length
                ? string.Equals(category, prefix, StringComparison.Ordinal)
                : category.StartsWith(prefix, StringComparison.Ordinal) && (prefix.Length == 0 || category[prefix.Length] == '.' || prefix.EndsWith('.'));
            if (matches && prefix.Length > best)
            {
                best = prefix.Length;
                level = value;
            }
        }
        return level;
    }
}
