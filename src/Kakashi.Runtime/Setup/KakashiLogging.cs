using System;
using System.Collections.Generic;
using System.IO;
using System.Threading;
using Microsoft.Extensions.Logging;

namespace Kakashi;

/// <summary>
/// The one-line start: <c>KakashiLogging.Setup("production")</c> builds a ready pipeline from a preset, makes it the default
/// (<see cref="CreateLogger(string)"/>) and returns it. Presets (names match without regard to case, so ASP.NET Core's
/// <c>builder.Environment.EnvironmentName</c> can be passed as it is):
/// <list type="bullet">
/// <item><c>development</c>: colored console (plain when redirected or with <c>NO_COLOR</c>), Debug, text.</item>
/// <item><c>production</c>: JSON lines (<see cref="JsonFieldSet.Kakashi"/>) to a daily rolling file <c>logs/{app}.log</c>
/// (31 files kept, mode 0640), Information, a 4 MiB ring per thread (a burst of about 30,000 records per thread is taken
/// without waiting) with the block strategy (nothing is lost: a caller waits only while its ring is full; the web-server
/// preset sheds load instead), the console for Warning and above; machine and application properties.</item>
/// <item><c>web-server</c>: like production, tuned for many request threads: a 256 KiB ring per thread (about 2,000 records
/// of 128 bytes), flushed every 100 ms, a writer queue of about 10,000 records' worth (1.25 MiB), per-request ids from the
/// ambient <see cref="System.Diagnostics.Activity"/> (trace and span ids; ASP.NET Core starts one per request) and from
/// scopes, and a rate limit of 100 records a second per event (bursts of 200) that summarises what it suppressed.</item>
/// <item><c>analytics</c>: Debug, a 16 KiB ring per thread (about 100 records), flushed every 50 ms, context and session
/// properties (scopes, activity, thread), no filters, JSON to a rolling file, nothing dropped (the block strategy).</item>
/// <item><c>testing</c>: an <see cref="InMemoryWriter"/> (<see cref="Memory"/>) with <c>{Level:u3} {Category}: {Message}</c>
/// lines, Trace.</item>
/// </list>
/// <c>asyncLogging: false</c> builds a synchronous pipeline (<see cref="AsyncPipelineConfig.Synchronous"/>): each record is
/// written before the logging call returns. <c>configure</c> runs on the preset's configuration before the pipeline is built
/// (change the folder, add a writer, raise a level).
/// </summary>
public static class KakashiLogging
{
    private static AsyncPipeline? s_default;

    /// <summary>The preset names <see cref="Setup"/> knows (the preset analyzer, KAK059, checks the same list).</summary>
    public static IReadOnlyList<string> Presets => Kakashi.Shared.ConfigurationLimits.Presets;

    /// <summary>The pipeline the last <see cref="Setup"/> built, or null.</summary>
    public static AsyncPipeline? Default => Volatile.Read(ref s_default);

    /// <summary>The in-memory writer of the default pipeline when it was built from the <c>testing</c> preset, else null.</summary>
    public static InMemoryWriter? Memory
    {
        get
        {
            var pipeline = Default;
            if (pipeline is null) return null;
            foreach (var writer in pipeline.Config.Writers) if (writer is InMemoryWriter memory) return memory;
            return null;
        }
    }

    /// <summary>
    /// Builds the pipeline of preset <paramref name="environment"/>, makes it the default and returns it. A default built by an
    /// earlier call is shut down first (its records are flushed).
    /// </summary>
    /// <exception cref="ArgumentException">The preset is unknown (the message lists the known ones), or <paramref name="configure"/>
    /// left an invalid configuration (the message names the property).</exception>
    public static AsyncPipeline Setup(string environment, bool asyncLogging = true, Action<AsyncPipelineConfig>? configure = null)
    {
        var config = CreateConfig(environment, asyncLogging);
        configure?.Invoke(config);
        var pipeline = new AsyncPipeline(config);
        var previous = Interlocked.Exchange(ref s_default, pipeline);
        previous?.Dispose();
        return pipeline;
    }

    /// <summary>The configuration of preset <paramref name="environment"/>, to inspect or change before building a pipeline with it.</summary>
    /// <exception cref="ArgumentException">The preset is unknown; the message lists the known ones.</exception>
    public static AsyncPipelineConfig CreateConfig(string environment, bool asyncLogging = true)
    {
        ArgumentNullException.ThrowIfNull(environment);
        string preset = environment.Trim().ToLowerInvariant();
        var config = preset switch
        {
            "development" => Development(),
            "production" => Production(),
            "web-server" => WebServer(),
            "analytics" => Analytics(),
            "testing" => Testing(),
            _ => throw new ArgumentException(
                $"'{environment}' is not a Kakashi preset: use one of {string.Join(", ", Presets)} (any case).", nameof(environment)),
        };
        config.Name = preset;
        config.Synchronous = !asyncLogging;
        return config;
    }

