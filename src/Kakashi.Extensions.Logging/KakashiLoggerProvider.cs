using System;
using System.Collections.Concurrent;
using Kakashi.Logging;
using Microsoft.Extensions.Logging;

namespace Kakashi;

/// <summary>
/// The Microsoft.Extensions.Logging provider: <c>ILogger&lt;T&gt;</c> calls (message templates, <c>[LoggerMessage]</c>
/// methods, per-call event ids, exceptions, scopes) go into the same <see cref="AsyncPipeline"/> as <c>[KakashiLog]</c>
/// methods, each value with its type. Use it through <c>builder.Logging.AddKakashi()</c>, or directly:
/// <c>LoggerFactory.Create(b =&gt; b.AddProvider(new KakashiLoggerProvider(pipeline)))</c>. The configuration alias is
/// <c>Kakashi</c> (<c>Logging:Kakashi:LogLevel</c> filters this provider only).
/// </summary>
[ProviderAlias("Kakashi")]
public sealed class KakashiLoggerProvider : ILoggerProvider
{
    private readonly ConcurrentDictionary<string, MelLogger> _loggers = new(StringComparer.Ordinal);
    private readonly bool _ownsPipeline;

    /// <summary>A provider writing into <paramref name="pipeline"/>. Disposing the provider leaves the pipeline open.</summary>
    public KakashiLoggerProvider(AsyncPipeline pipeline)
        : this(pipeline, ownsPipeline: false)
    {
    }

    /// <summary>A provider writing into <paramref name="pipeline"/>; with <paramref name="ownsPipeline"/>, disposing the provider disposes it (flushing every record).</summary>
    public KakashiLoggerProvider(AsyncPipeline pipeline, bool ownsPipeline)
    {
        ArgumentNullException.ThrowIfNull(pipeline);
        Pipeline = pipeline;
        _ownsPipeline = ownsPipeline;
    }

    /// <summary>The pipeline the provider's loggers write to.</summary>
    public AsyncPipeline Pipeline { get; }

    /// <summary>Message templates parsed at run time and cached, process-wide (the cache holds at most <see cref="MaxTemplates"/>).</summary>
    public static int TemplateCount => RuntimeTemplates.Count;

    /// <summary>The most message templates the provider caches (and registers), process-wide.</summary>
    public const int MaxTemplates = RuntimeTemplates.Capacity;

    /// <summary>
    /// Calls logged while the template cache was full (message templates built from user data, such as interpolated
    /// strings, fill it): their message is rendered on the calling thread and written as one string, without its values
    /// as properties.
    /// </summary>
    public static long TemplateCacheOverflows => RuntimeTemplates.Overflows;

    /// <inheritdoc />
    public ILogger CreateLogger(string categoryName)
    {
        ArgumentNullException.ThrowIfNull(categoryName);
        return _loggers.GetOrAdd(categoryName, static (name, pipeline) => new MelLogger(pipeline.CreateLogger(name)), Pipeline);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_ownsPipeline) Pipeline.Dispose();
    }
}
