using System;
using Microsoft.Extensions.Logging;

namespace Kakashi.Buffers;

/// <summary>What a claim that would take a ring past its fast-path limit does.</summary>
internal enum ClaimDecision
{
    /// <summary>Take the space (the ring is above the strategy's threshold but has room).</summary>
    Proceed,
    /// <summary>Drop this record (counted by the ring).</summary>
    Drop,
    /// <summary>Wait for the consumer to free (or skip) space.</summary>
    Wait,
}

/// <summary>
/// A ring's backpressure strategy (<see cref="DropStrategy"/>) as a decision per claim: the fast path's fill limit, and what
/// happens above it. Plain data and arithmetic: no thread, no ring; the ring applies the answer.
/// </summary>
internal sealed class BackpressurePolicy
{
    public BackpressurePolicy(DropStrategy strategy, int capacity, long dropThreshold)
    {
        Strategy = strategy;
        Capacity = capacity;
        DropThreshold = dropThreshold;
        // Block waits only when full; the dropping strategies act above their threshold
        Limit = strategy == DropStrategy.Block ? capacity : dropThreshold;
        DiscardTarget = Math.Max(0, dropThreshold - capacity / 8);
    }

    public DropStrategy Strategy { get; }

    public int Capacity { get; }

    public long DropThreshold { get; }

    /// <summary>The fill a claim may reach without asking the policy.</summary>
    public long Limit { get; }

    /// <summary>Drop-oldest and priority: the consumer skips head records until the fill is at most this.</summary>
    public long DiscardTarget { get; }

    /// <summary>
    /// The answer for a record of <paramref name="level"/> that would bring the fill to <paramref name="fill"/> (above
    /// <see cref="Limit"/>). <paramref name="discardBelow"/> is set when the consumer should skip head records below that
    /// level to make room (0: nothing to skip).
    /// </summary>
    public ClaimDecision Decide(long fill, int level, out int discardBelow)
    {
        discardBelow = 0;
        switch (Strategy)
        {
            case DropStrategy.DropNewest:
                return ClaimDecision.Drop;
            case DropStrategy.DropOldest:
                // make room by skipping the oldest records; this record goes in as soon as it fits
                discardBelow = int.MaxValue;
                return fill <= Capacity ? ClaimDecision.Proceed : ClaimDecision.Wait;
            case DropStrategy.Priority:
                if (level < (int)LogLevel.Error)
                {
                    // Trace sheds above the threshold, Debug a quarter of the way to full, Information half, Warning three quarters
                    long band = DropThreshold + (Capacity - DropThreshold) * Math.Max(level, 0) / 4;
                    if (fill > band) return ClaimDecision.Drop;
                    return fill <= Capacity ? ClaimDecision.Proceed : ClaimDecision.Drop;
                }
                if (fill <= Capacity) return ClaimDecision.Proceed;
                // Error/Critical and no room: have the consumer skip lower-level records at the head; wait if there are none
                discardBelow = (int)LogLevel.Error;
                return ClaimDecision.Wait;
            default:
                return ClaimDecision.Wait;
        }
    }
}
