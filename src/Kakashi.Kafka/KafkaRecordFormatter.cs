using System;
using System.Buffers.Binary;
using Kakashi.Formatting;

namespace Kakashi;

/// <summary>
/// The formatter of an <see cref="AsyncKafkaWriter"/>: writes each record's value with <see cref="ValueFormatter"/>
/// (a <see cref="JsonFormatter"/> by default), followed by a small binary trailer the writer reads back to build the
/// message: the record's timestamp, event id, event name, category and key (<see cref="Key"/>). The trailer never reaches
/// Kafka; nor does the value's final line feed. Nothing is allocated per record.
/// </summary>
/// <remarks>
/// The writer sets one by default, reading <see cref="AsyncKafkaWriter.ValueFormatter"/> and <see cref="AsyncKafkaWriter.Key"/>;
/// build one yourself only to share it between Kafka writers (records are then formatted once for all of them). Its output
/// is meant for an <see cref="AsyncKafkaWriter"/> only: another writer given this formatter would write the trailer too.
/// </remarks>
public sealed class KafkaRecordFormatter : LogFormatter
{
    // trailer, after the value (little-endian):
    //   int64 timestamp (Unix ms) | int32 event id | int32 name length | name | int32 category length | category
    //   | key | int32 key length (-1: no key) | int32 trailer length (everything from the timestamp up to here)
    internal const int FixedTrailer = 8 + 4 + 4 + 4 + 4 + 4;

    private readonly LogFormatter? _value;
    private readonly KafkaKey? _key;
    private readonly AsyncKafkaWriter? _owner;

    /// <summary>A formatter writing values with <paramref name="valueFormatter"/> and keys per <paramref name="key"/> (default <see cref="KafkaKey.None"/>).</summary>
    public KafkaRecordFormatter(LogFormatter valueFormatter, KafkaKey? key = null)
    {
        ArgumentNullException.ThrowIfNull(valueFormatter);
        if (valueFormatter is KafkaRecordFormatter) throw new ArgumentException("The value formatter cannot be a KafkaRecordFormatter.", nameof(valueFormatter));
        _value = valueFormatter;
        _key = key ?? KafkaKey.None;
    }

    /// <summary>The writer's own: reads its <see cref="AsyncKafkaWriter.ValueFormatter"/> and <see cref="AsyncKafkaWriter.Key"/> (init properties, fixed once built).</summary>
    internal KafkaRecordFormatter(AsyncKafkaWriter owner) => _owner = owner;

    /// <summary>Formats each record's value (the message's bytes).</summary>
    public LogFormatter ValueFormatter => _value ?? _owner!.ValueFormatter;

    /// <summary>What each message's key is.</summary>
    public KafkaKey Key => _key ?? _owner!.Key;

    internal AsyncKafkaWriter? Owner => _owner;

    /// <inheritdoc/>
    public override void Format(in LogRecord record, ref Utf8Writer output)
    {
        ValueFormatter.Format(in record, ref output);
        long start = output.BytesWritten;
        var fixedPart = output.GetSpan(12);
        BinaryPrimitives.WriteInt64LittleEndian(fixedPart, (record.Timestamp.Ticks - DateTime.UnixEpoch.Ticks) / TimeSpan.TicksPerMillisecond); // the timestamp is UTC
        BinaryPrimitives.WriteInt32LittleEndian(fixedPart[8..], record.EventId);
        output.Advance(12);
        WriteBlock(ref output, record.Template.EventNameUtf8);
        WriteBlock(ref output, record.CategoryInfo.NameUtf8);
        long keyStart = output.BytesWritten;
        bool hasKey = WriteKey(in record, Key, ref output);
        int keyLength = hasKey ? (int)(output.BytesWritten - keyStart) : -1;
        var tail = output.GetSpan(8);
        BinaryPrimitives.WriteInt32LittleEndian(tail, keyLength);
        BinaryPrimitives.WriteInt32LittleEndian(tail[4..], (int)(output.BytesWritten + 8 - start));
        output.Advance(8);
    }

    private static void WriteBlock(ref Utf8Writer output, ReadOnlySpan<byte> bytes)
    {
        var span = output.GetSpan(4 + bytes.Length);
        BinaryPrimitives.WriteInt32LittleEndian(span, bytes.Length);
        bytes.CopyTo(span[4..]);
        output.Advance(4 + bytes.Length);
    }

    private static bool WriteKey(in LogRecord record, KafkaKey key, ref Utf8Writer output)
    {
        switch (key.Kind)
        {
            case KafkaKey.KeyKind.Category:
                output.Write(record.CategoryInfo.NameUtf8);
                return true;
            case KafkaKey.KeyKind.EventId:
                output.WriteFormatted(record.EventId);
                return true;
            case KafkaKey.KeyKind.EventName:
                output.Write(record.Template.EventNameUtf8);
                return true;
            case KafkaKey.KeyKind.Property:
                return WritePropertyKey(in record, key, ref output);
            default:
                return false;
        }
    }

