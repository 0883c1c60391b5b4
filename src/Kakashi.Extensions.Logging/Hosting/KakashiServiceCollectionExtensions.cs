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

namespace Kakashi;

/// <summary>
/// Kakashi in a host: <c>services.AddKakashi()</c> registers the <see cref="AsyncPipeline"/> as a singleton owned by the
/// host, <see cref="IKakashiLoggerFactory"/> and <see cref="KakashiLogger{T}"/> for <c>[KakashiLog]</c> methods, and
/// <see cref="KakashiLoggerProvider"/> for <c>ILogger&lt;T&gt;</c>. The pipeline is built when the host starts (a bad
/// configuration fails the start, naming the key), its minimum levels follow configuration reloads, and it is flushed
/// when the host stops and closed when the host is disposed, so the host's last records are written.
/// </summary>
public static class KakashiServiceCollectionExtensions
{
    /// <summary>
    /// Adds Kakashi. The configuration is: the preset named by <c>Kakashi:Preset</c> (else <c>development</c> in the
    /// Development environment and <c>production</c> otherwise), then the <c>Kakashi</c> section of the host's
    /// configuration, then <paramref name="configure"/>. Calling it again adds further <paramref name="configure"/> callbacks.
    /// </summary>
    [RequiresUnreferencedCode("Binds the Kakashi configuration section by reflection.")]
    public static IServiceCollection AddKakashi(this IServiceCollection services, Action<AsyncPipelineConfig>? configure = null)
        => services.AddKakashiCore(preset: null, configure);

    /// <summary>Adds Kakashi starting from <paramref name="preset"/> (<see cref="KakashiLogging.Presets"/>) instead of the environment's.</summary>
    [RequiresUnreferencedCode("Binds the Kakashi configuration section by reflection.")]
    public static IServiceCollection AddKakashi(this IServiceCollection services, string preset, Action<AsyncPipelineConfig>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(preset);
        return services.AddKakashiCore(preset, configure);
    }

    [RequiresUnreferencedCode("Binds the Kakashi configuration section by reflection.")]
    private static IServiceCollection AddKakashiCore(this IServiceCollection services, string? preset, Action<AsyncPipelineConfig>? configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        var setup = services.FirstOrDefault(d => d.ServiceType == typeof(KakashiSetup))?.ImplementationInstance as KakashiSetup;
        if (setup is null)
        {
            setup = new KakashiSetup();
            services.AddSingleton(setup);
            services.TryAddSingleton(static sp => sp.GetRequiredService<KakashiSetup>().Build(sp));
            services.TryAddSingleton<IKakashiLoggerFactory, KakashiLoggerFactory>();
            services.TryAdd(ServiceDescriptor.Singleton(typeof(KakashiLogger<>), typeof(KakashiLogger<>)));
            services.TryAddEnumerable(ServiceDescriptor.Singleton<ILoggerProvider, KakashiLoggerProvider>(
                static sp => new KakashiLoggerProvider(sp.GetRequiredService<AsyncPipeline>())));
            // first among the hosted services, so it stops last: the records other services log while stopping are flushed
            services.Insert(0, ServiceDescriptor.Singleton<IHostedService, KakashiHostedService>());
            services.TryAddSingleton<IOptionsChangeTokenSource<KakashiLevels>>(static sp =>
                new ConfigurationChangeTokenSource<KakashiLevels>(sp.GetService<IConfiguration>() ?? new ConfigurationBuilder().Build()));
            services.TryAddSingleton<IConfigureOptions<KakashiLevels>, KakashiLevels.FromConfiguration>();
        }
        if (preset is not null) setup.Preset = preset;
        if (configure is not null) setup.Configure.Add(configure);
        return services;
    }
}

/// <summary>Kakashi for Microsoft.Extensions.Logging: <c>builder.Logging.AddKakashi()</c>.</summary>
public static class KakashiLoggingBuilderExtensions
{
    /// <summary>
    /// Adds the Kakashi provider (and the pipeline, with <see cref="KakashiServiceCollectionExtensions.AddKakashi(IServiceCollection, Action{AsyncPipelineConfig}?)"/>):
    /// configured by the <c>Kakashi</c> section of the configuration, then <paramref name="configure"/>.
    /// </summary>
    [RequiresUnreferencedCode("Binds the Kakashi configuration section by reflection.")]
    public static ILoggingBuilder AddKakashi(this ILoggingBuilder builder, Action<AsyncPipelineConfig>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.AddConfiguration();
        builder.Services.AddKakashi(configure);
        return builder;
    }

    /// <summary>Adds the Kakashi provider, starting from <paramref name="preset"/> (<c>production</c>, <c>development</c>, ...).</summary>
    [RequiresUnreferencedCode("Binds the Kakashi configuration section by reflection.")]
    public static ILoggingBuilder AddKakashi(this ILoggingBuilder builder, string preset, Action<AsyncPipelineConfig>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.AddConfiguration();
        builder.Services.AddKakashi(preset, configure);
        return builder;
    }
}

/// <summary>Category-bound Kakashi loggers from the host's pipeline, for <c>[KakashiLog]</c> methods (<see cref="KakashiLogger{T}"/> is the injectable form).</summary>
public interface IKakashiLoggerFactory
{
    /// <summary>The logger of <paramref name="category"/>.</summary>
    KakashiLogger CreateLogger(string category);

    /// <summary>The logger whose category is <typeparamref name="T"/>'s (as <c>ILogger&lt;T&gt;</c> names it).</summary>
    KakashiLogger CreateLogger<T>();
}
