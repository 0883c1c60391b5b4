using System;
using System.IO;
using System.Reflection;
using System.Threading;
using Kakashi.Cli.Arguments;
using Kakashi.Cli.Commands;
using Kakashi.Cli.Output;

namespace Kakashi.Cli;

/// <summary>
/// The tool's entry point, apart from the process: the command line in, the exit code out, every byte through the
/// streams given (the tests run it in-process; <see cref="Program"/> gives it the console).
/// </summary>
internal static class Cli
{
    public static readonly string Help = CommonOptions.Sections(
        """
        kakashi - reads Kakashi's binary .klog logs

        Usage: kakashi <command> [options] FILE...

        Commands:
          decode   decode .klog files to text or JSON, exactly as the live formatter writes it; several files are
                   merged by timestamp
          tail     the last N records, then (-f) follow the file as it grows and across rolling
          stats    records per level, template and category, time span, rate, bytes, damage

        Options:
          -h, --help      this help (kakashi <command> --help: the command's)
              --version   the tool's version and the .klog format version it reads

        FILE - is standard input. Run `kakashi <command> --help` for the filters (--level, --category, --event,
        --since, --until, --grep) and output formats (--template, --json, --clef, --ecs).
        """,
        ExitCodes.HelpText);

    /// <summary>The tool's version (the assembly's informational version, without the commit).</summary>
    public static string Version
    {
        get
        {
            string v = typeof(Cli).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0";
            int plus = v.IndexOf('+', StringComparison.Ordinal);
            return plus < 0 ? v : v[..plus];
        }
    }

    /// <summary>Runs <paramref name="args"/> and returns the exit code (<see cref="ExitCodes"/>).</summary>
    public static int Run(string[] args, Stream stdin, Stream stdout, TextWriter stderr, CancellationToken cancellation, CliEnvironment? environment = null)
    {
        ArgumentNullException.ThrowIfNull(args);
        var context = new CliContext(stdin, stdout, stderr, environment ?? new CliEnvironment(), cancellation);
        try
        {
            if (args.Length == 0)
            {
                stderr.Write(Help);
                return ExitCodes.Usage;
            }
            var rest = new ArraySegment<string>(args, 1, args.Length - 1);
            switch (args[0])
            {
                case "decode": return DecodeCommand.Run(rest, context);
                case "tail": return TailCommand.Run(rest, context);
                case "stats": return StatsCommand.Run(rest, context);
                case "-h" or "--help" or "-?" or "help":
                    if (args.Length > 1 && args[0] == "help") return HelpFor(args[1], context);
                    context.Write(Help);
                    return ExitCodes.Ok;
                case "--version":
                    context.Write($"kakashi {Version} (reads .klog format version {KlogVersionException.SupportedVersion})\n");
                    return ExitCodes.Ok;
                default:
                    throw new UsageException(args[0].StartsWith('-')
                        ? $"kakashi: unknown option '{args[0]}' (kakashi --help lists the commands)"
                        : $"kakashi: unknown command '{args[0]}'; the commands are decode, tail and stats (kakashi --help)");
            }
        }
        catch (UsageException e)
        {
            stderr.WriteLine(e.Message);
            return ExitCodes.Usage;
        }
        catch (OutputClosedException e)
        {
            if (e.IsBrokenPipe) return ExitCodes.Ok;
            stderr.WriteLine("kakashi: " + e.Message);
            return ExitCodes.Unreadable;
        }
    }

    private static int HelpFor(string command, CliContext context)
    {
        string? text = command switch
        {
            "decode" => DecodeCommand.Help,
            "tail" => TailCommand.Help,
            "stats" => StatsCommand.Help,
            _ => null,
        };
        if (text is null) throw new UsageException($"kakashi help: unknown command '{command}'; the commands are decode, tail and stats");
        context.Write(text);
        return ExitCodes.Ok;
    }
}
