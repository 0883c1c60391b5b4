using System;
using System.Buffers;
using System.Text;

namespace Kakashi;

/// <summary>
/// Adds properties to records on the drain thread (process-wide values: machine name, process id, application,
/// static properties; or anything derived from the record). Properties appear in text through the
/// <c>{Properties}</c> token and in every structured output. Implementations must not keep the record.
/// </summary>
public interface ILogEnricher
{
    /// <summary>Adds this enricher's properties to <paramref name="record"/> through <paramref name="properties"/>. Called on the drain thread, once per record: keep it cheap.</summary>
    void Enrich(in LogRecord record, ref PropertyWriter properties);
}

/// <summary>
/// Marks an enricher whose properties are the same for every record (machine, process, application, fixed properties): the
/// pipeline renders them once when it is built and copies the bytes into each record, instead of calling it per record.
/// Its <see cref="ILogEnricher.Enrich"/> must not read the record.
/// </summary>
public interface IConstantEnricher : ILogEnricher
{
}

/// <summary>
/// Marks the enrichers whose values come from the calling thread (<see cref="ScopeEnricher"/>, <see cref="ActivityEnricher"/>):
/// the pipeline captures what they need in the logging call, without allocating, only when one is configured.
/// </summary>
public interface ICallerContextEnricher : ILogEnricher
{
    /// <summary>What the logging call must capture.</summary>
    CallerContext Captures { get; }
}

/// <summary>Caller context a logging call can capture (flags).</summary>
[Flags]
public enum CallerContext
{
    /// <summary>Nothing.</summary>
    None = 0,
    /// <summary>The current <see cref="LogScope"/> chain.</summary>
    Scope = 1,
    /// <summary><see cref="System.Diagnostics.Activity.Current"/> (its TraceId and SpanId are read on the drain).</summary>
    Activity = 2,
}

