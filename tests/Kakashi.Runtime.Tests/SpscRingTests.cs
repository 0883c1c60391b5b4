using System;
using System.Threading;
using System.Threading.Tasks;
using Kakashi.Buffers;
using Microsoft.Extensions.Logging;
using Xunit;

namespace Kakashi.Runtime.Tests;

/// <summary>
/// Conformance of the SPSC ring on its own (no pipeline, no drain): claim/publish, peek/advance/release, the skip marker at
/// the end, the producer's cached consumer cursor, and a producer and a consumer racing on two threads.
/// </summary>
public class SpscRingTests
{
    private const int Capacity = 4096;

    private static SpscRing NewRing() => new(PinnedRingMemory.Allocate(Capacity));

    /// <summary>Writes a record of <paramref name="size"/> aligned bytes carrying <paramref name="value"/>; false when the ring refused.</summary>
    private static unsafe bool Produce(SpscRing ring, int size, long value, long limit = Capacity)
    {
        byte* p = ring.TryClaim(size, limit);
        if (p == null) return false;
        *(int*)p = size;
        *(long*)(p + RecordLayout.TimestampOffset) = value;
        ring.Publish(size);
        return true;
    }

    private static unsafe bool Consume(SpscRing ring, out long value)
    {
        byte* p = ring.Peek(ring.ReadPublished());
        if (p == null)
        {
            value = 0;
            return false;
        }
        value = *(long*)(p + RecordLayout.TimestampOffset);
        ring.Advance(*(int*)p);
        return true;
    }

    [Fact]
    public void Records_come_out_in_order_and_the_space_comes_back_only_when_released()
    {
        var ring = NewRing();
        for (int i = 0; i < Capacity / 64; i++) Assert.True(Produce(ring, 64, i));
        Assert.False(Produce(ring, 64, -1)); // full
        Assert.Equal(Capacity, ring.Fill);
        for (int i = 0; i < 10; i++)
        {
            Assert.True(Consume(ring, out long v));
            Assert.Equal(i, v);
        }
        Assert.False(Produce(ring, 64, -1)); // read but not released: still taken
        ring.Release();
        Assert.Equal(Capacity - 640, ring.Fill);
        Assert.True(Produce(ring, 64, 100));
    }

    [Fact]
    public unsafe void A_record_that_does_not_fit_before_the_end_wraps_to_the_start_behind_a_skip_marker()
    {
        var ring = NewRing();
        Assert.True(Produce(ring, 3072, 1)); // [0, 3072)
        Assert.True(Consume(ring, out _));
        ring.Release();
        Assert.True(Produce(ring, 2048, 2)); // does not fit in the last 1024: skip marker at 3072, record at 0
        long pos = ring.ReadPos;
        Assert.Equal(RecordLayout.SkipMarker, *(int*)(ring.Base + (pos & ring.Mask)));
        Assert.True(Consume(ring, out long v));
        Assert.Equal(2, v);
        Assert.Equal(3072 + 1024 + 2048, ring.ReadPos);
        Assert.True(ring.IsDrained);
    }

    [Fact]
    public void The_producer_rereads_the_consumers_cursor_only_when_its_cached_copy_says_full()
    {
        var ring = NewRing();
        for (int i = 0; i < Capacity / 64; i++) Assert.True(Produce(ring, 64, i));
        for (int i = 0; i < Capacity / 64; i++) Assert.True(Consume(ring, out _));
        ring.Release();
        // the cached copy is stale (0) but the slow path re-reads it: the whole ring is free again
        for (int i = 0; i < Capacity / 64; i++) Assert.True(Produce(ring, 64, i));
        Assert.False(Produce(ring, 64, -1));
    }

    [Fact]
    public unsafe void A_fill_limit_below_the_capacity_is_honoured_and_reported()
    {
        var ring = NewRing();
        for (int i = 0; i < 16; i++) Assert.True(Produce(ring, 64, i, limit: 1024));
        byte* p = ring.TryClaim(64, 1024);
        Assert.True(p == null);
        Assert.Equal(1024 + 64, ring.FillAfterClaim(64));
        Assert.True(ring.TryClaim(64, Capacity) != null); // the same claim under a higher limit succeeds
    }

