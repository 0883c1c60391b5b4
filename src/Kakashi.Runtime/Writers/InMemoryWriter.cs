using System;
using System.Collections.Generic;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.Logging;

namespace Kakashi;

/// <summary>One record an <see cref="InMemoryWriter"/> kept: its level, its formatted text (without the final new line) and whether the pipeline wrote it about itself.</summary>
public sealed record InMemoryRecord(LogLevel Level, string Text, bool IsInternal);

/// <summary>
/// Keeps the formatted records in memory for tests to assert on (the <c>"testing"</c> preset). Bounded by
/// <see cref="Capacity"/>: past it the oldest records are forgotten (counted in <see cref="Evicted"/>). Thread-safe to read
/// while the pipeline writes. Pair it with a synchronous pipeline for assertions right after the logging call, or call
/// <see cref="AsyncPipeline.FlushAllAsync"/> first.
/// </summary>
public sealed class InMemoryWriter : LogWriter
{
    private readonly Lock _lock = new();
    private readonly Queue<InMemoryRecord> _records = new();
    private long _evicted;

    /// <summary>An empty in-memory writer that blocks rather than drops (a test's ground truth).</summary>
    public InMemoryWriter()
    {
        Backpressure = DropStrategy.Block; // a test's ground truth: nothing dropped
    }

    /// <summary>Most records kept. Default 100,000; at least 1.</summary>
    public int Capacity { get; init; } = 100_000;

    /// <summary>Records forgotten because <see cref="Capacity"/> was reached.</summary>
    public long Evicted => Interlocked.Read(ref _evicted);

    /// <summary>A snapshot of the kept records, oldest first (the pipeline's own records included; see <see cref="InMemoryRecord.IsInternal"/>).</summary>
    public IReadOnlyList<InMemoryRecord> Records
    {
        get
        {
            lock (_lock) return _records.ToArray();
        }
    }

    /// <summary>The application's records' text, oldest first.</summary>
    public IReadOnlyList<string> Lines
    {
        get
        {
            var lines = new List<string>();
            lock (_lock)
            {
                foreach (var record in _records) if (!record.IsInternal) lines.Add(record.Text);
            }
            return lines;
        }
    }

    /// <summary>Forgets every record.</summary>
    public void Clear()
    {
        lock (_lock) _records.Clear();
    }

    /// <inheritdoc/>
    public override string Name => "memory";

    /// <inheritdoc/>
    protected internal override void Validate(string property)
    {
        if (Capacity < 1) throw new ArgumentOutOfRangeException(property + "." + nameof(Capacity), Capacity, $"{property}.{nameof(Capacity)} must be at least 1.");
    }

    /// <inheritdoc/>
    protected internal override void Open(WriterContext context)
    {
    }

    /// <inheritdoc/>
    protected internal override ValueTask WriteAsync(LogBatch batch, CancellationToken cancellationToken)
    {
        var kept = new InMemoryRecord[batch.Count];
        for (int i = 0; i < kept.Length; i++)
        {
            var bytes = batch.RecordBytes(i).Span;
            if (bytes.Length > 0 && bytes[^1] == '\n') bytes = bytes[..^1];
            kept[i] = new InMemoryRecord(batch.Level(i), Encoding.UTF8.GetString(bytes), batch.IsInternal);
        }
        lock (_lock)
        {
            foreach (var record in kept)
            {
                _records.Enqueue(record);
                if (_records.Count > Capacity)
                {
                    _records.Dequeue();
                    _evicted++;
                }
            }
        }
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc/>
    protected internal override ValueTask FlushAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;

    /// <inheritdoc/>
    public override ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
