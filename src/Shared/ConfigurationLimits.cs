namespace Kakashi.Shared;

/// <summary>
/// The accepted ranges of the configuration, in one place: compiled into the runtime (which validates them at setup) and
/// into the analyzers (which report the same ranges at compile time), so the two can never disagree.
/// Durations are in ticks (100 ns), so this file needs nothing newer than netstandard2.0.
/// </summary>
internal static class ConfigurationLimits
{
    public const long TicksPerMillisecond = 10_000;
    public const long TicksPerSecond = 1000 * TicksPerMillisecond;
    public const long TicksPerHour = 3600 * TicksPerSecond;
    public const long TicksPerDay = 24 * TicksPerHour;

    /// <summary>
    /// The presets of <c>KakashiLogging.Setup(environment, ...)</c>, matched without regard to case: the runtime builds them
    /// and the preset analyzer (KAK059) checks names against this same list.
    /// </summary>
    public static readonly string[] Presets = { "production", "development", "web-server", "analytics", "testing" };

    public const int MinBufferSize = 4 * 1024;
    public const int MaxBufferSize = 1024 * 1024 * 1024;
    public const int DefaultBufferSize = 1024 * 1024;

    public const int MinObjectSlots = 16;
    public const int MaxObjectSlots = 1 << 20;

    public const int MinBatchRecords = 1;

    /// <summary>Smallest <c>LogWriter.QueueLimit</c>.</summary>
    public const long MinQueueLimit = 64 * 1024;

    /// <summary><c>AsyncFileWriter.BatchSize</c> range.</summary>
    public const int MinFileBatchSize = 4 * 1024;
    public const int MaxFileBatchSize = 64 * 1024 * 1024;

    /// <summary>Smallest <c>AsyncFileWriter.FileSizeLimitBytes</c>: 1 KiB.</summary>
    public const long MinFileSizeLimit = 1024;

    public const int MaxRetries = 100;
    public const int MinFailureThreshold = 2;
    public const int MaxFailureThreshold = 1_000_000;
    public const long MinBreakDurationTicks = 500 * TicksPerMillisecond;
    public const long MaxBreakDurationTicks = TicksPerDay;

    /// <summary>Smallest flush, fsync, write or shutdown interval: 1 ms.</summary>
    public const long MinIntervalTicks = TicksPerMillisecond;
    /// <summary>Largest flush interval, fsync interval, write timeout, shutdown timeout and retry delay: 1 hour.</summary>
    public const long MaxIntervalTicks = TicksPerHour;

    /// <summary>A flush interval above this is accepted but means records can sit unwritten for minutes (the analyzers warn).</summary>
    public const long LargeFlushIntervalTicks = 60 * TicksPerSecond;
}
