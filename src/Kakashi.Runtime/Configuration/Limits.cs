using System;

namespace Kakashi;

/// <summary>Range checks shared by every option, so each message names the property and its allowed range the same way.</summary>
internal static class Limits
{
    // the ranges are in src/Shared/ConfigurationLimits.cs, which the analyzers compile too
    public static readonly TimeSpan MinInterval = TimeSpan.FromTicks(Kakashi.Shared.ConfigurationLimits.MinIntervalTicks);
    public static readonly TimeSpan MaxInterval = TimeSpan.FromTicks(Kakashi.Shared.ConfigurationLimits.MaxIntervalTicks);
    public static readonly TimeSpan MinBreakDuration = TimeSpan.FromTicks(Kakashi.Shared.ConfigurationLimits.MinBreakDurationTicks);
    public static readonly TimeSpan MaxBreakDuration = TimeSpan.FromTicks(Kakashi.Shared.ConfigurationLimits.MaxBreakDurationTicks);

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> (parameter <paramref name="property"/>) unless <paramref name="min"/> &lt;= value &lt;= <paramref name="max"/>.</summary>
    public static void CheckDuration(string property, TimeSpan value, TimeSpan min, TimeSpan max, string? minName = null)
    {
        if (value >= min && value <= max) return;
        string from = minName is null ? Describe(min) : $"{minName} ({Describe(min)})";
        throw new ArgumentOutOfRangeException(property, value, $"{property} must be from {from} to {Describe(max)}.");
    }

    private static string Describe(TimeSpan value)
    {
        if (value == TimeSpan.Zero) return "0";
        if (value.TotalDays >= 1 && value.TotalDays == Math.Floor(value.TotalDays)) return value.TotalDays == 1 ? "1 day" : $"{value.TotalDays:0} days";
        if (value.TotalHours >= 1 && value.TotalHours == Math.Floor(value.TotalHours)) return value.TotalHours == 1 ? "1 hour" : $"{value.TotalHours:0} hours";
        if (value.TotalMinutes >= 1 && value.TotalMinutes == Math.Floor(value.TotalMinutes)) return $"{value.TotalMinutes:0} min";
        if (value.TotalSeconds >= 1 && value.TotalSeconds == Math.Floor(value.TotalSeconds)) return $"{value.TotalSeconds:0} s";
        return $"{value.TotalMilliseconds:0.###} ms";
    }
}
