using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Kakashi.Cli.Arguments;
using Kakashi.Templates;
using Microsoft.Extensions.Logging;

namespace Kakashi.Cli.Filtering;

/// <summary>
/// The filters of decode, tail and stats. A record passes when it passes every filter given: <c>--level</c> (minimum),
/// <c>--category</c> (any of the patterns), <c>--event</c> (any of the ids or names), <c>--since</c>/<c>--until</c>
/// (<c>since &lt;= timestamp &lt; until</c>), and <c>--grep</c> (on the rendered record, checked after formatting). The
/// per-record checks are a compare each; category and event answers are remembered per category and template object.
/// </summary>
internal sealed class RecordFilter
{
    private readonly List<string> _categoryPatterns = [];
    private readonly List<string> _eventArguments = [];
    private Regex[]? _categories;
    private HashSet<int>? _eventIds;
    private HashSet<string>? _eventNames;
    private readonly Dictionary<LogCategory, bool> _categoryAnswers = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<LogTemplate, bool> _eventAnswers = new(ReferenceEqualityComparer.Instance);
    private LogCategory? _lastCategory;
    private bool _lastCategoryAnswer;
    private LogTemplate? _lastTemplate;
    private bool _lastTemplateAnswer;
    private long _sinceTicks = long.MinValue, _untilTicks = long.MaxValue;
    private char[] _chars = new char[4096];

    public LogLevel MinLevel { get; set; } = LogLevel.Trace;
    public string? Since { get; set; }
    public string? Until { get; set; }
    public string? GrepPattern { get; set; }
    public bool IgnoreCase { get; set; }

    public Regex? Grep { get; private set; }

    /// <summary>True when <c>--grep</c> was given: the record must be rendered before it can be judged.</summary>
    public bool HasGrep => Grep is not null;

    public void AddCategory(string pattern)
    {
        if (pattern.Length == 0) throw new UsageException("an empty category pattern");
        _categoryPatterns.Add(pattern);
    }

    public void AddEvent(string idOrName)
    {
        if (idOrName.Trim().Length == 0) throw new UsageException("an empty event id or name");
        _eventArguments.Add(idOrName.Trim());
    }

    /// <summary>Turns the options into matchers (after parsing: relative times are taken against <paramref name="nowUtc"/>).</summary>
    public void Prepare(DateTime nowUtc)
    {
        if (Since is not null) _sinceTicks = Parse("--since", Since, nowUtc).Ticks;
        if (Until is not null) _untilTicks = Parse("--until", Until, nowUtc).Ticks;
        if (_categoryPatterns.Count > 0)
        {
            _categories = new Regex[_categoryPatterns.Count];
            for (int i = 0; i < _categories.Length; i++) _categories[i] = CategoryPattern(_categoryPatterns[i]);
        }
        foreach (string e in _eventArguments)
        {
            if (int.TryParse(e, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int id)) (_eventIds ??= []).Add(id);
            else (_eventNames ??= new HashSet<string>(StringComparer.OrdinalIgnoreCase)).Add(e);
        }
        if (GrepPattern is not null)
        {
            try
            {
                Grep = new Regex(GrepPattern, RegexOptions.CultureInvariant | RegexOptions.Compiled | (IgnoreCase ? RegexOptions.IgnoreCase : 0), TimeSpan.FromSeconds(10));
            }
            catch (ArgumentException e)
            {
                throw new UsageException($"kakashi: --grep {GrepPattern}: not a .NET regular expression: {e.Message}");
            }
        }
        else if (IgnoreCase)
        {
            throw new UsageException("kakashi: -i (--ignore-case) applies to --grep, which is not given");
        }
    }

    private static DateTime Parse(string option, string text, DateTime nowUtc)
    {
        try
        {
            return TimeArgument.Parse(text, nowUtc);
        }
        catch (UsageException e)
        {
            throw new UsageException($"kakashi: {option} {text}: {e.Message}");
        }
    }

    /// <summary>A category pattern: a prefix of the category (case-insensitive), <c>*</c> matching any run of characters.</summary>
    private static Regex CategoryPattern(string pattern)
    {
        var regex = new StringBuilder("^");
        string[] parts = pattern.Split('*');
        for (int i = 0; i < parts.Length; i++)
        {
            if (i > 0) regex.Append(".*");
            regex.Append(Regex.Escape(parts[i]));
        }
        return new Regex(regex.ToString(), RegexOptions.CultureInvariant | RegexOptions.IgnoreCase | RegexOptions.Singleline);
    }

    /// <summary>The checks on the record's fields (everything but <c>--grep</c>).</summary>
    public bool Accepts(in LogRecord record)
    {
        if (record.Level < MinLevel) return false;
        long ticks = record.Timestamp.Ticks;
        if (ticks < _sinceTicks || ticks >= _untilTicks) return false;
        if (_categories is not null && !CategoryMatches(record.CategoryInfo)) return false;
        if ((_eventIds is not null || _eventNames is not null) && !EventMatches(record.Template)) return false;
        return true;
    }

    private bool CategoryMatches(LogCategory category)
    {
        if (ReferenceEquals(category, _lastCategory)) return _lastCategoryAnswer;
        if (!_categoryAnswers.TryGetValue(category, out bool answer))
        {
            answer = false;
            foreach (var pattern in _categories!)
            {
                if (pattern.IsMatch(category.Name))
                {
                    answer = true;
                    break;
                }
            }
            _categoryAnswers[category] = answer;
        }
        _lastCategory = category;
        _lastCategoryAnswer = answer;
        return answer;
    }

    private bool EventMatches(LogTemplate template)
    {
        if (ReferenceEquals(template, _lastTemplate)) return _lastTemplateAnswer;
        if (!_eventAnswers.TryGetValue(template, out bool answer))
        {
            answer = (_eventIds?.Contains(template.EventId) ?? false) || (_eventNames?.Contains(template.EventName) ?? false);
            _eventAnswers[template] = answer;
        }
        _lastTemplate = template;
        _lastTemplateAnswer = answer;
        return answer;
    }

    /// <summary><c>--grep</c> on a rendered record (UTF-8): true when the pattern is found in it, or when there is no pattern.</summary>
    public bool MatchesRendered(ReadOnlySpan<byte> utf8)
    {
        if (Grep is null) return true;
        if (_chars.Length < utf8.Length) _chars = new char[Math.Max(utf8.Length, _chars.Length * 2)];
        int n = Encoding.UTF8.GetChars(utf8, _chars);
        return Grep.IsMatch(_chars.AsSpan(0, n));
    }
}
