using System.Collections.Generic;
using Kakashi.Cli.Arguments;
using Kakashi.Cli.Filtering;
using Kakashi.Cli.Input;
using Kakashi.Cli.Output;
using Kakashi.Cli.Reporting;

namespace Kakashi.Cli.Commands;

/// <summary>
/// <c>kakashi decode [options] FILE...</c>: every record, through the filters, rendered by the runtime's formatter to
/// standard output. Several files are merged by timestamp (a k-way merge on <see cref="KlogReader.CurrentTimestamp"/>;
/// equal timestamps keep the command line's file order, and each file's own order is kept).
/// </summary>
internal static class DecodeCommand
{
    public static readonly string Help = CommonOptions.Sections(
        """
        Usage: kakashi decode [options] FILE...

        Decodes .klog files (FILE - is standard input; .klog.gz files are read too) to text or JSON, exactly as the
        live pipeline's formatter writes it. Several files are merged by timestamp (equal timestamps: in the order of
        the files given).
        """,
        CommonOptions.FormatHelp,
        CommonOptions.FilterHelp,
        """
        Other options:
              --no-progress      no progress bar (it is shown on a terminal's standard error while the output goes
                                 to a file or a pipe, for files of known size)
          -h, --help             this help
        """,
        """
        Examples:
          kakashi decode logs/app.klog > app.log
          kakashi decode --json --level Warning logs/app.klog logs/app_001.klog
          cat app.klog | kakashi decode -
          kakashi decode --template "{Timestamp:HH:mm:ss.fff} {Level:u3} {Message}{NewLine}" --since 1h app.klog
        """,
        ExitCodes.HelpText);

    /// <summary>Records between two looks at the cancellation and the progress bar.</summary>
    internal const int CheckEvery = 4096;

    public static int Run(IReadOnlyList<string> args, CliContext context)
    {
        var filter = new RecordFilter();
        var format = new OutputFormat();
        bool noProgress = false;
        var options = new List<OptionSpec>();
        CommonOptions.AddFormat(options, format);
        CommonOptions.AddFilters(options, filter);
        options.Add(new OptionSpec("no-progress", null, null, _ => noProgress = true));
        var files = ArgParser.Parse("decode", args, options, out bool help);
        if (help)
        {
            context.Write(Help);
            return ExitCodes.Ok;
        }
        if (files.Count == 0) throw new UsageException("kakashi decode: no FILE given (- reads standard input)");
        filter.Prepare(context.UtcNow);
        var formatter = format.Create();

        var outcome = new Outcome();
        var reporter = new Reporter(context.Stderr, outcome);
        var inputs = InputSet.Open("decode", files, context.Stdin, reporter);
        var sink = new RecordSink(context.Stdout);
        var renderer = new RecordRenderer(formatter, filter, sink);
        long total = InputSet.TotalLength(inputs);
        var env = context.Environment;
        var progress = ProgressBar.ShouldShow(env.StderrIsTerminal, env.StdoutIsTerminal, noProgress, total) ? new ProgressBar(context.Stderr, total, env) : null;
        reporter.Progress = progress;
        try
        {
            if (inputs.Count == 1) DecodeOne(inputs[0], renderer, reporter, progress, context);
            else if (inputs.Count > 1) Merge(inputs, renderer, reporter, progress, context);
            sink.Flush();
        }
        catch (OutputClosedException e)
        {
            reporter.OutputClosed(e);
        }
        finally
        {
            progress?.Clear();
            InputSet.DisposeAll(inputs);
        }
        return outcome.ExitCode;
    }

    /// <summary>One file: straight through.</summary>
    private static void DecodeOne(InputFile file, RecordRenderer renderer, Reporter reporter, ProgressBar? progress, CliContext context)
    {
        var reader = file.Reader;
        long n = 0;
        while (Reading.Next(file, reporter))
        {
            if (n++ % CheckEvery == 0)
            {
                if (context.Cancellation.IsCancellationRequested)
                {
                    reporter.Outcome.Interrupted = true;
                    break;
                }
                progress?.Update(reader.Position, n);
            }
            if (renderer.Render(reader.Current)) file.Records++;
        }
        reporter.Finish(file);
    }

    /// <summary>Several files: a k-way merge by timestamp, ties to the earlier file on the command line.</summary>
    private static void Merge(List<InputFile> inputs, RecordRenderer renderer, Reporter reporter, ProgressBar? progress, CliContext context)
    {
        var queue = new PriorityQueue<InputFile, (long Ticks, int Index)>(inputs.Count);
        foreach (var f in inputs)
        {
            if (Reading.Next(f, reporter)) queue.Enqueue(f, (f.Reader.CurrentTimestamp.Ticks, f.Index));
            else reporter.Finish(f);
        }
        long n = 0;
        while (queue.TryPeek(out var file, out _))
        {
            if (n++ % CheckEvery == 0)
            {
                if (context.Cancellation.IsCancellationRequested)
                {
                    reporter.Outcome.Interrupted = true;
                    break;
                }
                progress?.Update(Position(inputs), n);
            }
            if (renderer.Render(file.Reader.Current)) file.Records++;
            if (Reading.Next(file, reporter)) queue.DequeueEnqueue(file, (file.Reader.CurrentTimestamp.Ticks, file.Index));
            else
            {
                queue.Dequeue();
                reporter.Finish(file);
            }
        }
    }

    private static long Position(List<InputFile> inputs)
    {
        long done = 0;
        foreach (var f in inputs) done += f.Reader.Position;
        return done;
    }
}
