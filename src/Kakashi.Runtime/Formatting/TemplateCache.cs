using System;
using System.Runtime.CompilerServices;
using System.Threading;
using Kakashi.Templates;

namespace Kakashi.Formatting;

/// <summary>
/// What a formatter builds once per template (encoded names, constant parts), indexed by template id and swapped
/// atomically on a miss: lock-free reads from any thread, nothing allocated on a hit. A template of another registry with
/// the same id replaces the entry (and is rebuilt when they alternate). Shared by the JSON, syslog and OTLP formatters.
/// </summary>
internal sealed class TemplateCache<T> where T : class
{
    private Slot[] _slots = new Slot[64];

    private readonly struct Slot(LogTemplate source, T entry)
    {
        public readonly LogTemplate? Source = source;
        public readonly T? Entry = entry;
    }

    /// <summary>The entry for <paramref name="template"/>, built by <paramref name="build"/> (a static lambda: no closure) on the first call.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public T Get<TState>(LogTemplate template, Func<LogTemplate, TState, T> build, TState state)
    {
        var slots = _slots;
        int id = template.Id;
        if ((uint)id < (uint)slots.Length)
        {
            var slot = slots[id];
            if (ReferenceEquals(slot.Source, template)) return slot.Entry!;
        }
        return Add(template, build(template, state));
    }

    /// <summary>The entry for <paramref name="template"/>, built by <paramref name="build"/> on the first call.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public T Get(LogTemplate template, Func<LogTemplate, T> build)
        => Get(template, static (t, b) => b(t), build);

    private T Add(LogTemplate template, T entry)
    {
        int id = template.Id;
        if (id < 0 || id > 1 << 20) return entry; // not cached: an id no registry hands out
        while (true)
        {
            var slots = _slots;
            Slot[] next;
            if (id >= slots.Length)
            {
                next = new Slot[Math.Max(slots.Length * 2, id + 1)];
                Array.Copy(slots, next, slots.Length);
            }
            else
            {
                next = (Slot[])slots.Clone();
            }
            next[id] = new Slot(template, entry);
            if (ReferenceEquals(Interlocked.CompareExchange(ref _slots, next, slots), slots)) return entry;
        }
    }
}
