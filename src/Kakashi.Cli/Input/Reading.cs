using System;
using System.IO;
using Kakashi.Cli.Reporting;

namespace Kakashi.Cli.Input;

/// <summary>The one way commands step a reader: what it throws is reported, and the file is then done.</summary>
internal static class Reading
{
    /// <summary>
    /// The next record of <paramref name="file"/>: true when there is one now; false at the end (or before a frame still
    /// being written), and for good once the file failed (a newer format version, a read error). Damage found on the way
    /// is reported as it is found.
    /// </summary>
    public static bool Next(InputFile file, Reporter reporter)
    {
        if (file.Failed) return false;
        bool next;
        try
        {
            next = file.Reader.MoveNext();
        }
        catch (KlogVersionException e)
        {
            file.Failed = true;
            reporter.UnsupportedVersion(e);
            return false;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            file.Failed = true;
            reporter.Unreadable(file.Name, e);
            return false;
        }
        if (file.Reader.SkippedBytes != file.SkippedReported) reporter.Damage(file);
        return next;
    }
}
