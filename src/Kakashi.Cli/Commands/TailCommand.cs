using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using Kakashi.Cli.Arguments;
using Kakashi.Cli.Filtering;
using Kakashi.Cli.Input;
using Kakashi.Cli.Output;
using Kakashi.Cli.Reporting;

namespace Kakashi.Cli.Commands;

/// <summary>
/// <c>kakashi tail [-n N] [-f] FILE</c>: the last N records that pass the filters, then, with <c>-f</c>, each record as
/// the writer appends it, across rolling: when a newer file of the family appears (<see cref="RollingFamily"/>), what is
/// left of the current one is read, then the next one is followed from its start. Ends on cancellation (Ctrl+C,
/// SIGTERM), with exit code 0 when nothing went wrong.
/// </summary>
internal static class TailCommand
{
    public static readonly string Help = CommonOptions.Sections(
        """
        Usage: kakashi tail [-n N] [-f] [options] FILE

        Prints the last N records of FILE (that pass the filters; default 10), then with -f follows FILE as it grows
        and across rolling: when the writer rolls to a newer file of the same base name (app.klog, app_001.klog,
        app20261202.klog, app20261202_001.klog, ...), the rest of the current file is printed and the next file is
        followed. FILE may be the writer's base path (logs/app.klog): tail then starts with the newest file of that
        name. If FILE holds fewer than N records, the rest come from the files before it. Ctrl+C or SIGTERM ends it
        (exit code 0). FILE - reads standard input to its end (-f does not apply).

          -n, --lines N          how many records to print first (default 10; 0: none)
          -f, --follow           keep printing records as they are written, across rolled files
          -h, --help             this help
        """,
        CommonOptions.FormatHelp,
        CommonOptions.FilterHelp,
        """
        Examples:
          kakashi tail logs/app.klog
          kakashi tail -n 100 -f --level Warning logs/app.klog
          kakashi tail -f --json --category Orders logs/app.klog | jq .
        """,
        ExitCodes.HelpText);

    public static int Run(IReadOnlyList<string> args, CliContext context)
    {
        var filter = new RecordFilter();
        var format = new OutputFormat();
        long count = 10;
        bool follow = false;
        var options = new List<OptionSpec>
        {
            new("lines", 'n', "N", v => count = long.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out long n) ? n : throw new UsageException("not a count (a whole number, 0 or more)")),
            new("follow", 'f', null, _ => follow = true),
        };
        CommonOptions.AddFormat(options, format);
        CommonOptions.AddFilters(options, filter);
        var files = ArgParser.Parse("tail", args, options, out bool help);
        if (help)
        {
            context.Write(Help);
            return ExitCodes.Ok;
        }
        if (files.Count != 1) throw new UsageException(files.Count == 0 ? "kakashi tail: no FILE given" : "kakashi tail: one FILE only (to merge files, use kakashi decode)");
        filter.Prepare(context.UtcNow);
        var formatter = format.Create();

        var outcome = new Outcome();
        var reporter = new Reporter(context.Stderr, outcome);
        var sink = new RecordSink(context.Stdout, 256 * 1024);
        var renderer = new RecordRenderer(formatter, filter, sink);

