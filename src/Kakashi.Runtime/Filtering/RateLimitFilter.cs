using System;
using System.Collections.Generic;

namespace Kakashi;

/// <summary>What a <see cref="RateLimitFilter"/> or <see cref="SamplingFilter"/> counts by.</summary>
public enum FilterKey
{
    /// <summary>Each log method (template) separately; its event id when it has one.</summary>
    Event,
    /// <summary>Each category (logger) separately.</summary>
    Category,
}

/// <summary>
/// A token bucket per event or category: at most <c>permitsPerSecond</c> records a second, with bursts of up to
/// <c>burst</c>. Suppressed records are counted and summarised once a second in a <c>kakashi.filter</c> record
/// ("Suppressed N records of X (rate-limit)").
/// </summary>
public sealed class RateLimitFilter : ISummarizingFilter
{
    private readonly double _rate;
    private readonly double _burst;
    private readonly FilterKey _key;
    private readonly TimeProvider _time;
    private readonly Dictionary<int, Bucket> _buckets = new();

    /// <summary>A rate limit per <paramref name="key"/>.</summary>
    /// <param name="permitsPerSecond">Records let through per second (greater than zero).</param>
    /// <param name="burst">Records let through at once after a quiet period; at least one second's worth.</param>
    /// <param name="key">What the limit counts by.</param>
    /// <param name="timeProvider">The clock (tests); null: the system clock.</param>
    public RateLimitFilter(double permitsPerSecond, int burst = 0, FilterKey key = FilterKey.Event, TimeProvider? timeProvider = null)
    {
        if (!(permitsPerSecond > 0)) throw new ArgumentOutOfRangeException(nameof(permitsPerSecond), permitsPerSecond, "permitsPerSecond must be greater than zero.");
        if (burst < 0) throw new ArgumentOutOfRangeException(nameof(burst), burst, "burst must not be negative.");
        _rate = permitsPerSecond;
        _burst = Math.Max(burst, Math.Max(1, permitsPerSecond));
        _key = key;
        _time = timeProvider ?? TimeProvider.System;
    }

    /// <inheritdoc/>
    public string Name => "rate-limit";

    /// <inheritdoc/>
    public bool ShouldWrite(in LogRecord record)
    {
        int key = _key == FilterKey.Event ? record.Template.Id : record.CategoryId;
        if (!_buckets.TryGetValue(key, out var bucket))
        {
            bucket = new Bucket { Tokens = _burst, Last = _time.GetTimestamp(), Source = _key == FilterKey.Event ? record.Template.Method : record.Category };
            _buckets.Add(key, bucket); // once per event or category
        }
        long now = _time.GetTimestamp();
        bucket.Tokens = Math.Min(_burst, bucket.Tokens + _time.GetElapsedTime(bucket.Last, now).TotalSeconds * _rate);
        bucket.Last = now;
        if (bucket.Tokens >= 1)
        {
            bucket.Tokens -= 1;
            return true;
        }
        bucket.Suppressed++;
        return false;
    }

    /// <inheritdoc/>
    public void CollectSuppressed(Action<string, long> report)
    {
        foreach (var bucket in _buckets.Values)
        {
            if (bucket.Suppressed == 0) continue;
            report(bucket.Source, bucket.Suppressed);
            bucket.Suppressed = 0;
        }
    }

    private sealed class Bucket
    {
        public double Tokens;
        public long Last;
        public long Suppressed;
        public string Source = "";
    }
}

/// <summary>Keeps 1 record in <c>n</c> per event (or category), counting the rest as filtered and summarising them.</summary>
public sealed class SamplingFilter : ISummarizingFilter
{
    private readonly int _n;
    private readonly FilterKey _key;
    private readonly Dictionary<int, Counter> _counters = new();

    /// <summary>Keeps the first of every <paramref name="n"/> records per <paramref name="key"/> (<paramref name="n"/> at least 1).</summary>
    public SamplingFilter(int n, FilterKey key = FilterKey.Event)
    {
        if (n < 1) throw new ArgumentOutOfRangeException(nameof(n), n, "n must be at least 1.");
        _n = n;
        _key = key;
    }

    /// <inheritdoc/>
    public string Name => "sampling";

    /// <inheritdoc/>
    public bool ShouldWrite(in LogRecord record)
    {
        int key = _key == FilterKey.Event ? record.Template.Id : record.CategoryId;
        if (!_counters.TryGetValue(key, out var counter))
        {
            counter = new Counter { Source = _key == FilterKey.Event ? record.Template.Method : record.Category };
            _counters.Add(key, counter);
        }
        if (counter.Seen++ % _n == 0) return true;
        counter.Suppressed++;
        return false;
    }

    /// <inheritdoc/>
    public void CollectSuppressed(Action<string, long> report)
    {
        foreach (var counter in _counters.Values)
        {
            if (counter.Suppressed == 0) continue;
            report(counter.Source, counter.Suppressed);
            counter.Suppressed = 0;
        }
    }

    private sealed class Counter
    {
        public long Seen;
        public long Suppressed;
        public string Source = "";
    }
}
