using System;
using System.Collections.Generic;
using System.Reflection;
using System.Runtime.CompilerServices;
using Kakashi.Buffers;
using Microsoft.Extensions.Logging;

namespace Kakashi.Logging;

/// <summary>
/// The <see cref="ILogger"/> of one category: a call is checked against the category's level (MEL's filter rules ran
/// before it), its state's key/value pairs are read once (no boxing of the state: a struct state is read through a
/// constrained generic call), its template is found in <see cref="RuntimeTemplates"/>, and the values are written into
/// the calling thread's ring like a generated method's arguments. A call never throws: a failure is counted as a logging
/// error.
/// </summary>
internal sealed class MelLogger(KakashiLogger logger) : ILogger
{
    internal const string OriginalFormat = "{OriginalFormat}";

    [ThreadStatic] private static object?[]? t_values;

    public KakashiLogger Logger { get; } = logger;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None && Logger.IsEnabled(logLevel);

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => MelScope.Begin(state);

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (logLevel == LogLevel.None || !Logger.IsEnabled(logLevel)) return;
        try
        {
            StateWriter<TState>.Write(this, logLevel, eventId, ref state, exception, formatter);
        }
        catch (Exception e)
        {
            Logger.OnLoggingError(e); // a user ToString, a formatter: counted and reported, never rethrown
        }
    }

    internal static object?[] Values(int count)
    {
        var values = t_values;
        if (values is null || values.Length < count) values = t_values = new object?[Math.Max(16, count)];
        return values;
    }

    /// <summary>A state that is a list of key/value pairs (FormattedLogValues, LoggerMessage's, a user's).</summary>
    internal void WriteList<TList>(LogLevel level, EventId eventId, ref TList state, Exception? exception, Func<TList, Exception?, string> formatter)
        where TList : IReadOnlyList<KeyValuePair<string, object?>>
    {
        int count = state.Count;
        string? format = null;
        int n = count;
        if (count > 0)
        {
            var last = state[count - 1];
            if (string.Equals(last.Key, OriginalFormat, StringComparison.Ordinal) && last.Value is string text)
            {
                format = text;
                n = count - 1;
            }
        }
        var values = Values(n);
        for (int i = 0; i < n; i++) values[i] = state[i].Value;
        var span = values.AsSpan(0, n);
        bool literal = format is null;
        // a list without a template (a user's own state): its text is the message, its pairs the properties
        format ??= formatter(state, exception) ?? "";
        var variant = RuntimeTemplates.Find(format)?.Find(eventId.Id, eventId.Name, span, exception is not null);
        if (variant is null)
        {
            var names = new string[n];
            for (int i = 0; i < n; i++) names[i] = state[i].Key ?? "";
            variant = RuntimeTemplates.Add(format, literal, eventId, names, span, exception is not null);
        }
        if (variant.IsOverflow)
        {
            WriteOverflow(level, formatter(state, exception));
            span.Clear();
            return;
        }
        Write(level, variant, span, exception);
        span.Clear(); // the scratch must not keep a caller's objects alive
    }

    /// <summary>
    /// A struct list (<c>[LoggerMessage]</c>'s LogValues or generated struct): its values are copied from its fields by
    /// <see cref="StructState{TState}"/>, unboxed; a state that does not map is read through its indexer.
    /// </summary>
    [System.Diagnostics.CodeAnalysis.UnconditionalSuppressMessage("AOT", "IL3050", Justification = "StructState is used only where dynamic code is supported (it checks)")]
    [System.Diagnostics.CodeAnalysis.UnconditionalSuppressMessage("Trimming", "IL2026", Justification = "the state's fields are those the logging call itself uses")]
    internal void WriteStruct<TList>(LogLevel level, EventId eventId, ref TList state, Exception? exception, Func<TList, Exception?, string> formatter)
        where TList : struct, IReadOnlyList<KeyValuePair<string, object?>>
    {
        if (StructState<TList>.Unsupported)
        {
            WriteList(level, eventId, ref state, exception, formatter);
            return;
        }
        int count = state.Count;
        string? format = null;
        if (count > 0)
        {
            var last = state[count - 1];
            if (string.Equals(last.Key, OriginalFormat, StringComparison.Ordinal)) format = last.Value as string;
        }
        if (format is null)
        {
            WriteList(level, eventId, ref state, exception, formatter);
            return;
        }
        var variant = RuntimeTemplates.Find(format)?.FindTyped(eventId.Id, eventId.Name, typeof(TList), exception is not null);
        var layout = StructState<TList>.Current;
        if (variant is null || layout is null)
        {
            layout = StructState<TList>.Get(state, count - 1); // boxes the state once, on a miss
            if (layout is null)
            {
                WriteList(level, eventId, ref state, exception, formatter);
                return;
            }
            var names = new string[count - 1];
            for (int i = 0; i < names.Length; i++) names[i] = state[i].Key ?? "";
            variant = RuntimeTemplates.AddTyped(format, eventId, names, layout.Types, typeof(TList), exception is not null);
            if (variant.IsOverflow)
            {
                WriteOverflow(level, formatter(state, exception));
                return;
            }
        }
        var writer = Logger.BeginRecord(variant.Template, level, layout.Size(ref state));
        if (!writer.IsActive) return;
        layout.Write(ref state, ref writer);
        if (exception is not null) writer.WriteException(exception);
        writer.Commit();
    }

    /// <summary>A state that is not a list (a string, an object): its text is the message.</summary>
    internal void WriteText<TState>(LogLevel level, EventId eventId, ref TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        string message = formatter(state, exception) ?? "";
        var variant = RuntimeTemplates.Find(message)?.Find(eventId.Id, eventId.Name, default, exception is not null)
            ?? RuntimeTemplates.Add(message, literal: true, eventId, default, default, exception is not null);
        if (variant.IsOverflow)
        {
            WriteOverflow(level, message);
            return;
        }
        Write(level, variant, default, exception);
    }

    private void Write(LogLevel level, RuntimeTemplates.Variant variant, Span<object?> values, Exception? exception)
    {
        var wire = variant.Wire;
        var encoders = variant.Encoders;
        var types = variant.Types;
        long size = 0;
        for (int i = 0; i < values.Length; i++)
        {
            if (wire[i] == Templates.ArgType.String && types[i] is { } type && type != typeof(string))
                values[i] = ArgText.Format(values[i], variant.HoleFormats[i]); // MEL's text of the value, made here as MEL makes it
            size += ValueEncoding.SizeOf(wire[i], values[i], encoders[i]);
        }
        var writer = Logger.BeginRecord(variant.Template, level, size);
        if (!writer.IsActive) return;
        for (int i = 0; i < values.Length; i++) ValueEncoding.Write(ref writer, wire[i], values[i], encoders[i]);
        if (exception is not null) writer.WriteException(exception);
        writer.Commit();
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void WriteOverflow(LogLevel level, string message)
    {
        var writer = Logger.BeginRecord(RuntimeTemplates.Overflow.Template, level, RecordWriter.SizeOf(message));
        if (!writer.IsActive) return;
        writer.WriteString(message);
        writer.Commit();
    }
}

