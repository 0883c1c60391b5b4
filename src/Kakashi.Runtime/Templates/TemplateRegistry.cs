using System;
using System.Collections.Generic;
using System.Threading;

namespace Kakashi.Templates;

/// <summary>
/// Assigns template ids and finds templates by id. <see cref="Shared"/> holds the process's templates (generated code
/// registers each <c>[KakashiLog]</c> method's template there the first time its class is used); a decoder builds its own
/// from a manifest (<see cref="FromManifest"/>). Registering raises <see cref="Registered"/>, so a binary log can write a
/// template's manifest entry before the first record that needs it. Lookups take no lock.
/// </summary>
public sealed class TemplateRegistry
{
    private readonly Lock _lock = new();
    private LogTemplate?[] _byId = new LogTemplate?[256];
    private int _next = 1; // ids start at 1: a zeroed header never names a template
    private int _count;

    /// <summary>The process's templates: the ones generated code and the pipeline's own records register.</summary>
    public static TemplateRegistry Shared { get; } = new();

    /// <summary>
    /// Raised after a template is registered (on the registering thread, which may be a logging thread running a class
    /// initializer: keep handlers short). A handler that throws is ignored.
    /// </summary>
    public event Action<LogTemplate>? Registered;

    /// <summary>Templates registered.</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>Gives <paramref name="template"/> the next id and returns it.</summary>
    /// <exception cref="InvalidOperationException">The template is already registered (in this or another registry).</exception>
    public LogTemplate Register(LogTemplate template)
    {
        ArgumentNullException.ThrowIfNull(template);
        lock (_lock)
        {
            Add(template, _next);
        }
        Announce(template);
        return template;
    }

    /// <summary>Registers <paramref name="template"/> under <paramref name="id"/> (a manifest's id).</summary>
    /// <exception cref="InvalidOperationException">The id is taken, or the template is already registered.</exception>
    public LogTemplate Register(LogTemplate template, int id)
    {
        ArgumentNullException.ThrowIfNull(template);
        if (id is < 1 or > MaxId) throw new ArgumentOutOfRangeException(nameof(id), id, $"A template id is from 1 to {MaxId}.");
        lock (_lock)
        {
            if (id < _byId.Length && _byId[id] is not null) throw new InvalidOperationException($"Template id {id} is already taken by {_byId[id]}.");
            Add(template, id);
        }
        Announce(template);
        return template;
    }

    /// <summary>Largest template id (a manifest claiming more is refused rather than sizing a table after it).</summary>
    public const int MaxId = 1 << 24;

    private void Add(LogTemplate template, int id)
    {
        if (template.Registry is not null) throw new InvalidOperationException($"{template.Method} is already registered (id {template.Id}).");
        var table = _byId;
        if (id >= table.Length)
        {
            int size = table.Length;
            while (size <= id) size *= 2;
            Array.Resize(ref table, size);
        }
        template.Id = id;
        template.Registry = this;
        Volatile.Write(ref table[id], template);
        Volatile.Write(ref _byId, table);
        _count++;
        if (id >= _next) _next = id + 1;
    }

    private void Announce(LogTemplate template)
    {
        var handlers = Registered;
        if (handlers is null) return;
        foreach (Action<LogTemplate> handler in handlers.GetInvocationList())
        {
            try
            {
                handler(template);
            }
            catch (Exception)
            {
                // a listener's failure must not fail the class initializer of a log method
            }
        }
    }

    /// <summary>The template with <paramref name="id"/>, or null.</summary>
    public LogTemplate? Find(int id)
    {
        var table = Volatile.Read(ref _byId);
        return (uint)id < (uint)table.Length ? table[id] : null;
    }

    /// <summary>A snapshot of the registered templates, by id.</summary>
    public IReadOnlyList<LogTemplate> Templates
    {
        get
        {
            var table = Volatile.Read(ref _byId);
            var list = new List<LogTemplate>();
            foreach (var t in table) if (t is not null) list.Add(t);
            return list;
        }
    }

    /// <summary>Every registered template as manifest bytes (<see cref="LogManifest"/>, docs/record-format.md).</summary>
    public byte[] ExportManifest()
    {
        var manifest = new LogManifest(this);
        return manifest.ToBytes();
    }

    /// <summary>A registry rebuilt from manifest bytes alone (no generated code, no enum or user types needed).</summary>
    /// <exception cref="System.IO.InvalidDataException">The bytes are not a manifest, are damaged, or come from a newer format.</exception>
    public static TemplateRegistry FromManifest(ReadOnlySpan<byte> manifest) => LogManifest.Read(manifest).Templates;
}
