using System;
using System.Collections.Generic;

namespace Kakashi.Cli.Arguments;

/// <summary>A command line kakashi cannot run: the message says what is wrong (exit code 1).</summary>
internal sealed class UsageException(string message) : Exception(message);

/// <summary>One option of a command: <c>--long</c>, optionally <c>-s</c>, a flag or one value.</summary>
internal sealed record OptionSpec(string Long, char? Short, string? ValueName, Action<string> Apply)
{
    public bool TakesValue => ValueName is not null;
}

/// <summary>
/// A small POSIX-style parser: <c>--name value</c>, <c>--name=value</c>, <c>-n value</c>, <c>-n5</c>, grouped flags
/// (<c>-fi</c>), <c>--</c> ending options, and <c>-</c> alone as an operand (standard input). Options and operands may be
/// mixed. <c>-h</c>/<c>--help</c> anywhere asks for the command's help.
/// </summary>
internal static class ArgParser
{
    /// <summary>Applies the options of <paramref name="args"/> and returns its operands; throws <see cref="UsageException"/>.</summary>
    public static List<string> Parse(string command, IReadOnlyList<string> args, IReadOnlyList<OptionSpec> options, out bool help)
    {
        help = false;
        var operands = new List<string>();
        for (int i = 0; i < args.Count; i++)
        {
            string arg = args[i];
            if (arg == "--")
            {
                for (i++; i < args.Count; i++) operands.Add(args[i]);
                break;
            }
            if (arg is "-h" or "--help" or "-?")
            {
                help = true;
                continue;
            }
            if (arg.StartsWith("--", StringComparison.Ordinal))
            {
                int eq = arg.IndexOf('=', StringComparison.Ordinal);
                string name = eq < 0 ? arg[2..] : arg[2..eq];
                var spec = FindLong(options, name) ?? throw new UsageException($"kakashi {command}: unknown option '--{name}' (see kakashi {command} --help)");
                if (!spec.TakesValue)
                {
                    if (eq >= 0) throw new UsageException($"kakashi {command}: option '--{name}' takes no value");
                    Apply(command, spec, "--" + name, null);
                    continue;
                }
                string value = eq >= 0 ? arg[(eq + 1)..]
                    : i + 1 < args.Count ? args[++i]
                    : throw new UsageException($"kakashi {command}: option '--{name}' needs a value ({spec.ValueName})");
                Apply(command, spec, "--" + name, value);
                continue;
            }
            if (arg.Length > 1 && arg[0] == '-')
            {
                // one or more short options: -f, -fi, -n5, -n 5
                for (int c = 1; c < arg.Length; c++)
                {
                    var spec = FindShort(options, arg[c]) ?? throw new UsageException($"kakashi {command}: unknown option '-{arg[c]}' (see kakashi {command} --help)");
                    if (!spec.TakesValue)
                    {
                        Apply(command, spec, "-" + arg[c], null);
                        continue;
                    }
                    string value = c + 1 < arg.Length ? arg[(c + 1)..]
                        : i + 1 < args.Count ? args[++i]
                        : throw new UsageException($"kakashi {command}: option '-{arg[c]}' needs a value ({spec.ValueName})");
                    Apply(command, spec, "-" + arg[c], value);
                    break;
                }
                continue;
            }
            operands.Add(arg);
        }
        return operands;
    }

    private static void Apply(string command, OptionSpec spec, string written, string? value)
    {
        try
        {
            spec.Apply(value ?? "");
        }
        catch (UsageException e)
        {
            throw new UsageException(value is null ? $"kakashi {command}: {written}: {e.Message}" : $"kakashi {command}: {written} {Quote(value)}: {e.Message}");
        }
    }

    private static string Quote(string value) => value.Length == 0 || value.Contains(' ', StringComparison.Ordinal) ? $"'{value}'" : value;

    private static OptionSpec? FindLong(IReadOnlyList<OptionSpec> options, string name)
    {
        foreach (var o in options)
            if (string.Equals(o.Long, name, StringComparison.Ordinal)) return o;
        return null;
    }

    private static OptionSpec? FindShort(IReadOnlyList<OptionSpec> options, char name)
    {
        foreach (var o in options)
            if (o.Short == name) return o;
        return null;
    }
}
