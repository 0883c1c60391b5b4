using System;
using System.Collections.Generic;
using System.Threading;
using Kakashi.Buffers;

namespace Kakashi.Pipeline;

/// <summary>
/// The consumer's view of every thread's ring: the registry (rings join when their thread first logs, and are retired
/// when the thread has ended and its ring is drained, their counts kept), the k-way merge by timestamp over a snapshot of
/// the published positions, and the drain side of backpressure (skipping the records drop-oldest and priority producers
/// asked to discard). One consumer thread; <see cref="Register"/> and the read-only queries are thread-safe.
/// </summary>
/// <remarks>
/// Ordering: records of one thread keep their order (one SPSC ring per thread). Across threads the merge is on the raw
/// timestamps of the records visible when it looks; a record whose timestamp was taken before but published after a later
/// record of another thread was taken comes out after it (a window of the order of the publish delay).
/// </remarks>
internal sealed unsafe class RingSet
{
    private readonly Lock _registryLock = new();
    private readonly RetiredCounters _retired = new();
    private ThreadBuffer[] _buffers = [];

    // the merge's snapshot (consumer only)
    private ThreadBuffer[] _snapshot = [];
    private long[] _limits = [];
    private long[] _heads = [];
    private int _k;

    // consumer-owned counters, read racily by metrics
    private long _discarded;
    private readonly long[] _discardedByLevel = new long[7];

    public ThreadBuffer[] Buffers => Volatile.Read(ref _buffers);

    public RetiredCounters Retired => _retired;

    public long Discarded => Volatile.Read(ref _discarded);

    public long DiscardedAt(int level) => Volatile.Read(ref _discardedByLevel[level]);

    public void Register(ThreadBuffer buffer)
    {
        lock (_registryLock)
        {
            var next = new ThreadBuffer[_buffers.Length + 1];
            _buffers.CopyTo(next, 0);
            next[^1] = buffer;
            Volatile.Write(ref _buffers, next);
        }
    }

    /// <summary>Removes the rings of threads that ended once they are drained (their counters go to <see cref="Retired"/>).</summary>
    public void RetireDeadBuffers()
    {
        foreach (var b in Buffers)
        {
            if (b.Owner.IsAlive || !b.IsDrained) continue;
            lock (_registryLock)
            {
                var current = _buffers;
                int index = Array.IndexOf(current, b);
                if (index < 0) continue;
                var next = new ThreadBuffer[current.Length - 1];
                Array.Copy(current, 0, next, 0, index);
                Array.Copy(current, index + 1, next, index, current.Length - index - 1);
                _retired.Retire(b);
                Volatile.Write(ref _buffers, next);
            }
        }
    }

    // ------------------------------------------------------------------ the merge

    /// <summary>Takes a snapshot of the published positions and finds each ring's first record; returns how many rings have one.</summary>
    public int Begin()
    {
        var buffers = Buffers;
        int k = buffers.Length;
        _snapshot = buffers;
        _k = k;
        if (_limits.Length < k)
        {
            _limits = new long[k * 2];
            _heads = new long[k * 2];
        }
        int live = 0;
        for (int i = 0; i < k; i++)
        {
            _limits[i] = buffers[i].ReadPublished();
            _heads[i] = Head(buffers[i], _limits[i]);
            if (_heads[i] != long.MaxValue) live++;
        }
        return live;
    }

    /// <summary>The ring whose next record (within the snapshot) has the smallest timestamp, and that record; false when every ring is read up to the snapshot.</summary>
    public bool TryNext(out ThreadBuffer buffer, out byte* record, out int index)
    {
        var heads = _heads;
        int pick = -1;
        long best = long.MaxValue;
        for (int i = 0; i < _k; i++)
        {
            if (heads[i] < best)
            {
                best = heads[i];
                pick = i;
            }
        }
        index = pick;
        if (pick < 0)
        {
            buffer = null!;
            record = null;
            return false;
        }
        buffer = _snapshot[pick];
        record = buffer.Base + (buffer.ReadPos & buffer.Mask);
        return true;
    }

    /// <summary>Moves ring <paramref name="index"/> past the record just taken (<paramref name="stride"/> bytes) and finds its next one.</summary>
    public void Advance(int index, int stride)
    {
        var buffer = _snapshot[index];
        buffer.Advance(stride);
        buffer.RecordsRead++;
        _heads[index] = Head(buffer, _limits[index]);
    }

    /// <summary>Finds every ring's next record again (another caller of the discards may have skipped some).</summary>
    public void Refresh()
    {
        for (int i = 0; i < _k; i++) _heads[i] = Head(_snapshot[i], _limits[i]);
    }

    /// <summary>Gives the consumed space of every ring in the snapshot back to its producer.</summary>
    public void Release()
    {
        var snapshot = _snapshot;
        for (int i = 0; i < _k; i++) snapshot[i].ReleaseConsumed();
    }