/// <summary>
/// Picks, once per state type, how its calls are written: a key/value list through <see cref="MelLogger.WriteList{TList}"/>
/// (a generic method constrained on the list type, so a struct state is never boxed), anything else as text.
/// </summary>
internal static class StateWriter<TState>
{
    internal delegate void WriteState(MelLogger logger, LogLevel level, EventId eventId, ref TState state, Exception? exception, Func<TState, Exception?, string> formatter);

    public static readonly WriteState Write = Create();

    [System.Diagnostics.CodeAnalysis.UnconditionalSuppressMessage("AOT", "IL3050", Justification = "a state type's instantiation of WriteList exists wherever MEL calls Log<TState> with it")]
    [System.Diagnostics.CodeAnalysis.UnconditionalSuppressMessage("Trimming", "IL2060", Justification = "WriteList is kept: it is referenced by name below")]
    private static WriteState Create()
    {
        if (typeof(IReadOnlyList<KeyValuePair<string, object?>>).IsAssignableFrom(typeof(TState)))
        {
            // MEL's own FormattedLogValues holds its values boxed already: its indexer is the cheapest read
            bool fields = typeof(TState).IsValueType && typeof(TState).FullName != "Microsoft.Extensions.Logging.FormattedLogValues"
                && System.Runtime.CompilerServices.RuntimeFeature.IsDynamicCodeSupported;
            var method = typeof(MelLogger).GetMethod(fields ? nameof(MelLogger.WriteStruct) : nameof(MelLogger.WriteList), BindingFlags.Instance | BindingFlags.NonPublic)!.MakeGenericMethod(typeof(TState));
            return method.CreateDelegate<WriteState>();
        }
        return static (MelLogger logger, LogLevel level, EventId eventId, ref TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            => logger.WriteText(level, eventId, ref state, exception, formatter);
    }
}
