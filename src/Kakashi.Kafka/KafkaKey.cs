using System;
using System.Text;

namespace Kakashi;

/// <summary>
/// What an <see cref="AsyncKafkaWriter"/> uses as each message's key. The key picks the partition (the default
/// partitioner hashes it, so records with the same key stay in order on one partition) and is what log compaction keeps
/// per. <see cref="None"/> (the default) sends no key: librdkafka spreads records over the partitions.
/// </summary>
public sealed class KafkaKey
{
    internal enum KeyKind : byte
    {
        None,
        Category,
        EventId,
        EventName,
        Property,
    }

    private KafkaKey(KeyKind kind, string? name)
    {
        Kind = kind;
        PropertyName = name;
        PropertyNameUtf8 = name is null ? [] : Encoding.UTF8.GetBytes(name);
    }

    /// <summary>No key (a null key): records spread over the partitions, no order between them.</summary>
    public static KafkaKey None { get; } = new(KeyKind.None, null);

    /// <summary>The record's category (logger name), UTF-8: a category's records stay in order on one partition.</summary>
    public static KafkaKey Category { get; } = new(KeyKind.Category, null);

    /// <summary>The record's event id as decimal text (<c>1001</c>).</summary>
    public static KafkaKey EventId { get; } = new(KeyKind.EventId, null);

    /// <summary>The record's event name (the log method's name unless the attribute names it).</summary>
    public static KafkaKey EventName { get; } = new(KeyKind.EventName, null);

    /// <summary>
    /// The value of the named property as UTF-8 text: a template argument of that name (<c>{OrderId}</c>, rendered as the
    /// message would render it, without format or alignment), else an enricher property of that name (<c>TraceId</c>).
    /// A record without that property, or whose value is null, gets no key. Matched by ordinal name.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="name"/> is null or empty.</exception>
    public static KafkaKey Property(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        return new KafkaKey(KeyKind.Property, name);
    }

    internal KeyKind Kind { get; }

    /// <summary>The property's name, for <see cref="Property"/> keys; otherwise null.</summary>
    public string? PropertyName { get; }

    internal byte[] PropertyNameUtf8 { get; }

    /// <inheritdoc/>
    public override string ToString() => Kind == KeyKind.Property ? $"Property({PropertyName})" : Kind.ToString();
}

/// <summary>Which headers an <see cref="AsyncKafkaWriter"/> adds to each message (values are UTF-8 text).</summary>
[Flags]
public enum KafkaHeaders
{
    /// <summary>No headers.</summary>
    None = 0,
    /// <summary><c>level</c>: <c>Trace</c>, <c>Debug</c>, <c>Information</c>, <c>Warning</c>, <c>Error</c>, <c>Critical</c>.</summary>
    Level = 1,
    /// <summary><c>event.id</c>: the event id as decimal text.</summary>
    EventId = 2,
    /// <summary><c>event.name</c>: the event name.</summary>
    EventName = 4,
    /// <summary><c>category</c>: the record's category (logger name).</summary>
    Category = 8,
    /// <summary>All of the above (the default).</summary>
    All = Level | EventId | EventName | Category,
}