    /// <summary>A logger of the default pipeline.</summary>
    /// <exception cref="InvalidOperationException"><see cref="Setup"/> has not been called.</exception>
    public static KakashiLogger CreateLogger(string category) => RequireDefault().CreateLogger(category);

    /// <summary>A logger of the default pipeline named after <typeparamref name="T"/>.</summary>
    public static KakashiLogger CreateLogger<T>() => RequireDefault().CreateLogger<T>();

    /// <summary>Flushes and closes the default pipeline (what process exit does on its own).</summary>
    public static void Shutdown() => Interlocked.Exchange(ref s_default, null)?.Dispose();

    private static AsyncPipeline RequireDefault()
        => Default ?? throw new InvalidOperationException("No default pipeline: call KakashiLogging.Setup(\"production\") (or another preset) first.");

    /// <summary>The folder the file presets write to, read when a preset is built. Default: <c>logs</c> under the current directory.</summary>
    public static string LogFolder
    {
        get => s_logFolder ?? Path.Combine(Environment.CurrentDirectory, "logs");
        set => s_logFolder = value is null ? null : Path.GetFullPath(value);
    }

    private static string? s_logFolder;

    private static string AppName()
    {
        string name = System.Reflection.Assembly.GetEntryAssembly()?.GetName().Name ?? "app";
        foreach (char c in Path.GetInvalidFileNameChars()) name = name.Replace(c, '_');
        return name;
    }

    private const string ConsoleTemplate = "{Timestamp:HH:mm:ss.fff} {Level:u3} {Category}: {Message}{NewLine}{Exception}";

    private static AsyncPipelineConfig Development() => new()
    {
        MinLevel = LogLevel.Debug,
        Formatter = new TextFormatter(ConsoleTemplate),
        Writers = [new ConsoleWriter()],
    };

    private static AsyncPipelineConfig Production() => new()
    {
        MinLevel = LogLevel.Information,
        Formatter = new JsonFormatter(),
        BufferSize = 4 * 1024 * 1024,
        Backpressure = new BackpressureConfig { DropStrategy = DropStrategy.Block },
        Enrichers = [new MachineNameEnricher(), new ApplicationEnricher()],
        Writers = DailyFileAndConsole(),
        CategoryLevels = QuietFrameworks(),
    };

    private static AsyncPipelineConfig WebServer() => new()
    {
        MinLevel = LogLevel.Information,
        Formatter = new JsonFormatter(),
        BufferSize = 256 * 1024,
        FlushInterval = TimeSpan.FromMilliseconds(100),
        BackpressureLimit = 10_000 * 128,
        Backpressure = new BackpressureConfig { DropStrategy = DropStrategy.Priority },
        Enrichers = [new ActivityEnricher(), new ScopeEnricher(), new MachineNameEnricher(), new ApplicationEnricher()],
        Filters = [new RateLimitFilter(permitsPerSecond: 100, burst: 200, key: FilterKey.Event)],
        Writers = DailyFileAndConsole(),
        CategoryLevels = QuietFrameworks(),
    };

    private static AsyncPipelineConfig Analytics() => new()
    {
        MinLevel = LogLevel.Debug,
        Formatter = new JsonFormatter(),
        BufferSize = 16 * 1024,
        FlushInterval = TimeSpan.FromMilliseconds(50),
        Backpressure = new BackpressureConfig { DropStrategy = DropStrategy.Block },
        Enrichers = [new ScopeEnricher(), new ActivityEnricher(), new ThreadEnricher()],
        Writers = [RollingFile(AppName() + "-analytics", RollingInterval.Hour)],
    };

    private static AsyncPipelineConfig Testing() => new()
    {
        MinLevel = LogLevel.Trace,
        Formatter = new TextFormatter("{Level:u3} {Category}: {Message}{NewLine}{Exception}"),
        Writers = [new InMemoryWriter()],
        FlushOnProcessExit = false,
    };

    /// <summary>The production and web-server writers: JSON to a daily rolling file, Warning and above as text to the console.</summary>
    private static List<LogWriter> DailyFileAndConsole() =>
    [
        RollingFile(AppName(), RollingInterval.Day),
        new ConsoleWriter { MinLevel = LogLevel.Warning, Formatter = new TextFormatter(ConsoleTemplate) },
    ];

    /// <summary>The framework's own categories at Warning (what ASP.NET Core's templates set in appsettings.json).</summary>
    private static Dictionary<string, LogLevel> QuietFrameworks()
        => new(StringComparer.Ordinal) { ["Microsoft"] = LogLevel.Warning, ["System"] = LogLevel.Warning };

    private static AsyncFileWriter RollingFile(string name, RollingInterval interval) => new(Path.Combine(LogFolder, name + ".log"))
    {
        RollingInterval = interval,
        RetainedFileCountLimit = interval == RollingInterval.Day ? 31 : 24 * 7,
        UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead,
    };
}