    [Fact]
    public async Task A_producer_and_a_consumer_on_two_threads_lose_nothing_and_keep_the_order()
    {
        var ring = NewRing();
        const long Count = 2_000_000;
        var random = new Random(7);
        int[] sizes = [64, 128, 192, 704, 1024];
        var producer = Task.Run(() =>
        {
            var spinner = new SpinWait();
            for (long i = 0; i < Count;)
            {
                if (Produce(ring, sizes[i % sizes.Length], i)) i++;
                else spinner.SpinOnce(sleep1Threshold: -1);
            }
        });
        long expected = 0;
        var consumer = Task.Run(() =>
        {
            var spinner = new SpinWait();
            while (expected < Count)
            {
                if (Consume(ring, out long v))
                {
                    if (v != expected) throw new InvalidOperationException($"got {v}, expected {expected}");
                    expected++;
                    if ((expected & 63) == 0) ring.Release();
                }
                else
                {
                    ring.Release();
                    spinner.SpinOnce(sleep1Threshold: -1);
                }
            }
            ring.Release();
        });
        await Task.WhenAll(producer, consumer).WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(Count, expected);
        Assert.True(ring.IsDrained);
        Assert.Equal(0, ring.Fill);
    }
}

/// <summary>The backpressure strategies as decisions, without a ring or a thread.</summary>
public class BackpressurePolicyTests
{
    private const int Capacity = 1 << 20;

    [Fact]
    public void Block_waits_and_never_drops()
    {
        var policy = new BackpressurePolicy(DropStrategy.Block, Capacity, Capacity / 2);
        Assert.Equal(Capacity, policy.Limit);
        Assert.Equal(ClaimDecision.Wait, policy.Decide(Capacity + 64, (int)LogLevel.Critical, out int discard));
        Assert.Equal(0, discard);
    }

    [Fact]
    public void Drop_newest_drops_above_the_threshold()
    {
        var policy = new BackpressurePolicy(DropStrategy.DropNewest, Capacity, Capacity / 2);
        Assert.Equal(Capacity / 2, policy.Limit);
        Assert.Equal(ClaimDecision.Drop, policy.Decide(Capacity / 2 + 64, (int)LogLevel.Error, out _));
    }

    [Fact]
    public void Drop_oldest_asks_the_consumer_to_skip_and_proceeds_while_there_is_room()
    {
        var policy = new BackpressurePolicy(DropStrategy.DropOldest, Capacity, Capacity / 2);
        Assert.Equal(ClaimDecision.Proceed, policy.Decide(Capacity / 2 + 64, 2, out int discard));
        Assert.Equal(int.MaxValue, discard);
        Assert.Equal(ClaimDecision.Wait, policy.Decide(Capacity + 64, 2, out discard));
        Assert.Equal(int.MaxValue, discard);
        Assert.Equal(Capacity / 2 - Capacity / 8, policy.DiscardTarget);
    }

    [Fact]
    public void Priority_sheds_low_levels_first_and_keeps_errors()
    {
        var policy = new BackpressurePolicy(DropStrategy.Priority, Capacity, Capacity / 2);
        long justAbove = Capacity / 2 + 64;
        Assert.Equal(ClaimDecision.Drop, policy.Decide(justAbove, (int)LogLevel.Trace, out _));
        Assert.Equal(ClaimDecision.Proceed, policy.Decide(justAbove, (int)LogLevel.Information, out _));
        long threeQuarters = Capacity * 3 / 4 + 64;
        Assert.Equal(ClaimDecision.Drop, policy.Decide(threeQuarters, (int)LogLevel.Information, out _));
        Assert.Equal(ClaimDecision.Proceed, policy.Decide(threeQuarters, (int)LogLevel.Warning, out _));
        Assert.Equal(ClaimDecision.Proceed, policy.Decide(Capacity, (int)LogLevel.Error, out int discard));
        Assert.Equal(0, discard);
        Assert.Equal(ClaimDecision.Wait, policy.Decide(Capacity + 64, (int)LogLevel.Error, out discard));
        Assert.Equal((int)LogLevel.Error, discard);
        Assert.Equal(ClaimDecision.Drop, policy.Decide(Capacity + 64, (int)LogLevel.Warning, out _));
    }
}
