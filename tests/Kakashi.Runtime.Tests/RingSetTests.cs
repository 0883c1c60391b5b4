using System.Collections.Generic;
using System.Threading;
using Kakashi.Buffers;
using Kakashi.Pipeline;
using Microsoft.Extensions.Logging;
using Xunit;

namespace Kakashi.Runtime.Tests;

/// <summary>The ring set alone: rings filled by hand, no pipeline, no drain thread.</summary>
public unsafe class RingSetTests
{
    private sealed class Host : IRingHost
    {
        public int Wakes;
        public bool CanProducerWait => false;
        public void WakeConsumer() => Wakes++;
        public void CountRejected() { }
        public void PumpSynchronously() { }
    }

    private static ThreadBuffer NewRing(Host host, DropStrategy strategy = DropStrategy.Block)
        => new(host, PinnedRingMemory.Allocate(4096), 16, Thread.CurrentThread, new BackpressurePolicy(strategy, 4096, 2048));

    private static void Put(ThreadBuffer ring, long timestamp, LogLevel level = LogLevel.Information)
    {
        byte* p = ring.Claim(64, (int)level);
        Assert.True(p != null);
        *(int*)p = RecordLayout.HeaderSize;
        *(long*)(p + RecordLayout.TimestampOffset) = timestamp;
        p[RecordLayout.LevelOffset] = (byte)level;
        p[RecordLayout.ObjectsOffset] = 0;
        ring.Publish(64, 0);
    }

    private static List<long> TakeAll(RingSet set)
    {
        var taken = new List<long>();
        set.Begin();
        while (set.TryNext(out _, out byte* record, out int index))
        {
            taken.Add(*(long*)(record + RecordLayout.TimestampOffset));
            set.Advance(index, RecordLayout.Align(*(int*)record));
        }
        set.Release();
        return taken;
    }

    [Fact]
    public void Records_of_several_rings_come_out_merged_by_timestamp_and_each_ring_in_its_own_order()
    {
        var host = new Host();
        var set = new RingSet();
        var a = NewRing(host);
        var b = NewRing(host);
        var c = NewRing(host);
        set.Register(a);
        set.Register(b);
        set.Register(c);
        foreach (long t in new long[] { 1, 4, 7, 10 }) Put(a, t);
        foreach (long t in new long[] { 2, 3, 11 }) Put(b, t);
        foreach (long t in new long[] { 5, 6 }) Put(c, t);
        Assert.Equal([1, 2, 3, 4, 5, 6, 7, 10, 11], TakeAll(set));
        Assert.True(a.IsDrained && b.IsDrained && c.IsDrained);
        Assert.Equal(0, a.Fill); // released
        Assert.Equal(4, a.RecordsRead);
    }

    [Fact]
    public void Only_what_was_published_when_the_pass_began_is_taken()
    {
        var host = new Host();
        var set = new RingSet();
        var a = NewRing(host);
        set.Register(a);
        Put(a, 1);
        set.Begin();
        Put(a, 2); // published after the snapshot: the next pass
        Assert.True(set.TryNext(out _, out byte* record, out int index));
        set.Advance(index, RecordLayout.Align(*(int*)record));
        Assert.False(set.TryNext(out _, out _, out _));
        set.Release();
        Assert.Equal([2], TakeAll(set));
    }

    [Fact]
    public void A_discard_request_skips_head_records_below_its_level_counts_them_and_keeps_the_rest()
    {
        var host = new Host();
        var set = new RingSet();
        var ring = NewRing(host, DropStrategy.Priority);
        set.Register(ring);
        // 40 records (2560 bytes): above the discard target of 2048 - 512; Debug at the head, an Error every fourth
        for (int i = 0; i < 40; i++) Put(ring, i, i % 4 == 3 ? LogLevel.Error : LogLevel.Debug);
        ring.DiscardBelow = (int)LogLevel.Error;
        var taken = TakeAll(set);
        Assert.Equal(0, ring.DiscardBelow); // the request is done
        Assert.Equal(3, set.Discarded); // the Debug records before the first Error: then the head is a record Priority keeps
        Assert.Equal(40, taken.Count + set.Discarded);
        Assert.Equal(set.Discarded, set.DiscardedAt((int)LogLevel.Debug));
        // every Error record is kept, in order
        var errors = new List<long>();
        for (long i = 3; i < 40; i += 4) errors.Add(i);
        Assert.All(errors, e => Assert.Contains(e, taken));
        Assert.Equal(set.Discarded, set.TotalDrops());
    }
}
