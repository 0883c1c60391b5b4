using System;
using System.Diagnostics;

namespace Kakashi.Pipeline;

/// <summary>
/// Hands formatted batches to the writer stages: each formatter output's current batch is sealed when it is big enough,
/// has waited long enough, or is about to run out of room, and is shared (reference-counted) by every stage of that
/// output. Flush markers follow the batches, in order, to every stage. The pipeline's own records go in batches of their
/// own (<see cref="LogBatch.IsInternal"/>), possibly skipping the writer they report about.
/// </summary>
internal sealed class BatchDispatcher
{
    /// <summary>A batch with less room than this is sealed before the next record (a record larger than this grows its batch).</summary>
    private const int SealThreshold = 32 * 1024;
    /// <summary>Hand a batch to the writers when it is worth a wake-up: this big...</summary>
    private const int MinBatchBytes = 32 * 1024;
    /// <summary>...or its first record has waited this long.</summary>
    private static readonly long MaxBatchDelayTicks = Stopwatch.Frequency / 1000;

    private readonly FormatterOutput[] _outputs;
    private readonly WriterStage[] _stages;
    private readonly BatchPool _pool;

    public BatchDispatcher(FormatterOutput[] outputs, WriterStage[] stages, BatchPool pool)
    {
        _outputs = outputs;
        _stages = stages;
        _pool = pool;
    }

    public FormatterOutput[] Outputs => _outputs;

    /// <summary>
    /// True when some output's batch has too little room for another record, or holds as many records as its end offsets
    /// have room for (tiny records: the arrays would grow): seal with <see cref="SealFull"/> first.
    /// </summary>
    public bool NeedsRoom
    {
        get
        {
            foreach (var o in _outputs) if (IsFull(o.Batches.Current)) return true;
            return false;
        }
    }

    private static bool IsFull(LogBatch b) => b.Buffer.Length - b.Length < SealThreshold || b.Records >= LogBatch.DefaultRecords;

    /// <summary>Seals the batches that are short of room.</summary>
    public void SealFull()
    {
        foreach (var o in _outputs)
        {
            if (IsFull(o.Batches.Current)) Seal(o);
        }
    }

    /// <summary>Seals the batches worth a writer wake-up (size or age).</summary>
    public void SealDue()
    {
        long now = Stopwatch.GetTimestamp();
        foreach (var o in _outputs)
        {
            var b = o.Batches.Current;
            if (b.Records == 0) continue; // (a formatter may write nothing for a record: it is still in the batch)
            if (b.Length >= MinBatchBytes || now - o.BatchStarted >= MaxBatchDelayTicks) Seal(o);
        }
    }

    /// <summary>Seals every non-empty batch.</summary>
    public void SealAll(int excludedStage = -1, bool isInternal = false)
    {
        foreach (var o in _outputs) Seal(o, excludedStage, isInternal);
    }

    /// <summary>Hands <paramref name="output"/>'s current batch to its stages and starts a new one.</summary>
    public void Seal(FormatterOutput output, int excludedStage = -1, bool isInternal = false)
    {
        var batch = output.Batches.Current;
        if (batch.Length == 0 && batch.Records == 0) return;
        output.Binary?.OnSealing(batch); // a .klog frame ends with its batch
        batch.ExcludedStage = excludedStage;
        batch.IsInternal = isInternal;
        var stages = output.Stages;
        int receivers = 0;
        foreach (var stage in stages) if (stage.Index != excludedStage) receivers++;
        output.Batches.Current = _pool.Rent();
        output.BatchStarted = Stopwatch.GetTimestamp();
        if (receivers == 0)
        {
            _pool.Return(batch);
            return;
        }
        batch.SetReferences(receivers);
        foreach (var stage in stages)
        {
            if (stage.Index != excludedStage) stage.Enqueue(batch);
        }
    }

    /// <summary>Queues a flush marker behind everything sealed so far, to every stage.</summary>
    public void SendFlush(FlushRequest request)
    {
        // a hung or broken writer cannot flush now: its stage signals at once instead of making the caller wait for it
        foreach (var stage in _stages) stage.EnqueueMarker(request);
    }

    /// <summary>
    /// Counts records that never reached the stages in every stage's books: dropped before formatting, filtered, undecodable
    /// (<paramref name="failed"/>), plus each output's formatter failures in its own stages.
    /// </summary>
    public void CountUpstream(long dropped, long filtered, long failed)
    {
        foreach (var o in _outputs)
        {
            long formatterFailed = o.Failed - o.FailedCounted;
            o.FailedCounted += formatterFailed;
            long levelFiltered = o.LevelFiltered - o.LevelFilteredCounted;
            o.LevelFilteredCounted += levelFiltered;
            long f = failed + formatterFailed;
            long fl = filtered + levelFiltered;
            if (dropped <= 0 && fl <= 0 && f <= 0) continue;
            foreach (var stage in o.Stages) stage.CountUpstream(dropped, fl, f);
        }
    }

    /// <summary>True when some output's formatter failed on records its stages were not told about yet.</summary>
    public bool HasUncountedFailures
    {
        get
        {
            foreach (var o in _outputs) if (o.Failed != o.FailedCounted || o.LevelFiltered != o.LevelFilteredCounted) return true;
            return false;
        }
    }
}
