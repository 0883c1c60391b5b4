using System;
using System.Text;
using Kakashi.Templates;

namespace Kakashi.Formatting;

/// <summary>
/// What a value that cannot be formatted becomes: its hole is rewound and replaced by a visible marker,
/// <c>{Name:format failed: Reason}</c>, and the failure is counted for the drain (per formatting thread; the drain
/// collects the count into <see cref="AsyncMetrics.FormatErrors"/>). The rest of the record is written as usual.
/// </summary>
internal static class FormatFailures
{
    [ThreadStatic] private static long t_count;

    /// <summary>Failures on this thread since the last call (the drain adds them to its metrics).</summary>
    public static long Take()
    {
        long count = t_count;
        t_count = 0;
        return count;
    }

    /// <summary>Counts a value a structured formatter could not write (it writes its own marker).</summary>
    public static void Count() => t_count++;

    /// <summary>An exception's text, or a marker when its <c>ToString</c> throws (counted like a failed value).</summary>
    public static string ExceptionText(object exception)
    {
        try
        {
            return exception.ToString() ?? "";
        }
        catch (Exception e)
        {
            t_count++;
            return $"{exception.GetType().FullName}: (ToString failed: {e.GetType().Name})";
        }
    }

    public static void Hole(ref Utf8Writer output, long mark, in TemplateSegment segment, string reason)
    {
        t_count++;
        output.Rewind(mark);
        output.Write((byte)'{');
        output.Write((segment.Text ?? "?").AsSpan());
        if (segment.Format is { } format)
        {
            output.Write((byte)':');
            output.Write(format.AsSpan());
        }
        output.Write(" format failed: "u8);
        output.Write(reason.AsSpan());
        output.Write((byte)'}');
    }
}
