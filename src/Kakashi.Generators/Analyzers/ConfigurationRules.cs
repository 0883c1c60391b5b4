using Kakashi.Shared;
using L = Kakashi.Shared.ConfigurationLimits;
using System.Collections.Generic;

namespace Kakashi.Generators.Analyzers;

/// <summary>What a configuration property accepts: the ranges the runtime validates at setup, so the analyzer agrees with it.</summary>
internal sealed class PropertyRule
{
    public PropertyRule(string type, string property) { Type = type; Property = property; }

    public string Type { get; }
    public string Property { get; }
    /// <summary>Numbers: inclusive bounds.</summary>
    public long? Min { get; init; }
    public long? Max { get; init; }
    public bool PowerOfTwo { get; init; }
    /// <summary>TimeSpans: the smallest accepted value in ticks, exclusive when <see cref="MinTicksExclusive"/>.</summary>
    public long? MinTicks { get; init; }
    public bool MinTicksExclusive { get; init; }
    /// <summary>TimeSpans: the largest accepted value in ticks (inclusive).</summary>
    public long? MaxTicks { get; init; }
    /// <summary>TimeSpans: above this (ticks) the value is accepted but almost certainly a mistake (a warning).</summary>
    public long? WarnAboveTicks { get; init; }
    /// <summary>Only checked when another property of the same initializer has this constant value (name, value).</summary>
    public (string Property, long Value)? OnlyWhen { get; init; }

    public bool IsInterval => MinTicks is not null || MaxTicks is not null || WarnAboveTicks is not null;

    /// <summary>How the accepted values read in a message.</summary>
    public string Describe()
    {
        if (IsInterval)
        {
            string low = MinTicks is null ? "" : MinTicksExclusive && MinTicks == 0 ? "greater than zero" : MinTicks == 0 ? "zero or more" : "at least " + Format.Ticks(MinTicks.Value);
            string high = MaxTicks is null ? "" : "at most " + Format.Ticks(MaxTicks.Value);
            return low.Length > 0 && high.Length > 0 ? low + " and " + high : low + high;
        }
        string range = Min is not null && Max is not null ? $"from {Min} to {Max}" : Min is not null ? $"at least {Min}" : $"at most {Max}";
        return PowerOfTwo ? "a power of two " + range : range;
    }
}

/// <summary>
/// The configuration the analyzers check, by metadata name. Ranges mirror the runtime's validation
/// (<c>AsyncPipelineConfig.Validate</c>, <c>BackpressureConfig.Resolve</c>, <c>AsyncFileWriter.Open</c>,
/// <c>LogWriter.ValidateStage</c>, <c>RetryOptions.Validate</c>, <c>CircuitBreakerOptions.Validate</c>). A rule whose type or
/// property does not exist in the compilation is ignored, so rules can be written before their type lands.
/// </summary>
internal static class ConfigurationRules
{
    // the ranges themselves live in src/Shared/ConfigurationLimits.cs, compiled into the runtime too
    public const long MinBufferSize = L.MinBufferSize;
    public const long MaxBufferSize = L.MaxBufferSize;
    public const long DefaultBufferSize = L.DefaultBufferSize;
    public const long LargeFlushIntervalTicks = L.LargeFlushIntervalTicks;