        string path = files[0];
        RollingFamily? family = null;
        FamilyMember? member = null;
        if (path != "-")
        {
            family = RollingFamily.For(path);
            var given = family.MemberOf(path);
            bool isBase = given is { Period.Length: 0, Sequence: 0 } && string.Equals(Path.GetFileName(path), family.Prefix + family.Extension, StringComparison.Ordinal);
            if ((!File.Exists(path) || isBase) && family.Latest() is { } latest) path = latest.Path;
            member = family.MemberOf(path);
        }
        var current = InputSet.TryOpen(path, 0, context.Stdin, reporter);
        if (current is null) return outcome.ExitCode;
        try
        {
            current = PrintLast(current, count, family, member, renderer, reporter, context);
            sink.Flush();
            if (follow && current.Followable && !current.Failed && !context.Cancellation.IsCancellationRequested)
                current = Follow(current, family, member, renderer, reporter, context);
            else
                reporter.Finish(current);
            sink.Flush();
        }
        catch (OutputClosedException e)
        {
            reporter.OutputClosed(e);
        }
        finally
        {
            current?.Dispose();
        }
        return outcome.ExitCode;
    }

    /// <summary>
    /// The last <paramref name="count"/> records: of the file, and of the files before it when it holds fewer. Returns the
    /// file read to its end (the one to follow: <paramref name="current"/> or the reader that replaced it).
    /// </summary>
    private static InputFile PrintLast(InputFile current, long count, RollingFamily? family, FamilyMember? member, RecordRenderer renderer, Reporter reporter, CliContext context)
    {
        var ring = new RecordRing(count);
        current = ReadLast(current, ring, renderer, reporter, context);
        reporter.Damage(current);
        var earlier = new List<RecordRing>();
        long have = ring.Count;
        if (have < count && family is not null && member is { } m)
        {
            foreach (var before in family.Before(m))
            {
                if (have >= count || context.Cancellation.IsCancellationRequested) break;
                var file = InputSet.TryOpen(before.Path, 0, context.Stdin, reporter);
                if (file is null) continue;
                var part = new RecordRing(count - have);
                file = ReadLast(file, part, renderer, reporter, context);
                using (file)
                {
                    reporter.Finish(file);
                    earlier.Add(part);
                    have += part.Count;
                }
            }
        }
        for (int i = earlier.Count - 1; i >= 0; i--) earlier[i].WriteTo(renderer.Sink);
        ring.WriteTo(renderer.Sink);
        return current;
    }

    /// <summary>
    /// Fills <paramref name="ring"/> with the last records of <paramref name="file"/> that pass, decoding only the file's last
    /// frames: a first pass walks the frames without decoding a record (CRC and metadata only, at the speed of reading the
    /// file) to find where the last <see cref="RecordRing.Capacity"/> records start; the file is then read again from
    /// there, the frames before it checked but not decoded (<see cref="KlogReader.SkipRecordsBefore"/>). When the filters
    /// leave fewer records than asked, it starts further back (as far as the share of records that passed says it takes,
    /// at least four times as far), up to the whole file. The passes that are not the
    /// last report nothing; the last one reports everything (its reader walked the whole file). Standard input, which
    /// cannot be read twice, is read whole. Returns the file read to its end.
    /// </summary>
    private static InputFile ReadLast(InputFile file, RecordRing ring, RecordRenderer renderer, Reporter reporter, CliContext context)
    {
        if (ring.Capacity <= 0 || file.Path is null || file.Failed)
        {
            ReadInto(file, ring, renderer, reporter, context);
            return file;
        }
        IReadOnlyList<KlogRecordFrame>? frames;
        try
        {
            frames = file.Reader.ScanRecordFrames();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            frames = null; // a refused version or a read error: the plain read below reports it
        }
        long total = 0;
        if (frames is not null) foreach (var f in frames) total += f.Records;
        var quiet = new Reporter(TextWriter.Null, new Outcome());
        long want = ring.Capacity;
        while (true)
        {
            long start = frames is null ? 0 : StartOf(frames, want);
            var attempt = InputSet.TryOpen(file.Path, file.Index, context.Stdin, reporter);
            if (attempt is null)
            {
                // gone since the scan (deleted, or rolled away and compressed): reported as unreadable, nothing to print
                ring.Clear();
                return file;
            }
            attempt.Reader.SkipRecordsBefore = start;
            ring.Clear();
            bool last = start == 0;
            ReadInto(attempt, ring, renderer, last ? reporter : quiet, context);
            if (!last && (attempt.Failed || !ring.IsFull) && !context.Cancellation.IsCancellationRequested)
            {
                // as far back again as the matches so far say it takes (with room to spare), at least four times as far
                // (and once that is a quarter of the file or more, the whole file: each pass reads all of it)
                double factor = ring.Count == 0 ? 64 : Math.Max(4, 1.5 * ring.Capacity / ring.Count);
                want = want >= total / 4 / factor ? long.MaxValue : (long)(want * factor);
                attempt.Dispose();
                if (attempt.Failed) frames = null; // failed on the way: the whole file once more, reporting
                continue;
            }
            if (!last)
            {
                // what the quiet pass found, reported now (its reader checked every frame from the start)
                attempt.DamageReported = 0;
                attempt.SkippedReported = 0;
                reporter.Damage(attempt);
            }
            file.Dispose();
            return attempt;
        }
    }

    /// <summary>The offset of the frame from which <paramref name="frames"/> hold at least <paramref name="records"/> records to the end; 0 for the whole file.</summary>
    private static long StartOf(IReadOnlyList<KlogRecordFrame> frames, long records)
    {
        long sum = 0;
        for (int i = frames.Count - 1; i > 0; i--)
        {
            sum += frames[i].Records;
            if (sum >= records) return frames[i].Offset;
        }
        return 0;
    }

    /// <summary>Reads <paramref name="file"/> to its end now, keeping the last records that pass in <paramref name="ring"/>.</summary>
    private static void ReadInto(InputFile file, RecordRing ring, RecordRenderer renderer, Reporter reporter, CliContext context)
    {
        long n = 0;
        bool keep = ring.Capacity > 0;
        while (Reading.Next(file, reporter))
        {
            if (n++ % DecodeCommand.CheckEvery == 0 && context.Cancellation.IsCancellationRequested) return;
            if (keep && renderer.Render(file.Reader.Current))
            {
                ring.Add(renderer.Sink.CurrentRecord);
                renderer.Sink.DiscardRecord();
            }
        }
    }

    /// <summary>Follows the file, and the family's newer files as they appear, until cancelled; returns the file it ended in.</summary>
    private static InputFile? Follow(InputFile current, RollingFamily? family, FamilyMember? member, RecordRenderer renderer, Reporter reporter, CliContext context)
    {
        var env = context.Environment;
        var time = env.Time;
        long lookEvery = (long)(env.FollowInterval.TotalSeconds * time.TimestampFrequency);
        long nextLook = 0;
        var token = context.Cancellation;
        while (!token.IsCancellationRequested)
        {
            bool any = Drain(current, renderer, reporter, context);
            renderer.Sink.Flush();
            if (current.Failed) return current;
            if (family is not null && member is { } m && time.GetTimestamp() >= nextLook)
            {
                nextLook = time.GetTimestamp() + lookEvery;
                if (family.After(m) is { } next)
                {
                    // the writer has moved on: what the current file holds now is all it will hold
                    Drain(current, renderer, reporter, context);
                    renderer.Sink.Flush();
                    reporter.Finish(current);
                    current.Dispose();
                    var opened = InputSet.TryOpen(next.Path, 0, context.Stdin, reporter);
                    if (opened is null) return null;
                    current = opened;
                    member = next;
                    continue;
                }
            }
            if (!any) token.WaitHandle.WaitOne(env.FollowInterval);
        }
        return current;
    }

    /// <summary>Prints every whole record there is now; true when there was at least one.</summary>
    private static bool Drain(InputFile file, RecordRenderer renderer, Reporter reporter, CliContext context)
    {
        bool any = false;
        long n = 0;
        while (Reading.Next(file, reporter))
        {
            any = true;
            renderer.Render(file.Reader.Current);
            if (++n % DecodeCommand.CheckEvery == 0)
            {
                renderer.Sink.Flush();
                if (context.Cancellation.IsCancellationRequested) break;
            }
        }
        return any;
    }
}
