using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
using System.Threading;
using Kakashi.Shared;
using Kakashi.Templates;
using Microsoft.Extensions.Logging;

namespace Kakashi.Logging;

/// <summary>
/// The templates of <c>ILogger</c> calls, parsed at run time once per message template, event id and argument types, and
/// registered in <see cref="TemplateRegistry.Shared"/> so the record travels (and decodes elsewhere) like a generated one.
/// Process-wide (templates are), bounded by <see cref="Capacity"/>: user-built strings cannot grow it without limit; past
/// it, calls use <see cref="Overflow"/> (the message rendered on the calling thread as one string) and are counted.
/// Lookups take no lock: an identity-hashed table finds literal templates (the usual case) by reference.
/// </summary>
internal static class RuntimeTemplates
{
    /// <summary>The most templates the provider registers (the registry never forgets one).</summary>
    public const int Capacity = 4096;

    private const int TableSize = 2048; // a power of two
    private static readonly Family?[] s_byReference = new Family?[TableSize];
    private static readonly ConcurrentDictionary<string, Family> s_byText = new(StringComparer.Ordinal);
    private static readonly Lock s_lock = new();
    private static int s_count;
    private static long s_overflows;

    /// <summary>Calls whose template was not cached because the cache was full.</summary>
    public static long Overflows => Interlocked.Read(ref s_overflows);

    /// <summary>Templates registered by the provider so far.</summary>
    public static int Count => Volatile.Read(ref s_count);

    /// <summary>The template for a message the cache had no room for: <c>{Message}</c>, the message rendered by MEL's formatter.</summary>
    public static Variant Overflow { get; } = new(
        TemplateRegistry.Shared.Register(new LogTemplate("ILogger", null, 0, "", "{Message}", [TemplateSegment.Hole("Message", 0)], [new TemplateArg("Message", ArgType.String)])),
        [typeof(string)], 0, null, false, isOverflow: true);

