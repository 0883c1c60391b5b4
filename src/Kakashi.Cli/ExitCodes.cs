namespace Kakashi.Cli;

/// <summary>
/// What <c>kakashi</c> exits with (docs/kakashi-cli.md, and <c>kakashi --help</c>). When several apply, the first in this
/// order wins: 1, 4, 2, 3 — a usage error runs nothing; an unsupported version says "update the tool", which matters more
/// than a missing file; a file that could not be read at all matters more than one that was read with damage skipped.
/// </summary>
internal static class ExitCodes
{
    /// <summary>Everything was read; a cut tail (a frame still being written, or a file cut short) is reported but not damage.</summary>
    public const int Ok = 0;

    /// <summary>Bad command line: unknown command or option, a missing or malformed value, options that exclude each other.</summary>
    public const int Usage = 1;

    /// <summary>A file could not be opened or read (missing, no permission, an I/O error).</summary>
    public const int Unreadable = 2;

    /// <summary>Decoded, but damaged bytes were skipped in some file (reported on stderr).</summary>
    public const int Damaged = 3;

    /// <summary>A file is of a newer <c>.klog</c> format version than this tool reads.</summary>
    public const int UnsupportedVersion = 4;

    /// <summary>decode or stats interrupted (Ctrl+C, SIGTERM) before the end: 128 + SIGINT, as shells report it. <c>tail -f</c> ends with 0.</summary>
    public const int Interrupted = 130;

    /// <summary>The help text's table of exit codes.</summary>
    public const string HelpText = """
        Exit codes:
          0    ok (a cut tail - a frame still being written or a file cut short - is reported, not damage)
          1    usage error (unknown command or option, bad value)
          2    a file could not be opened or read
          3    decoded, but damaged bytes were skipped in some file (reported on stderr)
          4    a file has a newer .klog format version than this tool reads
          130  decode or stats interrupted (Ctrl+C, SIGTERM); tail -f ends with 0
          When several apply: 1, then 4, then 2, then 3.
        """;
}

/// <summary>The worst of what happened while running a command, as an exit code.</summary>
internal sealed class Outcome
{
    public bool Damaged { get; set; }
    public bool Unreadable { get; set; }
    public bool UnsupportedVersion { get; set; }
    public bool Interrupted { get; set; }

    public int ExitCode => UnsupportedVersion ? ExitCodes.UnsupportedVersion
        : Unreadable ? ExitCodes.Unreadable
        : Damaged ? ExitCodes.Damaged
        : Interrupted ? ExitCodes.Interrupted
        : ExitCodes.Ok;
}
