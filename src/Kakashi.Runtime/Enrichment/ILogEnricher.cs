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
    None = 0,
    /// <summary>The current <see cref="LogScope"/> chain.</summary>
    Scope = 1,
    /// <summary><see cref="System.Diagnostics.Activity.Current"/> (its TraceId and SpanId are read on the drain).</summary>
    Activity = 2,
}

/// <summary>Collects a record's properties as UTF-8 name/value pairs (drain thread; reused, no allocation per record).</summary>
public ref struct PropertyWriter
{
    private readonly ArrayBufferWriter<byte> _buffer;
    private int _count;

    internal PropertyWriter(ArrayBufferWriter<byte> buffer)
    {
        _buffer = buffer;
        _count = 0;
    }

    /// <summary>Properties added so far.</summary>
    public readonly int Count => _count;

    /// <summary>Appends <paramref name="count"/> properties already rendered by a <see cref="PropertyWriter"/> (constant enrichers).</summary>
    internal void AddRendered(scoped ReadOnlySpan<byte> rendered, int count)
    {
        if (count == 0) return;
        Separator();
        _buffer.Write(rendered);
        _count += count;
    }

    /// <summary>Adds a property whose name and value are already UTF-8 (pre-encode constant ones once).</summary>
    public void Add(scoped ReadOnlySpan<byte> name, scoped ReadOnlySpan<byte> value)
    {
        Separator();
        WriteName(name);
        _buffer.Write("="u8);
        WriteValue(value);
        _count++;
    }

    /// <summary>Adds a property from text.</summary>
    public void Add(scoped ReadOnlySpan<byte> name, scoped ReadOnlySpan<char> value)
    {
        if (value.Length <= 128)
        {
            Span<byte> small = stackalloc byte[value.Length * 3];
            Add(name, small[..Encoding.UTF8.GetBytes(value, small)]);
            return;
        }
        // a long value: a scratch buffer kept by the (drain) thread, grown once, so nothing is allocated per record
        int max = Encoding.UTF8.GetMaxByteCount(value.Length);
        var scratch = t_scratch is { } kept && kept.Length >= max ? kept : t_scratch = new byte[Math.Max(max, 1024)];
        Add(name, scratch.AsSpan(0, Encoding.UTF8.GetBytes(value, scratch)));
    }

    [ThreadStatic] private static byte[]? t_scratch;

    /// <summary>Adds a property with a formattable value (numbers, ids) written without allocating.</summary>
    public void Add<T>(scoped ReadOnlySpan<byte> name, T value) where T : IUtf8SpanFormattable
    {
        Span<byte> scratch = stackalloc byte[128];
        if (value.TryFormat(scratch, out int n, default, System.Globalization.CultureInfo.InvariantCulture)) Add(name, scratch[..n]);
    }

    /// <summary>A name is a logfmt key: spaces, quotes, equals signs and control bytes become '_' (a name can never forge a line or a pair).</summary>
    private readonly void WriteName(scoped ReadOnlySpan<byte> name)
    {
        if (name.IndexOfAny(" \"="u8) < 0 && name.IndexOfAnyInRange((byte)0, (byte)31) < 0 && name.IndexOf((byte)127) < 0)
        {
            _buffer.Write(name);
            return;
        }
        var dest = _buffer.GetSpan(name.Length);
        for (int i = 0; i < name.Length; i++)
        {
            byte b = name[i];
            dest[i] = b is (byte)' ' or (byte)'"' or (byte)'=' or < 32 or 127 ? (byte)'_' : b;
        }
        _buffer.Advance(name.Length);
    }

    private readonly void Separator()
    {
        if (_count > 0) _buffer.Write(" "u8);
    }

    private readonly void WriteValue(scoped ReadOnlySpan<byte> value)
    {
        // logfmt: quote values with spaces, quotes or equals signs; escape quotes and backslashes
        bool quote = value.IsEmpty || value.IndexOfAny(" \"=\\"u8) >= 0 || value.IndexOfAnyInRange((byte)0, (byte)31) >= 0;
        if (!quote)
        {
            _buffer.Write(value);
            return;
        }
        _buffer.Write("\""u8);
        foreach (byte b in value)
        {
            switch (b)
            {
                case (byte)'"': _buffer.Write("\\\""u8); break;
                case (byte)'\\': _buffer.Write("\\\\"u8); break;
                case (byte)'\n': _buffer.Write("\\n"u8); break;
                case (byte)'\r': _buffer.Write("\\r"u8); break;
                case (byte)'\t': _buffer.Write("\\t"u8); break;
                default:
                    if (b < 32) _buffer.Write(" "u8);
                    else _buffer.GetSpan(1)[0] = b;
                    if (b >= 32) _buffer.Advance(1);
                    break;
            }
        }
        _buffer.Write("\""u8);
    }
}