    /// <summary>
    /// Finds the family of <paramref name="format"/>: by reference first (a literal or static template is the same string
    /// at every call), then by text.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Family? Find(string format)
    {
        var family = Volatile.Read(ref s_byReference[RuntimeHelpers.GetHashCode(format) & (TableSize - 1)]);
        if (family is not null && ReferenceEquals(family.Format, format)) return family;
        return FindByText(format);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static Family? FindByText(string format)
    {
        if (!s_byText.TryGetValue(format, out var family)) return null;
        Volatile.Write(ref s_byReference[RuntimeHelpers.GetHashCode(format) & (TableSize - 1)], family.WithReference(format));
        return family;
    }

    /// <summary>
    /// Builds, registers and caches the variant of <paramref name="format"/> for these names and these values' types, or
    /// returns <see cref="Overflow"/> (counted) when the cache is full. <paramref name="literal"/>: the message is text, not a template.
    /// </summary>
    public static Variant Add(string format, bool literal, EventId eventId, ReadOnlySpan<string> names, ReadOnlySpan<object?> values, bool hasException)
    {
        var types = new Type?[values.Length];
        for (int i = 0; i < types.Length; i++) types[i] = values[i]?.GetType();
        return Add(format, literal, eventId, names, types, stateType: null, hasException);
    }

    /// <summary>
    /// The variant of <paramref name="format"/> for a struct state whose values are read from its fields
    /// (<see cref="StructState{TState}"/>): keyed by the state type, whose field types are the values' types.
    /// </summary>
    public static Variant AddTyped(string format, EventId eventId, ReadOnlySpan<string> names, Type[] types, Type stateType, bool hasException)
        => Add(format, literal: false, eventId, names, types, stateType, hasException);

    private static Variant Add(string format, bool literal, EventId eventId, ReadOnlySpan<string> names, Type?[] types, Type? stateType, bool hasException)
    {
        lock (s_lock)
        {
            var family = Find(format);
            if (family?.FindExact(eventId.Id, eventId.Name, types, stateType, hasException) is { } existing) return existing; // another thread added it
            if (s_count >= Capacity)
            {
                Interlocked.Increment(ref s_overflows);
                return Overflow;
            }
            var variant = Build(format, literal, eventId, names, types, hasException, stateType);
            TemplateRegistry.Shared.Register(variant.Template);
            s_count++;
            family = family is null ? new Family(format, [variant]) : family.With(variant);
            s_byText[format] = family;
            Volatile.Write(ref s_byReference[RuntimeHelpers.GetHashCode(format) & (TableSize - 1)], family);
            return variant;
        }
    }

    private static Variant Build(string format, bool literal, EventId eventId, ReadOnlySpan<string> names, Type?[] types, bool hasException, Type? stateType)
    {
        int count = types.Length;
        var args = new List<TemplateArg>(count + 1);
        var encoders = new EnumEncoder?[count];
        for (int i = 0; i < count; i++) args.Add(ValueEncoding.ArgFor(names[i], types[i], out encoders[i]));
        if (hasException) args.Add(new TemplateArg("Exception", ArgType.Exception));
        var segments = literal ? [TemplateSegment.Literal(format)] : Segments(format, count);
        var template = new LogTemplate("ILogger", null, eventId.Id, eventId.Name ?? "", format, segments, [.. args]);
        string?[] holeFormats = new string?[count];
        foreach (var segment in segments)
        {
            if (!segment.IsLiteral && holeFormats[segment.ArgIndex] is null) holeFormats[segment.ArgIndex] = segment.Format;
        }
        return new Variant(template, types, eventId.Id, eventId.Name, hasException, encoders: encoders, holeFormats: holeFormats) { StateType = stateType };
    }

    /// <summary>
    /// Microsoft.Extensions.Logging's binding: the n-th hole takes the n-th value, whatever its name (a name used twice takes
    /// two values). Holes without a value, and a template the parser refuses, stay as text, as MEL writes them.
    /// </summary>
    private static TemplateSegment[] Segments(string format, int values)
    {
        var parsed = TemplateParser.Parse(format);
        if (parsed.Error is not null) return [TemplateSegment.Literal(format)];
        var segments = new TemplateSegment[parsed.Segments.Count];
        int next = 0;
        for (int i = 0; i < segments.Length; i++)
        {
            if (parsed.Segments[i] is string text)
            {
                segments[i] = TemplateSegment.Literal(text);
                continue;
            }
            var hole = (TemplateParser.Hole)parsed.Segments[i];
            segments[i] = next < values
                ? TemplateSegment.Hole(hole.Name, next++, hole.Alignment, hole.Format)
                : TemplateSegment.Literal(format.Substring(hole.Start, hole.Length));
        }
        return segments;
    }

    /// <summary>Forgets the cache (tests only: the registry keeps the templates).</summary>
    internal static void ResetForTests()
    {
        lock (s_lock)
        {
            Array.Clear(s_byReference);
            s_byText.Clear();
            s_count = 0;
            Interlocked.Exchange(ref s_overflows, 0);
        }
    }

    /// <summary>The variants of one message template (usually one: the same event id and argument types at every call).</summary>
    internal sealed class Family(string format, Variant[] variants)
    {
        public string Format { get; } = format;

        public Variant[] Variants { get; } = variants;

        public Family With(Variant variant) => new(Format, [.. Variants, variant]);

        /// <summary>The same variants under another string instance of the same text.</summary>
        public Family WithReference(string format) => ReferenceEquals(format, Format) ? this : new(format, Variants);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Variant? Find(int eventId, string? eventName, ReadOnlySpan<object?> values, bool hasException)
        {
            foreach (var variant in Variants)
            {
                if (variant.StateType is null && variant.Matches(eventId, eventName, values, hasException)) return variant;
            }
            return null;
        }

        /// <summary>The variant built for exactly these types (under the cache's lock, before adding one).</summary>
        public Variant? FindExact(int eventId, string? eventName, Type?[] types, Type? stateType, bool hasException)
        {
            foreach (var variant in Variants)
            {
                if (variant.StateType == stateType && variant.EventId == eventId && variant.HasException == hasException
                    && string.Equals(eventName, variant.EventName, StringComparison.Ordinal) && variant.Types.AsSpan().SequenceEqual(types)) return variant;
            }
            return null;
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Variant? FindTyped(int eventId, string? eventName, Type stateType, bool hasException)
        {
            foreach (var variant in Variants)
            {
                if (variant.StateType == stateType && variant.EventId == eventId && variant.HasException == hasException
                    && (ReferenceEquals(eventName, variant.EventName) || string.Equals(eventName, variant.EventName, StringComparison.Ordinal))) return variant;
            }
            return null;
        }
    }

    /// <summary>One registered template and the argument types it was built for.</summary>
    internal sealed class Variant
    {
        public Variant(LogTemplate template, Type?[] types, int eventId, string? eventName, bool hasException,
            bool isOverflow = false, EnumEncoder?[]? encoders = null, string?[]? holeFormats = null)
        {
            Template = template;
            Types = types;
            EventId = eventId;
            EventName = eventName;
            HasException = hasException;
            IsOverflow = isOverflow;
            Encoders = encoders ?? new EnumEncoder?[types.Length];
            HoleFormats = holeFormats ?? new string?[types.Length];
            Wire = new ArgType[types.Length];
            for (int i = 0; i < types.Length; i++) Wire[i] = template.Args[i].Type;
        }

        public LogTemplate Template { get; }

        /// <summary>The runtime type of each value (null for a null value).</summary>
        public Type?[] Types { get; }

        /// <summary>How each value is written (a value written as text has <see cref="ArgType.String"/>).</summary>
        public ArgType[] Wire { get; }

        /// <summary>The writer of each enum value, else null.</summary>
        public EnumEncoder?[] Encoders { get; }

        /// <summary>The format of each value's first hole (text made on the calling thread uses it, as MEL does).</summary>
        public string?[] HoleFormats { get; }

        public int EventId { get; }

        public string? EventName { get; }

        public bool HasException { get; }

        public bool IsOverflow { get; }

        /// <summary>For a variant whose values are read from a struct state's fields: the state type; else null.</summary>
        public Type? StateType { get; init; }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public bool Matches(int eventId, string? eventName, ReadOnlySpan<object?> values, bool hasException)
        {
            var types = Types;
            if (eventId != EventId || hasException != HasException || values.Length != types.Length) return false;
            if (!ReferenceEquals(eventName, EventName) && !string.Equals(eventName, EventName, StringComparison.Ordinal)) return false;
            for (int i = 0; i < types.Length; i++)
            {
                if (values[i]?.GetType() != types[i]) return false;
            }
            return true;
        }
    }
}
