using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.IO.Compression;
using System.Text.RegularExpressions;
using System.Threading;
using System.Threading.Tasks;

namespace Kakashi.Writers;

/// <summary>One of a rolling writer's files found on disk.</summary>
internal readonly record struct RolledFile(string Path, string Period, int Sequence, bool Compressed, bool Temporary);

/// <summary>
/// The file names of a rolling <see cref="AsyncFileWriter"/>, Serilog-compatible: the base path's name, the period
/// (<c>yyyyMMdd</c> for a day, nothing for <see cref="RollingInterval.Infinite"/>), <c>_NNN</c> from the second file of a
/// period on (size rolls), then the extension; <c>.gz</c> once compressed.
/// </summary>
internal sealed class RollingFileNames
{
    private readonly string _format;
    private readonly Regex _pattern;

    public RollingFileNames(string basePath, RollingInterval interval)
    {
        Interval = interval;
        Folder = System.IO.Path.GetDirectoryName(basePath) ?? "";
        Prefix = System.IO.Path.GetFileNameWithoutExtension(basePath);
        Suffix = System.IO.Path.GetExtension(basePath);
        _format = interval switch
        {
            RollingInterval.Year => "yyyy",
            RollingInterval.Month => "yyyyMM",
            RollingInterval.Day => "yyyyMMdd",
            RollingInterval.Hour => "yyyyMMddHH",
            RollingInterval.Minute => "yyyyMMddHHmm",
            _ => "",
        };
        string period = _format.Length == 0 ? "" : "(?<period>[0-9]{" + _format.Length.ToString(CultureInfo.InvariantCulture) + "})";
        var options = RegexOptions.CultureInvariant | RegexOptions.ExplicitCapture | (OperatingSystem.IsWindows() || OperatingSystem.IsMacOS() ? RegexOptions.IgnoreCase : 0);
        _pattern = new Regex("^" + Regex.Escape(Prefix) + period + "(?:_(?<seq>[0-9]{3,9}))?" + Regex.Escape(Suffix) + @"(?:(?<gz>\.gz)(?<tmp>\.tmp)?)?$", options);
    }

    public RollingInterval Interval { get; }
    public string Folder { get; }
    public string Prefix { get; }
    public string Suffix { get; }

    /// <summary>The period part of the name for a period starting at <paramref name="start"/> ("" for Infinite).</summary>
    public string PeriodKey(DateTime start) => _format.Length == 0 ? "" : start.ToString(_format, CultureInfo.InvariantCulture);

    public string PathFor(DateTime periodStart, int sequence)
        => System.IO.Path.Combine(Folder, Prefix + PeriodKey(periodStart) + (sequence > 0 ? "_" + sequence.ToString("000", CultureInfo.InvariantCulture) : "") + Suffix);

    /// <summary>The start of the period <paramref name="now"/> is in.</summary>
    public DateTime PeriodStart(DateTime now) => Interval switch
    {
        RollingInterval.Year => new DateTime(now.Year, 1, 1, 0, 0, 0, now.Kind),
        RollingInterval.Month => new DateTime(now.Year, now.Month, 1, 0, 0, 0, now.Kind),
        RollingInterval.Day => new DateTime(now.Year, now.Month, now.Day, 0, 0, 0, now.Kind),
        RollingInterval.Hour => new DateTime(now.Year, now.Month, now.Day, now.Hour, 0, 0, now.Kind),
        RollingInterval.Minute => new DateTime(now.Year, now.Month, now.Day, now.Hour, now.Minute, 0, now.Kind),
        _ => DateTime.MinValue,
    };

    /// <summary>The first instant after the period starting at <paramref name="start"/> (<see cref="DateTime.MaxValue"/> for Infinite).</summary>
    public DateTime PeriodEnd(DateTime start) => Interval switch
    {
        RollingInterval.Year => start.Year == 9999 ? DateTime.MaxValue : start.AddYears(1),
        RollingInterval.Month => start.Year == 9999 && start.Month == 12 ? DateTime.MaxValue : start.AddMonths(1),
        RollingInterval.Day => start.Date == DateTime.MaxValue.Date ? DateTime.MaxValue : start.AddDays(1),
        RollingInterval.Hour => DateTime.MaxValue - start < TimeSpan.FromHours(1) ? DateTime.MaxValue : start.AddHours(1),
        RollingInterval.Minute => DateTime.MaxValue - start < TimeSpan.FromMinutes(1) ? DateTime.MaxValue : start.AddMinutes(1),
        _ => DateTime.MaxValue,
    };

