using System.Collections.Generic;
using Kakashi.Cli.Arguments;
using Kakashi.Cli.Filtering;
using Kakashi.Cli.Input;
using Kakashi.Cli.Output;
using Kakashi.Cli.Reporting;
using Kakashi.Cli.Stats;

namespace Kakashi.Cli.Commands;

/// <summary><c>kakashi stats [--json] FILE...</c>: what the files hold, counted (<see cref="LogStats"/>).</summary>
internal static class StatsCommand
{
    public static readonly string Help = CommonOptions.Sections(
        """
        Usage: kakashi stats [options] FILE...

        Summarises .klog files (FILE - is standard input): records per level, per template (method and message
        template) and per category; the first and last timestamps, the span between them and records/s over it; file
        bytes and bytes per record; damage skipped (bytes, ranges, reasons); each file's header (application, machine,
        process, Kakashi version). The filters apply: stats then counts the records that pass.

              --json             one JSON document instead of aligned text
              --no-progress      no progress bar
          -h, --help             this help
        """,
        CommonOptions.FilterHelp + "\n                         (--grep matches the record rendered with the default text template)",
        """
        Examples:
          kakashi stats logs/app.klog
          kakashi stats --json --since 1h logs/*.klog | jq .templates
        """,
        ExitCodes.HelpText);

    public static int Run(IReadOnlyList<string> args, CliContext context)
    {
        var filter = new RecordFilter();
        bool json = false, noProgress = false;
        var options = new List<OptionSpec>
        {
            new("json", null, null, _ => json = true),
            new("no-progress", null, null, _ => noProgress = true),
        };
        CommonOptions.AddFilters(options, filter);
        var files = ArgParser.Parse("stats", args, options, out bool help);
        if (help)
        {
            context.Write(Help);
            return ExitCodes.Ok;
        }
        if (files.Count == 0) throw new UsageException("kakashi stats: no FILE given (- reads standard input)");
        filter.Prepare(context.UtcNow);

        var outcome = new Outcome();
        var reporter = new Reporter(context.Stderr, outcome);
        var inputs = InputSet.Open("stats", files, context.Stdin, reporter);
        long total = InputSet.TotalLength(inputs);
        var env = context.Environment;
        // stats writes its report at the end: the bar is shown whether or not standard output is a terminal
        var progress = ProgressBar.ShouldShow(env.StderrIsTerminal, false, noProgress, total) ? new ProgressBar(context.Stderr, total, env) : null;
        reporter.Progress = progress;
        var stats = new LogStats();
        // --grep looks at the rendered text: the records are rendered into a sink that is never written out
        var renderer = filter.HasGrep ? new RecordRenderer(new TextFormatter(), filter, new RecordSink(System.IO.Stream.Null, 128 * 1024)) : null;
        long done = 0;
        try
        {
            foreach (var file in inputs)
            {
                var reader = file.Reader;
                long n = 0;
                while (Reading.Next(file, reporter))
                {
                    if (n++ % DecodeCommand.CheckEvery == 0)
                    {
                        if (context.Cancellation.IsCancellationRequested)
                        {
                            outcome.Interrupted = true;
                            break;
                        }
                        progress?.Update(done + reader.Position, n);
                    }
                    var record = reader.Current;
                    if (!filter.Accepts(record)) continue;
                    if (renderer is not null)
                    {
                        if (!renderer.Render(record)) continue;
                        renderer.Sink.DiscardRecord();
                    }
                    stats.Add(record);
                    file.Records++;
                }
                reporter.Finish(file);
                stats.AddFile(file);
                done += file.Length > 0 ? file.Length : 0;
                if (outcome.Interrupted) break;
            }
        }
        finally
        {
            progress?.Clear();
            InputSet.DisposeAll(inputs);
        }
        if (outcome.Interrupted) return outcome.ExitCode;
        if (json) context.Write(StatsReport.Json(stats));
        else context.Write(StatsReport.Text(stats));
        return outcome.ExitCode;
    }
}
