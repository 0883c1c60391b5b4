using System;
using System.Globalization;
using System.IO;
using System.Text;

namespace Kakashi.Cli.Reporting;

/// <summary>
/// The progress bar of a long decode, on standard error: drawn only when standard error is a terminal, standard output
/// is not (the records are going to a file or a pipe — on a terminal they are their own progress), the total size of
/// the inputs is known (files, not standard input or .gz), and <c>--no-progress</c> is not given. First drawn after
/// <see cref="CliEnvironment.ProgressDelay"/> (a short decode never shows it), redrawn at most every
/// <see cref="CliEnvironment.ProgressInterval"/> (10 times a second), erased at the end and before any other message.
/// </summary>
internal sealed class ProgressBar
{
    private readonly TextWriter _stderr;
    private readonly long _total;
    private readonly TimeProvider _time;
    private readonly long _start;
    private readonly long _firstDraw;
    private readonly long _interval;
    private readonly int _width;
    private long _nextDraw;
    private bool _drawn;
    private readonly StringBuilder _line = new(128);

    public ProgressBar(TextWriter stderr, long totalBytes, CliEnvironment environment)
    {
        _stderr = stderr;
        _total = totalBytes;
        _time = environment.Time;
        _start = _time.GetTimestamp();
        _firstDraw = _start + Ticks(environment.ProgressDelay);
        _interval = Math.Max(1, Ticks(environment.ProgressInterval));
        _nextDraw = _firstDraw;
        _width = Math.Clamp(environment.TerminalWidth, 40, 200);
    }

    /// <summary>Whether a decode shows the bar (the decision, apart from drawing: tests drive it).</summary>
    public static bool ShouldShow(bool stderrIsTerminal, bool stdoutIsTerminal, bool disabled, long totalBytes)
        => stderrIsTerminal && !stdoutIsTerminal && !disabled && totalBytes > 0;

    /// <summary>How many times the bar was drawn.</summary>
    public int Draws { get; private set; }

    /// <summary>Called often (every few thousand records): draws when it is time.</summary>
    public void Update(long doneBytes, long records)
    {
        long now = _time.GetTimestamp();
        if (now < _nextDraw) return;
        _nextDraw = now + _interval;
        Draw(doneBytes, records, now);
    }

    private void Draw(long doneBytes, long records, long now)
    {
        double fraction = _total <= 0 ? 0 : Math.Clamp((double)doneBytes / _total, 0, 1);
        double seconds = (now - _start) / (double)_time.TimestampFrequency;
        var line = _line.Clear();
        line.Append('\r');
        string right = string.Create(CultureInfo.InvariantCulture,
            $" {fraction * 100,3:F0}%  {Size(doneBytes)}/{Size(_total)}  {records:N0} records  {(seconds > 0 ? records / seconds : 0):N0}/s");
        int bar = Math.Max(10, _width - right.Length - 3);
        int full = (int)(fraction * bar);
        line.Append('[').Append('#', full).Append('-', bar - full).Append(']').Append(right);
        line.Append("\u001b[K"); // erase what a longer line left
        _stderr.Write(line.ToString());
        _stderr.Flush();
        _drawn = true;
        Draws++;
    }

    /// <summary>Erases the bar if it is on screen (before another message, and at the end).</summary>
    public void Clear()
    {
        if (!_drawn) return;
        _stderr.Write("\r\u001b[K");
        _stderr.Flush();
        _drawn = false;
    }

    private long Ticks(TimeSpan span) => (long)(span.TotalSeconds * _time.TimestampFrequency);

    private static string Size(long bytes) => bytes switch
    {
        < 1024 * 1024 => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1024.0:F1} KiB"),
        < 1024L * 1024 * 1024 => string.Create(CultureInfo.InvariantCulture, $"{bytes / (1024.0 * 1024):F1} MiB"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{bytes / (1024.0 * 1024 * 1024):F2} GiB"),
    };
}
