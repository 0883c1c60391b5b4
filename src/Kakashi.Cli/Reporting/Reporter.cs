using System;
using System.Globalization;
using System.IO;
using Kakashi.Cli.Input;
using Kakashi.Cli.Output;

namespace Kakashi.Cli.Reporting;

/// <summary>
/// Everything kakashi says on standard error besides the progress bar: damage skipped, cut tails, files that cannot be
/// read, refused versions. Each message erases the progress bar first (it is drawn again at its next update), and each
/// sets what the exit code will say.
/// </summary>
internal sealed class Reporter(TextWriter stderr, Outcome outcome)
{
    /// <summary>Most damage lines printed per file (the final summary counts them all).</summary>
    public const int MaxDamageLines = 100;

    public Outcome Outcome { get; } = outcome;

    public ProgressBar? Progress { get; set; }

    /// <summary>Reports the damage <paramref name="file"/>'s reader found since the last call.</summary>
    public void Damage(InputFile file)
    {
        var reader = file.Reader;
        if (reader.SkippedBytes == file.SkippedReported) return;
        file.SkippedReported = reader.SkippedBytes;
        Outcome.Damaged = true;
        var damage = reader.Damage;
        for (int i = file.DamageReported; i < damage.Count; i++)
        {
            if (i < MaxDamageLines)
            {
                var d = damage[i];
                Line(string.Create(CultureInfo.InvariantCulture, $"{file.Name}: skipped {d.Length} bytes at offset {d.Offset}: {d.Reason}"));
            }
            else if (i == MaxDamageLines)
            {
                Line($"{file.Name}: more damage; only the first {MaxDamageLines} ranges are listed");
            }
        }
        file.DamageReported = damage.Count;
    }

    /// <summary>At the end of a file: the total of its damage (when there was more than one range), and a cut tail.</summary>
    public void Finish(InputFile file)
    {
        Damage(file);
        var reader = file.Reader;
        if (reader.Damage.Count > 1)
            Line(string.Create(CultureInfo.InvariantCulture, $"{file.Name}: {reader.SkippedBytes} damaged bytes skipped in all ({reader.Damage.Count} ranges); {reader.RecordsRead} records read"));
        if (reader.PendingBytes > 0 && !file.Failed)
            Line(string.Create(CultureInfo.InvariantCulture, $"{file.Name}: the last {reader.PendingBytes} bytes (from offset {reader.Position}) are an incomplete frame, still being written or cut short: not decoded"));
    }

    /// <summary>A file that could not be opened or read.</summary>
    public void Unreadable(string name, Exception e)
    {
        Outcome.Unreadable = true;
        Line($"kakashi: {name}: {Describe(e)}");
    }

    /// <summary>A file of a newer format version.</summary>
    public void UnsupportedVersion(KlogVersionException e)
    {
        Outcome.UnsupportedVersion = true;
        Line($"kakashi: {e.Message} (this is kakashi {Cli.Version})");
    }

    /// <summary>The output went away: a closed pipe (`| head`) is a normal end; any other failure makes the exit code 2.</summary>
    public void OutputClosed(OutputClosedException e)
    {
        if (e.IsBrokenPipe) return;
        Outcome.Unreadable = true;
        Line("kakashi: " + e.Message);
    }

    /// <summary>Any other line on standard error.</summary>
    public void Line(string text)
    {
        Progress?.Clear();
        stderr.WriteLine(text);
    }

    private static string Describe(Exception e) => e switch
    {
        FileNotFoundException => "no such file",
        DirectoryNotFoundException => "no such file or folder",
        UnauthorizedAccessException => "permission denied (" + e.Message + ")",
        _ => e.Message,
    };
}
