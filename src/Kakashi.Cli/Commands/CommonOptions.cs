using System.Collections.Generic;
using Kakashi.Cli.Arguments;
using Kakashi.Cli.Filtering;
using Kakashi.Cli.Output;

namespace Kakashi.Cli.Commands;

/// <summary>The options decode, tail and stats share: the filters and the output format.</summary>
internal static class CommonOptions
{
    public static void AddFilters(List<OptionSpec> options, RecordFilter filter)
    {
        options.Add(new OptionSpec("level", 'l', "LEVEL", v => filter.MinLevel = LevelNames.Parse(v)));
        options.Add(new OptionSpec("category", 'c', "PATTERN", filter.AddCategory));
        options.Add(new OptionSpec("event", 'e', "ID|NAME", filter.AddEvent));
        options.Add(new OptionSpec("since", null, "TIME", v => filter.Since = v));
        options.Add(new OptionSpec("until", null, "TIME", v => filter.Until = v));
        options.Add(new OptionSpec("grep", 'g', "REGEX", v => filter.GrepPattern = v));
        options.Add(new OptionSpec("ignore-case", 'i', null, _ => filter.IgnoreCase = true));
    }

    public static void AddFormat(List<OptionSpec> options, OutputFormat format)
    {
        options.Add(new OptionSpec("template", 't', "TEMPLATE", format.SetTemplate));
        options.Add(new OptionSpec("json", null, null, _ => format.SetJson()));
        options.Add(new OptionSpec("clef", null, null, _ => format.SetClef()));
        options.Add(new OptionSpec("ecs", null, null, _ => format.SetEcs()));
    }

    /// <summary>Help text sections, a blank line between them.</summary>
    public static string Sections(params string[] sections) => string.Join("\n\n", sections) + "\n";

    public const string FilterHelp = """
        Filters (a record is shown when it passes all of them):
          -l, --level LEVEL      minimum level: Trace, Debug, Information, Warning, Error, Critical
                                 (or trc, dbg, inf, wrn, err, crt; any case)
          -c, --category PATTERN category starts with PATTERN (case-insensitive; * matches anything);
                                 repeatable: any of them
          -e, --event ID|NAME    event id (a number) or event name (case-insensitive); repeatable: any of them
              --since TIME       at or after TIME
              --until TIME       before TIME
                                 TIME: ISO 8601 (2026-12-02T10:30:00, UTC unless it has an offset such as +01:00),
                                 'now', or a duration before now: 500ms, 90s, 10m, 2h, 1d, 1w, 1h30m
          -g, --grep REGEX       the rendered record (as printed, in the chosen format) matches REGEX (.NET syntax)
          -i, --ignore-case      --grep ignores case
        """;

    public const string FormatHelp = """
        Output format (one of):
          -t, --template TEMPLATE  a TextFormatter output template; default:
                                   "{Timestamp:O} [{Level}] {Category}: {Message}{NewLine}{Exception}"
              --json               Kakashi's JSON, one object per line
              --clef               CLEF (Seq) JSON
              --ecs                Elastic Common Schema JSON
        """;
}
