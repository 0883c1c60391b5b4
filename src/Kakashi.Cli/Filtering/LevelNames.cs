using System;
using Kakashi.Cli.Arguments;
using Microsoft.Extensions.Logging;

namespace Kakashi.Cli.Filtering;

/// <summary>Level names on the command line: the full names and the three-letter forms, case-insensitive.</summary>
internal static class LevelNames
{
    private static readonly (string Name, string Short, LogLevel Level)[] s_levels =
    [
        ("Trace", "trc", LogLevel.Trace),
        ("Debug", "dbg", LogLevel.Debug),
        ("Information", "inf", LogLevel.Information),
        ("Warning", "wrn", LogLevel.Warning),
        ("Error", "err", LogLevel.Error),
        ("Critical", "crt", LogLevel.Critical),
    ];

    public const string Accepted = "Trace, Debug, Information, Warning, Error, Critical (or trc, dbg, inf, wrn, err, crt; any case)";

    /// <summary>The level <paramref name="text"/> names; throws <see cref="UsageException"/> for anything else.</summary>
    public static LogLevel Parse(string text)
    {
        foreach (var (name, shortName, level) in s_levels)
        {
            if (string.Equals(text, name, StringComparison.OrdinalIgnoreCase) || string.Equals(text, shortName, StringComparison.OrdinalIgnoreCase))
                return level;
        }
        throw new UsageException("not a level; one of " + Accepted);
    }
}