    /// <summary>The argument a hole of that name binds to (the name the JSON formatter writes), else the argument of that name; -1 if none.</summary>
    private static int ArgIndex(Kakashi.Templates.LogTemplate template, string name)
    {
        foreach (var segment in template.Segments)
        {
            if (!segment.IsLiteral && string.Equals(segment.Text, name, StringComparison.Ordinal)) return template.Args[segment.ArgIndex].IsException ? -1 : segment.ArgIndex;
        }
        var args = template.Args;
        for (int i = 0; i < args.Length; i++)
        {
            if (!args[i].IsException && string.Equals(args[i].Name, name, StringComparison.Ordinal)) return i;
        }
        return -1;
    }

    private static bool WritePropertyKey(in LogRecord record, KafkaKey key, ref Utf8Writer output)
    {
        int i = ArgIndex(record.Template, key.PropertyName!);
        if (i >= 0)
        {
            var arg = record.Template.Args[i];
            long mark = output.Mark;
            try
            {
                var data = record.GetArgData(i);
                if (arg.CanBeNull && arg.Codec.IsNull(data)) return false;
                if (MessageRenderer.WriteArg(ref output, arg.Codec, data, 0, null)) return true;
            }
            catch (Exception)
            {
                // a value whose formatting throws gives no key (the value formatter marks the hole itself)
            }
            output.Rewind(mark);
            return false;
        }
        foreach (var property in record.Properties)
        {
            if (!property.Name.SequenceEqual(key.PropertyNameUtf8)) continue;
            output.Write(property.Value);
            return true;
        }
        return false;
    }
}

/// <summary>One record of a batch formatted by a <see cref="KafkaRecordFormatter"/>, split into its parts (views into the batch).</summary>
internal readonly ref struct KafkaRecordParts
{
    public readonly ReadOnlySpan<byte> Value;
    public readonly ReadOnlySpan<byte> Key;
    public readonly bool HasKey;
    public readonly long Timestamp;
    public readonly int EventId;
    public readonly ReadOnlySpan<byte> EventName;
    public readonly ReadOnlySpan<byte> Category;

    private KafkaRecordParts(ReadOnlySpan<byte> value, ReadOnlySpan<byte> key, bool hasKey, long timestamp, int eventId, ReadOnlySpan<byte> eventName, ReadOnlySpan<byte> category)
    {
        Value = value;
        Key = key;
        HasKey = hasKey;
        Timestamp = timestamp;
        EventId = eventId;
        EventName = eventName;
        Category = category;
    }

    /// <summary>Splits a record; false when its bytes do not end with a well-formed trailer (not formatted by a <see cref="KafkaRecordFormatter"/>).</summary>
    public static bool TryParse(ReadOnlySpan<byte> record, out KafkaRecordParts parts)
    {
        parts = default;
        if (record.Length < KafkaRecordFormatter.FixedTrailer) return false;
        int trailer = BinaryPrimitives.ReadInt32LittleEndian(record[^4..]);
        int keyLength = BinaryPrimitives.ReadInt32LittleEndian(record[^8..]);
        if (trailer < KafkaRecordFormatter.FixedTrailer || trailer > record.Length || keyLength < -1) return false;
        int start = record.Length - trailer;
        var t = record[start..^8];
        long timestamp = BinaryPrimitives.ReadInt64LittleEndian(t);
        int eventId = BinaryPrimitives.ReadInt32LittleEndian(t[8..]);
        int nameLength = BinaryPrimitives.ReadInt32LittleEndian(t[12..]);
        if (nameLength < 0 || 16 + nameLength + 4 > t.Length) return false;
        var name = t.Slice(16, nameLength);
        int categoryAt = 16 + nameLength;
        int categoryLength = BinaryPrimitives.ReadInt32LittleEndian(t[categoryAt..]);
        if (categoryLength < 0 || categoryAt + 4 + categoryLength > t.Length) return false;
        var category = t.Slice(categoryAt + 4, categoryLength);
        int keyAt = categoryAt + 4 + categoryLength;
        int keyBytes = Math.Max(0, keyLength);
        if (keyAt + keyBytes != t.Length) return false;
        var value = record[..start];
        if (!value.IsEmpty && value[^1] == (byte)'\n') value = value[..^1];
        if (!value.IsEmpty && value[^1] == (byte)'\r') value = value[..^1];
        parts = new KafkaRecordParts(value, t.Slice(keyAt, keyBytes), keyLength >= 0, timestamp, eventId, name, category);
        return true;
    }
}