    public static readonly PropertyRule[] Properties =
    {
        new(KnownTypes.AsyncPipelineConfig, "BufferSize") { PowerOfTwo = true, Min = MinBufferSize, Max = MaxBufferSize },
        new(KnownTypes.AsyncPipelineConfig, "ObjectSlots") { PowerOfTwo = true, Min = L.MinObjectSlots, Max = L.MaxObjectSlots },
        new(KnownTypes.AsyncPipelineConfig, "MaxBatchRecords") { Min = L.MinBatchRecords },
        new(KnownTypes.AsyncPipelineConfig, "MinLevel") { Min = 0, Max = 6 },
        new(KnownTypes.AsyncPipelineConfig, "ShutdownTimeout") { MinTicks = 0, MinTicksExclusive = true, MaxTicks = L.MaxIntervalTicks },
        new(KnownTypes.AsyncPipelineConfig, "FlushInterval") { MinTicks = 0, MinTicksExclusive = true, MaxTicks = L.MaxIntervalTicks, WarnAboveTicks = LargeFlushIntervalTicks },
        new(KnownTypes.BackpressureConfig, "BufferSize") { PowerOfTwo = true, Min = MinBufferSize, Max = MaxBufferSize },
        new(KnownTypes.BackpressureConfig, "WarningThreshold") { Min = 1 },
        new(KnownTypes.BackpressureConfig, "DropThreshold") { Min = 1 },
        new(KnownTypes.LogWriter, "QueueLimit") { Min = L.MinQueueLimit },
        new(KnownTypes.LogWriter, "WriteTimeout") { MinTicks = 0, MinTicksExclusive = true, MaxTicks = L.MaxIntervalTicks },
        new(KnownTypes.AsyncFileWriter, "BatchSize") { Min = L.MinFileBatchSize, Max = L.MaxFileBatchSize },
        new(KnownTypes.AsyncFileWriter, "FlushInterval") { MinTicks = 0, MinTicksExclusive = true, WarnAboveTicks = LargeFlushIntervalTicks },
        new(KnownTypes.AsyncFileWriter, "FileSizeLimitBytes") { Min = L.MinFileSizeLimit },
        new(KnownTypes.AsyncFileWriter, "RetainedFileCountLimit") { Min = 1 },
        new(KnownTypes.AsyncFileWriter, "RetainedFileTimeLimit") { MinTicks = 0, MinTicksExclusive = true },
        new(KnownTypes.AsyncFileWriter, "FsyncInterval") { MinTicks = 0, MinTicksExclusive = true, OnlyWhen = ("Fsync", 2) }, // FsyncPolicy.Interval
        new(KnownTypes.RetryOptions, "MaxRetries") { Min = 0, Max = L.MaxRetries },
        new(KnownTypes.RetryOptions, "InitialDelay") { MinTicks = 0 },
        new(KnownTypes.CircuitBreakerOptions, "FailureThreshold") { Min = L.MinFailureThreshold, Max = L.MaxFailureThreshold },
        new(KnownTypes.CircuitBreakerOptions, "BreakDuration") { MinTicks = L.MinBreakDurationTicks, MaxTicks = L.MaxBreakDurationTicks },
        new(KnownTypes.CircuitBreakerOptions, "SamplingWindow") { MinTicks = L.MinBreakDurationTicks, MaxTicks = L.MaxBreakDurationTicks },
    };

    /// <summary>Types whose object creations get the cross-property checks (thresholds, limits, batch sizes, endpoints).</summary>
    public static readonly string[] CheckedTypes =
    {
        KnownTypes.AsyncPipelineConfig, KnownTypes.BackpressureConfig, KnownTypes.LogWriter, KnownTypes.RetryOptions, KnownTypes.CircuitBreakerOptions,
    };

    /// <summary>Names of the constructor parameters and properties of network writers that hold the endpoint.</summary>
    public static readonly string[] EndpointNames = { "endpoint", "url", "uri", "address" };

    /// <summary>The presets of <c>KakashiLogging.Setup(string preset, ...)</c>.</summary>
    public static readonly string[] Presets = Kakashi.Shared.ConfigurationLimits.Presets;

    public static Dictionary<string, List<PropertyRule>> ByType()
    {
        var byType = new Dictionary<string, List<PropertyRule>>(System.StringComparer.Ordinal);
        foreach (var rule in Properties)
        {
            if (!byType.TryGetValue(rule.Type, out var list)) byType.Add(rule.Type, list = new List<PropertyRule>());
            list.Add(rule);
        }
        return byType;
    }
}

internal static class Format
{
    public const long TicksPerMillisecond = L.TicksPerMillisecond;
    public const long TicksPerSecond = L.TicksPerSecond;

    public static string Ticks(long ticks)
    {
        if (ticks == 0) return "0";
        if (ticks % (3600 * TicksPerSecond) == 0) return (ticks / (3600 * TicksPerSecond)).ToString(System.Globalization.CultureInfo.InvariantCulture) + " h";
        if (ticks % (60 * TicksPerSecond) == 0) return (ticks / (60 * TicksPerSecond)).ToString(System.Globalization.CultureInfo.InvariantCulture) + " min";
        if (ticks % TicksPerSecond == 0) return (ticks / TicksPerSecond).ToString(System.Globalization.CultureInfo.InvariantCulture) + " s";
        if (ticks % TicksPerMillisecond == 0) return (ticks / TicksPerMillisecond).ToString(System.Globalization.CultureInfo.InvariantCulture) + " ms";
        return ticks.ToString(System.Globalization.CultureInfo.InvariantCulture) + " ticks";
    }
}
