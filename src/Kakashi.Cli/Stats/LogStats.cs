using System;
using System.Collections.Generic;
using Kakashi.Cli.Input;
using Kakashi.Templates;
using Microsoft.Extensions.Logging;

namespace Kakashi.Cli.Stats;

/// <summary>Counts for one template (method and message template) or category.</summary>
internal sealed class Counted(string name, string? detail, int eventId, string? eventName)
{
    public string Name { get; } = name;
    public string? Detail { get; } = detail;
    public int EventId { get; } = eventId;
    public string? EventName { get; } = eventName;
    public long Count { get; set; }
}

/// <summary>What stats reports about one file.</summary>
internal sealed class FileStats(string name)
{
    public string Name { get; } = name;
    public long Bytes { get; set; }
    public long Records { get; set; }
    public long SkippedBytes { get; set; }
    public long PendingBytes { get; set; }
    public bool Failed { get; set; }
    public IReadOnlyList<KlogDamage> Damage { get; set; } = [];
    public IReadOnlyDictionary<string, string>? Header { get; set; }
    public int FormatVersion { get; set; }
}

/// <summary>
/// The counts <c>kakashi stats</c> reports: records per level, per template (method + message template, over every
/// session and file) and per category; the first and last timestamps; bytes; damage. Per record it is a few adds and,
/// when the template or category changes from the record before, a dictionary look-up by reference.
/// </summary>
internal sealed class LogStats
{
    private readonly Dictionary<LogTemplate, Counted> _byTemplate = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<(string, string), Counted> _templates = new();
    private readonly Dictionary<LogCategory, Counted> _byCategory = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<string, Counted> _categories = new(StringComparer.Ordinal);
    private LogTemplate? _lastTemplate;
    private Counted? _lastTemplateCount;
    private LogCategory? _lastCategory;
    private Counted? _lastCategoryCount;

    public long Records { get; private set; }
    public long[] Levels { get; } = new long[7];
    public long FirstTicks { get; private set; } = long.MaxValue;
    public long LastTicks { get; private set; } = long.MinValue;
    public List<FileStats> Files { get; } = [];

    public IEnumerable<Counted> Templates => _templates.Values;
    public IEnumerable<Counted> Categories => _categories.Values;

    public void Add(in LogRecord record)
    {
        Records++;
        int level = (int)record.Level;
        Levels[(uint)level < 7u ? level : 6]++;
        long ticks = record.Timestamp.Ticks;
        if (ticks < FirstTicks) FirstTicks = ticks;
        if (ticks > LastTicks) LastTicks = ticks;

        var template = record.Template;
        if (!ReferenceEquals(template, _lastTemplate))
        {
            if (!_byTemplate.TryGetValue(template, out var counted))
            {
                var key = (template.Method, template.Message);
                if (!_templates.TryGetValue(key, out counted))
                    _templates.Add(key, counted = new Counted(template.Method, template.Message, template.EventId, template.EventName));
                _byTemplate.Add(template, counted);
            }
            _lastTemplate = template;
            _lastTemplateCount = counted;
        }
        _lastTemplateCount!.Count++;

        var category = record.CategoryInfo;
        if (!ReferenceEquals(category, _lastCategory))
        {
            if (!_byCategory.TryGetValue(category, out var counted))
            {
                if (!_categories.TryGetValue(category.Name, out counted))
                    _categories.Add(category.Name, counted = new Counted(category.Name, null, 0, null));
                _byCategory.Add(category, counted);
            }
            _lastCategory = category;
            _lastCategoryCount = counted;
        }
        _lastCategoryCount!.Count++;
    }

    /// <summary>Takes what the file's reader knows once the file is read.</summary>
    public void AddFile(InputFile file)
    {
        var reader = file.Reader;
        Files.Add(new FileStats(file.Name)
        {
            Bytes = file.Length >= 0 ? file.Length : reader.Position + reader.PendingBytes,
            Records = file.Records,
            SkippedBytes = reader.SkippedBytes,
            PendingBytes = reader.PendingBytes,
            Failed = file.Failed,
            Damage = [.. reader.Damage],
            Header = reader.Header?.Properties,
            FormatVersion = reader.Header?.FormatVersion ?? 0,
        });
    }

    public long Bytes
    {
        get
        {
            long total = 0;
            foreach (var f in Files) total += f.Bytes;
            return total;
        }
    }

    public long SkippedBytes
    {
        get
        {
            long total = 0;
            foreach (var f in Files) total += f.SkippedBytes;
            return total;
        }
    }

    public TimeSpan Span => Records == 0 ? TimeSpan.Zero : TimeSpan.FromTicks(LastTicks - FirstTicks);

    /// <summary>Records per second over the span from the first to the last timestamp (0 when it is empty).</summary>
    public double RecordsPerSecond => Span > TimeSpan.Zero ? Records / Span.TotalSeconds : 0;

    public double BytesPerRecord => Records == 0 ? 0 : (double)Bytes / Records;

    /// <summary>Damage over all files, grouped by reason: ranges and bytes.</summary>
    public List<(string Reason, long Ranges, long Bytes)> DamageByReason()
    {
        var byReason = new Dictionary<string, (long Ranges, long Bytes)>(StringComparer.Ordinal);
        foreach (var f in Files)
        {
            foreach (var d in f.Damage)
            {
                byReason.TryGetValue(d.Reason, out var sum);
                byReason[d.Reason] = (sum.Ranges + 1, sum.Bytes + d.Length);
            }
        }
        var list = new List<(string, long, long)>();
        foreach (var (reason, sum) in byReason) list.Add((reason, sum.Ranges, sum.Bytes));
        list.Sort((a, b) => b.Item3.CompareTo(a.Item3));
        return list;
    }

    public static string LevelName(int index) => index < 6 ? ((LogLevel)index).ToString() : "None";

    public static List<Counted> ByCount(IEnumerable<Counted> items)
    {
        var list = new List<Counted>(items);
        list.Sort((a, b) => a.Count != b.Count ? b.Count.CompareTo(a.Count) : string.CompareOrdinal(a.Name + "\0" + a.Detail, b.Name + "\0" + b.Detail));
        return list;
    }
}
