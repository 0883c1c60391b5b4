using System;
using System.IO;

namespace Kakashi.Cli;

/// <summary>
/// What kakashi needs to know about where it runs, apart from its streams: whether standard error and output are
/// terminals (the progress bar), the clock (relative times, the bar's pace) and the follow poll interval. The real
/// program takes them from <see cref="Console"/>; tests set them.
/// </summary>
internal sealed class CliEnvironment
{
    public bool StderrIsTerminal { get; init; }
    public bool StdoutIsTerminal { get; init; }
    public int TerminalWidth { get; init; } = 80;
    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>How long a decode runs before the progress bar first appears.</summary>
    public TimeSpan ProgressDelay { get; init; } = TimeSpan.FromMilliseconds(300);

    /// <summary>The least time between two draws of the bar.</summary>
    public TimeSpan ProgressInterval { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>How often <c>tail -f</c> looks for more records and for a newer rolled file when there is nothing to read.</summary>
    public TimeSpan FollowInterval { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>The real console.</summary>
    public static CliEnvironment FromConsole()
    {
        int width = 80;
        bool stderrTerminal = !Console.IsErrorRedirected;
        if (stderrTerminal)
        {
            try
            {
                width = Console.WindowWidth > 0 ? Console.WindowWidth : 80;
            }
            catch (IOException)
            {
                // no window size to be had: 80 columns
            }
            catch (PlatformNotSupportedException)
            {
                // likewise
            }
        }
        return new CliEnvironment { StderrIsTerminal = stderrTerminal, StdoutIsTerminal = !Console.IsOutputRedirected, TerminalWidth = width };
    }
}