    /// <summary>Bytes waiting in ring <paramref name="index"/> of the snapshot.</summary>
    public long Backlog(int index) => _limits[index] - _snapshot[index].ReadPos;

    /// <summary>The first ring of the snapshot whose backlog reached <paramref name="threshold"/> bytes, or -1.</summary>
    public int FirstAbove(long threshold)
    {
        for (int i = 0; i < _k; i++) if (Backlog(i) >= threshold) return i;
        return -1;
    }

    public ThreadBuffer InSnapshot(int index) => _snapshot[index];

    /// <summary>
    /// The timestamp of the next record of <paramref name="buffer"/>, skipping the records its producer asked to discard
    /// (drop-oldest, priority); MaxValue when none.
    /// </summary>
    private long Head(ThreadBuffer buffer, long limit)
    {
        while (true)
        {
            byte* p = buffer.Peek(limit);
            if (p == null) return long.MaxValue;
            int discardBelow = Volatile.Read(ref buffer.DiscardBelow);
            if (discardBelow != 0 && Discard(buffer, p, discardBelow)) continue;
            return *(long*)(p + RecordLayout.TimestampOffset);
        }
    }

    /// <summary>Skips the head record <paramref name="p"/> if the producer's discard request covers it; false to keep it.</summary>
    private bool Discard(ThreadBuffer buffer, byte* p, int discardBelow)
    {
        int level = p[RecordLayout.LevelOffset];
        long backlog = buffer.ReadPublished() - buffer.ReadPos;
        if (level < discardBelow && backlog > buffer.DiscardTarget)
        {
            int objects = p[RecordLayout.ObjectsOffset];
            for (int i = 0; i < objects; i++) buffer.TakeObject();
            buffer.Advance(RecordLayout.Align(*(int*)p));
            buffer.RecordsRead++;
            _discarded++;
            _discardedByLevel[Math.Min(level, 6)]++;
            return true;
        }
        // done, or the head is a record this strategy keeps: it is read normally
        Volatile.Write(ref buffer.DiscardBelow, 0);
        buffer.ReleaseConsumed();
        return false;
    }

    /// <summary>
    /// Called while a full writer stage holds the consumer: drop-oldest and priority producers still get the records they
    /// asked to discard skipped (and the space freed), so they wait for the skipping only, not for the slow writer.
    /// </summary>
    public void ServiceDiscards()
    {
        foreach (var buffer in Buffers)
        {
            if (Volatile.Read(ref buffer.DiscardBelow) == 0) continue;
            Head(buffer, buffer.ReadPublished());
            buffer.ReleaseConsumed();
        }
    }

    // ------------------------------------------------------------------ queries

    public bool AnyProducerInRecord()
    {
        foreach (var buffer in Buffers) if (buffer.InRecord) return true;
        return false;
    }

    /// <summary>Records dropped so far: at the callers (live and retired rings) and skipped in the rings.</summary>
    public long TotalDrops()
    {
        long total = _retired.Dropped + Discarded;
        foreach (var b in Buffers) total += b.DroppedTotal;
        return total;
    }

    /// <summary>The published position of every ring now (what a flush must reach).</summary>
    public (ThreadBuffer[] Buffers, long[] Targets) PublishedNow()
    {
        var buffers = Buffers;
        var targets = new long[buffers.Length];
        for (int i = 0; i < buffers.Length; i++) targets[i] = buffers[i].ReadPublished();
        return (buffers, targets);
    }

    /// <summary>The logging threads' ids and names (for a manifest).</summary>
    public IEnumerable<(int Id, string? Name)> ThreadNames()
    {
        foreach (var b in Buffers) yield return (b.ThreadId, b.Owner.Name);
    }
}

/// <summary>The counters of rings whose threads ended (their rings are gone, their counts stay).</summary>
internal sealed class RetiredCounters
{
    private readonly Lock _lock = new();
    private Totals _totals = new();

    public long Dropped
    {
        get
        {
            lock (_lock) return _totals.Dropped;
        }
    }

    public void Retire(ThreadBuffer buffer)
    {
        lock (_lock) _totals.Add(buffer);
    }

    public Totals Snapshot()
    {
        lock (_lock) return _totals.Clone();
    }

    internal sealed class Totals
    {
        public long Accepted;
        public long Dropped;
        public long Waits;
        public long BlockedTicks;
        public long[] DroppedByLevel = new long[7];

        public void Add(ThreadBuffer b)
        {
            Accepted += b.Accepted;
            Dropped += b.DroppedTotal;
            Waits += b.Waits;
            BlockedTicks += b.BlockedTicks;
            for (int i = 0; i < 7; i++) DroppedByLevel[i] += b.DroppedAt(i);
        }

        public Totals Clone()
        {
            var copy = (Totals)MemberwiseClone();
            copy.DroppedByLevel = (long[])DroppedByLevel.Clone();
            return copy;
        }
    }
}