    /// <summary>The end of the period named <paramref name="key"/>, or null when it does not parse (Infinite).</summary>
    public DateTime? PeriodEndOf(string key)
    {
        if (_format.Length == 0 || !DateTime.TryParseExact(key, _format, CultureInfo.InvariantCulture, DateTimeStyles.None, out var start)) return null;
        return PeriodEnd(start);
    }

    /// <summary>This writer's files in its folder (any period), compressed and half-compressed ones included.</summary>
    public List<RolledFile> List()
    {
        var found = new List<RolledFile>();
        if (!Directory.Exists(Folder)) return found;
        foreach (string path in Directory.EnumerateFiles(Folder))
        {
            var match = _pattern.Match(System.IO.Path.GetFileName(path));
            if (!match.Success) continue;
            var seq = match.Groups["seq"];
            found.Add(new RolledFile(path, match.Groups["period"].Value, seq.Success ? int.Parse(seq.ValueSpan, CultureInfo.InvariantCulture) : 0,
                match.Groups["gz"].Success, match.Groups["tmp"].Success));
        }
        return found;
    }

    /// <summary>
    /// The sequence to continue in period <paramref name="key"/>: the latest existing file's, or the one after it when that
    /// file is already compressed (it was rolled); 0 when the period has no file yet.
    /// </summary>
    public int LatestSequence(string key)
    {
        int latest = -1;
        bool compressed = false;
        foreach (var file in List())
        {
            if (file.Temporary || !string.Equals(file.Period, key, StringComparison.Ordinal)) continue;
            if (file.Sequence > latest || (file.Sequence == latest && file.Compressed))
            {
                compressed = file.Compressed;
                latest = file.Sequence;
            }
        }
        return latest < 0 ? 0 : compressed ? latest + 1 : latest;
    }
}

/// <summary>
/// Retention and compression of a rolling writer's files, on a thread-pool task: never on the writer's loop or the drain.
/// One run at a time; a request during a run makes it go round once more.
/// </summary>
internal sealed class RollingMaintenance
{
    private readonly RollingFileNames _names;
    private readonly AsyncFileWriter _writer;
    private readonly Func<DateTime> _now;
    private int _requested;
    private int _running;

    public RollingMaintenance(RollingFileNames names, AsyncFileWriter writer, Func<DateTime> now)
    {
        _names = names;
        _writer = writer;
        _now = now;
    }

    /// <summary>Asks for a run (after a roll, at start).</summary>
    public void Request()
    {
        Volatile.Write(ref _requested, 1);
        if (Interlocked.CompareExchange(ref _running, 1, 0) == 0) _ = Task.Run(Run); // Run reports its own failures
    }

