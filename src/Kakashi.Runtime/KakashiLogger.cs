using System;
using System.Runtime.CompilerServices;
using Kakashi.Buffers;
using Kakashi.Templates;
using Microsoft.Extensions.Logging;

namespace Kakashi;

/// <summary>
/// A category-bound handle to an <see cref="AsyncPipeline"/>. Generated <c>[KakashiLog]</c> methods use it to
/// check the level and to claim space in the calling thread's ring buffer. Create one with
/// <see cref="AsyncPipeline.CreateLogger(string)"/>; loggers are cheap, thread-safe and meant to be cached. The one
/// subclass is <see cref="KakashiLogger{T}"/> (for dependency injection); the class cannot be derived from elsewhere.
/// </summary>
public class KakashiLogger
{
    // The level check in generated code is a load of this field and a compare.
    internal int _minLevel;
    internal readonly AsyncPipeline _pipeline;
    internal readonly int _id;

    private protected KakashiLogger(AsyncPipeline pipeline, string category)
    {
        ArgumentNullException.ThrowIfNull(pipeline);
        _pipeline = pipeline;
        (CategoryInfo, var level) = pipeline.Attach(this, category);
        _id = CategoryInfo.Id;
        _minLevel = (int)level;
    }

    internal KakashiLogger(AsyncPipeline pipeline, LogCategory category, LogLevel minLevel)
    {
        _pipeline = pipeline;
        _id = category.Id;
        CategoryInfo = category;
        _minLevel = (int)minLevel;
    }

    /// <summary>The category written with each record of this logger (control characters in it are written escaped).</summary>
    public string Category => CategoryInfo.Name;

    /// <summary>The category as data: the id records carry and the name.</summary>
    public LogCategory CategoryInfo { get; }

    /// <summary>The pipeline this logger writes to.</summary>
    public AsyncPipeline Pipeline => _pipeline;

    /// <summary>The minimum level this logger records.</summary>
    public LogLevel MinLevel => (LogLevel)_minLevel;

    /// <summary>
    /// Begins an ambient property attached to every record logged inside it (on this thread and across awaits) when the
    /// pipeline has a <see cref="ScopeEnricher"/>. Dispose it to leave. The value is rendered now, once.
    /// </summary>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Performance", "CA1822", Justification = "logger.BeginScope(...) is the API users expect next to their log calls")]
    public LogScope BeginScope<T>(string name, T value) => LogScope.Begin(name, value);

    /// <summary>True when a record of <paramref name="level"/> would be recorded.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool IsEnabled(LogLevel level) => (int)level >= _minLevel;

    /// <summary>Level check used by generated code: false for a null logger, never throws.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool IsEnabled(KakashiLogger? logger, LogLevel level) => logger is not null && (int)level >= logger._minLevel;

    /// <summary>Called by generated code when writing a record threw (a user ToString, say): counted and reported, never rethrown.</summary>
    [System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)]
    public void OnLoggingError(System.Exception exception) => _pipeline.OnLoggingError(exception);

    /// <summary>
    /// Called by generated code: claims <paramref name="payloadSize"/> bytes (plus the record header) in the calling
    /// thread's ring buffer and writes the header. The returned writer is inactive when the pipeline no longer accepts records.
    /// </summary>
    [System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)]
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public RecordWriter BeginRecord(LogTemplate template, LogLevel level, long payloadSize)
        => _pipeline.BeginRecord(this, template, level, payloadSize);
}

/// <summary>
/// A <see cref="KakashiLogger"/> whose category is the full name of <typeparamref name="T"/> (generic arguments
/// included, as <c>ILogger&lt;T&gt;</c> names it), made to be injected: <c>services.AddKakashi()</c> registers it, and
/// <c>[KakashiLog]</c> methods taking <c>this KakashiLogger</c> take it as it is. Its level follows
/// <see cref="AsyncPipeline.SetLevels"/> like every logger of the pipeline.
/// </summary>
public sealed class KakashiLogger<T> : KakashiLogger
{
    /// <summary>A logger of <paramref name="pipeline"/> for the category of <typeparamref name="T"/>.</summary>
    public KakashiLogger(AsyncPipeline pipeline)
        : base(pipeline, CategoryName.Of(typeof(T)))
    {
    }
}

/// <summary>Category names as Microsoft.Extensions.Logging makes them for <c>ILogger&lt;T&gt;</c>.</summary>
internal static class CategoryName
{
    /// <summary>
    /// <c>Namespace.Outer.Inner</c>, without generic arguments (<c>Logger&lt;T&gt;</c> uses TypeNameHelper's display name
    /// with <c>includeGenericParameters: false</c> and '.' between nested types).
    /// </summary>
    public static string Of(Type type)
    {
        if (type.IsArray) return Of(type.GetElementType()!) + "[" + new string(',', type.GetArrayRank() - 1) + "]";
        string name = type.Name;
        int tick = name.IndexOf('`', StringComparison.Ordinal);
        if (tick >= 0) name = name[..tick];
        if (type.IsNested && !type.IsGenericParameter) return Of(type.DeclaringType!) + "." + name;
        return string.IsNullOrEmpty(type.Namespace) || type.IsGenericParameter ? name : type.Namespace + "." + name;
    }
}
