using System;
using System.Collections.Generic;
using System.Text;
using System.Threading;

namespace Kakashi;

/// <summary>A record's category as data: the id records carry and the name (what a <see cref="KakashiLogger"/> logs under).</summary>
public sealed class LogCategory
{
    /// <summary>The category <paramref name="name"/> with the id <paramref name="id"/> (not negative).</summary>
    public LogCategory(int id, string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentOutOfRangeException.ThrowIfNegative(id);
        Id = id;
        Name = name;
        NameUtf8 = Encoding.UTF8.GetBytes(name);
        TextUtf8 = Encoding.UTF8.GetBytes(Formatting.TextEscaping.EscapeControl(name)); // a category can never forge a line
        JsonUtf8 = Formatting.JsonEscaping.EncodeString(name);
    }

    /// <summary>The name as a quoted, escaped JSON string.</summary>
    internal byte[] JsonUtf8 { get; }

    /// <summary>The id in a record's header (<c>LoggerId</c>): unique within one pipeline.</summary>
    public int Id { get; }

    /// <summary>The category name.</summary>
    public string Name { get; }

    /// <summary>The name as UTF-8.</summary>
    public byte[] NameUtf8 { get; }

    /// <summary>The name as UTF-8 with control characters escaped, as text formats write it.</summary>
    public byte[] TextUtf8 { get; }

    /// <inheritdoc/>
    public override string ToString() => $"{Name} #{Id}";
}

/// <summary>Categories by id: the pipeline's loggers, or the ones a manifest lists. Lookups take no lock.</summary>
public sealed class CategoryTable
{
    private readonly Lock _lock = new();
    private LogCategory?[] _byId = new LogCategory?[16];
    private int _count;

    /// <summary>Categories in the table.</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>Adds <paramref name="category"/> under its id.</summary>
    /// <exception cref="InvalidOperationException">Another category has that id.</exception>
    public void Add(LogCategory category)
    {
        ArgumentNullException.ThrowIfNull(category);
        if (category.Id > TemplateLimits.MaxCategoryId) throw new ArgumentOutOfRangeException(nameof(category), category.Id, $"A category id is at most {TemplateLimits.MaxCategoryId}.");
        lock (_lock)
        {
            var table = _byId;
            if (category.Id < table.Length && table[category.Id] is { } existing)
            {
                if (existing.Name == category.Name) return;
                throw new InvalidOperationException($"Category id {category.Id} is already {existing.Name}.");
            }
            if (category.Id >= table.Length)
            {
                int size = table.Length;
                while (size <= category.Id) size *= 2;
                Array.Resize(ref table, size);
            }
            Volatile.Write(ref table[category.Id], category);
            Volatile.Write(ref _byId, table);
            _count++;
        }
    }

    /// <summary>The category with <paramref name="id"/>, or null.</summary>
    public LogCategory? Find(int id)
    {
        var table = Volatile.Read(ref _byId);
        return (uint)id < (uint)table.Length ? table[id] : null;
    }

    /// <summary>A snapshot of the categories, by id.</summary>
    public IReadOnlyList<LogCategory> Categories
    {
        get
        {
            var list = new List<LogCategory>();
            foreach (var c in Volatile.Read(ref _byId)) if (c is not null) list.Add(c);
            return list;
        }
    }
}

/// <summary>Bounds a decoder enforces on what it reads, so hostile input cannot make it allocate without limit.</summary>
internal static class TemplateLimits
{
    public const int MaxCategoryId = 1 << 24;
    public const int MaxArgs = 1024;
    public const int MaxSegments = 4096;
    public const int MaxString = 16 * 1024 * 1024;
    public const int MaxEnumNames = 1 << 16;
    public const int MaxExceptionDepth = 16;
}
