using System;
using System.Collections.Generic;
using System.Diagnostics.CodeAnalysis;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Kakashi.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Configuration;
using Microsoft.Extensions.Options;

namespace Kakashi.Hosting;

internal sealed class KakashiLoggerFactory(AsyncPipeline pipeline) : IKakashiLoggerFactory
{
    public KakashiLogger CreateLogger(string category) => pipeline.CreateLogger(category);

    public KakashiLogger CreateLogger<T>() => pipeline.CreateLogger(CategoryName.Of(typeof(T)));
}

/// <summary>What <c>AddKakashi</c> calls collected: the preset and the configure callbacks, applied when the pipeline is built.</summary>
internal sealed class KakashiSetup
{
    public string? Preset { get; set; }

    public List<Action<AsyncPipelineConfig>> Configure { get; } = [];

    /// <summary>The levels without configuration (the preset's): a level the configuration stops giving goes back to it.</summary>
    public LogLevel BaseMinLevel { get; private set; } = LogLevel.Information;

    public Dictionary<string, LogLevel> BaseCategoryLevels { get; private set; } = new(StringComparer.Ordinal);

    /// <summary>The levels the configuration gave when last applied (a reload that leaves them alone changes nothing).</summary>
    public (LogLevel? Min, Dictionary<string, LogLevel>? Categories) Configured { get; set; }

    [RequiresUnreferencedCode("Binds the Kakashi configuration section by reflection.")]
    public AsyncPipeline Build(IServiceProvider services)
    {
        var configuration = services.GetService<IConfiguration>();
        var section = configuration?.GetSection(KakashiConfiguration.SectionName);
        var environment = services.GetService<IHostEnvironment>();
        string preset = Preset ?? (environment?.IsDevelopment() == true ? "development" : "production");
        // the preset once: its levels are what a level the configuration stops giving goes back to; then the section's values on it
        var config = section is null ? KakashiLogging.CreateConfig(preset) : KakashiConfiguration.PresetOf(section, preset);
        BaseMinLevel = config.MinLevel;
        BaseCategoryLevels = new Dictionary<string, LogLevel>(config.CategoryLevels, StringComparer.Ordinal);
        if (section is not null) KakashiConfiguration.Bind(config, section);
        if (configuration is not null)
        {
            var (min, categories) = Configured = KakashiConfiguration.Levels(configuration);
            if (min is { } level) config.MinLevel = level;
            if (categories is not null) foreach (var (category, value) in categories) config.CategoryLevels[category] = value;
        }
        if (environment is not null && section?["Name"] is null) config.Name = environment.ApplicationName is { Length: > 0 } name ? name : config.Name;
        bool scopes = !string.Equals(section?["IncludeScopes"], "false", StringComparison.OrdinalIgnoreCase);
        foreach (var configure in Configure) configure(config);
        if (scopes && !config.Enrichers.Any(e => e is ScopeEnricher)) config.Enrichers.Add(new ScopeEnricher());
        // what a host's MEL adds to scopes by default (ActivityTrackingOptions TraceId, SpanId): the current activity's ids
        if (scopes && !config.Enrichers.Any(e => e is ActivityEnricher)) config.Enrichers.Add(new ActivityEnricher());
        return KakashiConfiguration.Build(config, KakashiConfiguration.SectionName);
    }
}

/// <summary>
/// Starts the pipeline with the host (so a bad configuration fails the start), applies level reloads, flushes at stop.
/// The container disposes the pipeline (a graceful shutdown: drain, flush, close) when the host is disposed.
/// </summary>
internal sealed class KakashiHostedService(AsyncPipeline pipeline, KakashiSetup setup, IOptionsMonitor<KakashiLevels> levels) : IHostedLifecycleService, IDisposable
{
    private readonly Lock _lock = new();
    private IDisposable? _reload;

    public Task StartingAsync(CancellationToken cancellationToken)
    {
        _reload = levels.OnChange(Apply);
        return Task.CompletedTask;
    }

    /// <summary>
    /// A configuration reload: when the levels it gives changed, the pipeline's become the preset's overlaid with them
    /// (levels set in code are replaced only by a reload that changes the configured levels).
    /// </summary>
    internal void Apply(KakashiLevels value)
    {
        if (value.Error is { } error) pipeline.OnLoggingError(error); // reported on the error channel; the levels in force stay
        if (!value.Configured) return;
        lock (_lock)
        {
            var (min, categories) = setup.Configured;
            if (value.MinLevel == min && SameLevels(value.CategoryLevels, categories)) return;
            var merged = new Dictionary<string, LogLevel>(setup.BaseCategoryLevels, StringComparer.Ordinal);
            if (value.CategoryLevels is { } configured) foreach (var (category, level) in configured) merged[category] = level;
            try
            {
                pipeline.SetLevels(value.MinLevel ?? setup.BaseMinLevel, merged);
                setup.Configured = (value.MinLevel, value.CategoryLevels);
            }
            catch (ArgumentException e)
            {
                pipeline.OnLoggingError(e); // a reload must not take the host down: reported, the previous levels stay
            }
        }
    }

    private static bool SameLevels(Dictionary<string, LogLevel>? a, Dictionary<string, LogLevel>? b)
    {
        if (a is null || b is null) return a is null && b is null;
        if (a.Count != b.Count) return false;
        foreach (var (key, level) in a) if (!b.TryGetValue(key, out var other) || other != level) return false;
        return true;
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>After every hosted service has stopped: what they logged while stopping is written before the host goes on.</summary>
    public Task StoppedAsync(CancellationToken cancellationToken) => pipeline.FlushAllAsync(cancellationToken);

    public void Dispose() => _reload?.Dispose();
}

/// <summary>The minimum levels configuration gives (what reloads live); bound from <c>Kakashi</c> and <c>Logging:LogLevel</c>.</summary>
internal sealed class KakashiLevels
{
    public bool Configured { get; set; }

    public LogLevel? MinLevel { get; set; }

    public Dictionary<string, LogLevel>? CategoryLevels { get; set; }

    /// <summary>Why the configuration's levels could not be read (a bad value in a reloaded file), else null.</summary>
    public KakashiConfigurationException? Error { get; set; }

    internal sealed class FromConfiguration(IServiceProvider services) : IConfigureOptions<KakashiLevels>
    {
        public void Configure(KakashiLevels options)
        {
            if (services.GetService<IConfiguration>() is not { } configuration) return;
            try
            {
                (options.MinLevel, options.CategoryLevels) = KakashiConfiguration.Levels(configuration);
                options.Configured = true;
            }
            catch (KakashiConfigurationException e)
            {
                options.Configured = false; // a bad level in a reloaded file: the levels in force stay (the start refused it already)
                options.Error = e;
            }
        }
    }
}
