using System;
using Kakashi.Cli.Filtering;

namespace Kakashi.Cli.Output;

/// <summary>
/// One record through the filters into the sink: the field filters first (no formatting for a record they drop), then
/// the runtime's formatter straight into the sink's buffer, then <c>--grep</c> on the bytes just written (taken back when
/// it does not match). Nothing is allocated per record.
/// </summary>
internal sealed class RecordRenderer(LogFormatter formatter, RecordFilter filter, RecordSink sink)
{
    public RecordSink Sink { get; } = sink;

    /// <summary>Records rendered (that passed every filter).</summary>
    public long Rendered { get; private set; }

    /// <summary>Renders <paramref name="record"/> into the sink when it passes the filters; true when it did.</summary>
    public bool Render(in LogRecord record)
    {
        if (!filter.Accepts(record)) return false;
        Sink.BeginRecord();
        var w = new Utf8Writer(Sink);
        try
        {
            formatter.Format(record, ref w);
            w.Commit();
        }
        catch
        {
            Sink.DiscardRecord(); // no partial record in the output
            throw;
        }
        if (filter.HasGrep && !filter.MatchesRendered(Sink.CurrentRecord))
        {
            Sink.DiscardRecord();
            return false;
        }
        Rendered++;
        return true;
    }
}
