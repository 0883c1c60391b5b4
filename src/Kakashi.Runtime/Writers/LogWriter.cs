using System;
using System.Buffers;
using System.Threading;
using System.Threading.Tasks;

namespace Kakashi;

/// <summary>
/// A destination for formatted bytes. The drain formats records straight into <see cref="Output"/> (a
/// <c>PipeWriter</c> for the built-in writers) and tells the writer when a batch ends, so the writer decides when to
/// flush. All members are called from the pipeline's drain thread only.
/// </summary>
public abstract class LogWriter : IAsyncDisposable
{
    /// <summary>A name for metrics and error reports.</summary>
    public virtual string Name => GetType().Name;

    /// <summary>Where the formatter writes. Valid after <see cref="Open"/>.</summary>
    protected internal abstract IBufferWriter<byte> Output { get; }

    /// <summary>Opens the destination. Called when the pipeline is built: configuration and I/O errors surface here, at setup.</summary>
    protected internal abstract void Open();

    /// <summary>A batch of records has been written to <see cref="Output"/>; flush if the writer's batch is full or its interval elapsed.</summary>
    protected internal abstract ValueTask OnBatchWrittenAsync(CancellationToken cancellationToken);

    /// <summary>Flushes everything written so far to the destination (and to disk, per the writer's policy).</summary>
    protected internal abstract ValueTask FlushAsync(CancellationToken cancellationToken);

    /// <summary>Flushes and releases the destination.</summary>
    public abstract ValueTask DisposeAsync();
}