    /// <summary>Completes when no run is under way or asked for, or after <paramref name="timeout"/>.</summary>
    public async Task WaitIdleAsync(TimeSpan timeout)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while ((Volatile.Read(ref _running) != 0 || Volatile.Read(ref _requested) != 0) && clock.Elapsed < timeout)
        {
            await Task.Delay(10).ConfigureAwait(false);
        }
    }

    private void Run()
    {
        while (true)
        {
            while (Interlocked.Exchange(ref _requested, 0) == 1)
            {
                try
                {
                    RunOnce();
                }
                catch (Exception e)
                {
                    _writer.MaintenanceFailed(new IOException($"{_writer.Name}: retention/compression of rolled files failed: {e.Message}", e));
                }
            }
            Volatile.Write(ref _running, 0);
            // a request that came in after the last look and before _running cleared started no run: take it
            if (Volatile.Read(ref _requested) == 0 || Interlocked.CompareExchange(ref _running, 1, 0) != 0) return;
        }
    }

    private void RunOnce()
    {
        var files = _names.List();
        // read after listing: the writer only moves on to newer files, so every listed file it still writes is this one
        string current = _writer.CurrentPath;
        var groups = new Dictionary<(string Period, int Sequence), List<RolledFile>>();
        foreach (var file in files)
        {
            if (file.Temporary)
            {
                TryDelete(file.Path); // a compression that never finished (a crash): its original is still there
                continue;
            }
            if (PathEquals(file.Path, current)) continue;
            if (!groups.TryGetValue((file.Period, file.Sequence), out var list)) groups.Add((file.Period, file.Sequence), list = []);
            list.Add(file);
        }
        // newest first; the current file counts as one of RetainedFileCountLimit (as in Serilog)
        var keys = new List<(string Period, int Sequence)>(groups.Keys);
        keys.Sort((a, b) =>
        {
            int c = string.CompareOrdinal(b.Period, a.Period);
            return c != 0 ? c : b.Sequence.CompareTo(a.Sequence);
        });
        int? count = _writer.RetainedFileCountLimit;
        TimeSpan? age = _writer.RetainedFileTimeLimit;
        DateTime now = _now();
        int keep = 0;
        while (keep < keys.Count && Retained(keep, groups[keys[keep]])) keep++;
        for (int i = keep; i < keys.Count; i++)
        {
            foreach (var file in groups[keys[i]]) Delete(file.Path);
        }
        if (!_writer.CompressRolledFiles) return;
        for (int i = 0; i < keep; i++)
        {
            var list = groups[keys[i]];
            RolledFile? plain = null;
            bool hasGz = false;
            foreach (var file in list)
            {
                if (file.Compressed) hasGz = true;
                else plain = file;
            }
            if (plain is not { } original) continue;
            if (hasGz) Delete(original.Path); // renamed complete before a crash kept the original: the .gz is whole
            else Compress(original.Path);
        }

        bool Retained(int index, List<RolledFile> group)
        {
            if (count is { } limit && index >= limit - 1) return false;
            if (age is { } maxAge)
            {
                // a rolled file is kept until its period ended more than the limit ago; without periods, since it was last written
                DateTime end = _names.PeriodEndOf(group[0].Period) ?? LastWrite(group[0].Path);
                if (end != DateTime.MaxValue && end < now - maxAge) return false;
            }
            return true;
        }
    }

    private DateTime LastWrite(string path)
    {
        var written = File.GetLastWriteTimeUtc(path);
        return _writer.UseLocalTime ? written.ToLocalTime() : written;
    }

    /// <summary>gzip to <c>name.gz.tmp</c>, fsync, rename to <c>name.gz</c>, then delete the original: a crash leaves the original and at most a temp file, never a partial .gz.</summary>
    private void Compress(string path)
    {
        string gz = path + ".gz", temp = gz + ".tmp";
        try
        {
            TryDelete(temp);
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
            if (!OperatingSystem.IsWindows()) options.UnixCreateMode = _writer.UnixCreateMode;
            DateTime written;
            using (var input = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete))
            using (var output = new FileStream(temp, options))
            {
                written = File.GetLastWriteTimeUtc(path);
                using (var zip = new GZipStream(output, CompressionLevel.Optimal, leaveOpen: true)) input.CopyTo(zip);
                output.Flush(flushToDisk: true);
            }
            File.SetLastWriteTimeUtc(temp, written); // retention by age reads it
            File.Move(temp, gz, overwrite: true);
            File.Delete(path);
            _writer.CountCompressed();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            TryDelete(temp);
            _writer.MaintenanceFailed(new IOException($"{_writer.Name}: cannot compress '{path}': {e.Message}", e));
        }
    }

    private void Delete(string path)
    {
        try
        {
            File.Delete(path);
            _writer.CountDeleted();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _writer.MaintenanceFailed(new IOException($"{_writer.Name}: cannot delete '{path}' (retention): {e.Message}", e));
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // left for the next run
        }
    }

    private static bool PathEquals(string a, string b)
        => string.Equals(a, b, OperatingSystem.IsWindows() || OperatingSystem.IsMacOS() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal);
}
