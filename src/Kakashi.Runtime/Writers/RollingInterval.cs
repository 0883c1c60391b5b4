namespace Kakashi;

/// <summary>
/// How often an <see cref="AsyncFileWriter"/> starts a new file (Serilog.Sinks.File's values and file names). The period
/// is part of the file name: <c>logs/app.log</c> becomes <c>logs/app20261201.log</c> with <see cref="Day"/>.
/// </summary>
public enum RollingInterval
{
    /// <summary>One file for ever (default): the path as configured, unless <see cref="AsyncFileWriter.RollOnFileSizeLimit"/> rolls it.</summary>
    Infinite,
    /// <summary>A file per year: <c>app2026.log</c>.</summary>
    Year,
    /// <summary>A file per month: <c>app202612.log</c>.</summary>
    Month,
    /// <summary>A file per day: <c>app20261201.log</c>.</summary>
    Day,
    /// <summary>A file per hour: <c>app2026120113.log</c>.</summary>
    Hour,
    /// <summary>A file per minute: <c>app202612011305.log</c>.</summary>
    Minute,
}
