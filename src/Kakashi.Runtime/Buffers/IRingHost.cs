namespace Kakashi.Buffers;

/// <summary>What a thread's ring needs from the pipeline it belongs to (instead of calls into <see cref="AsyncPipeline"/>).</summary>
internal interface IRingHost
{
    /// <summary>True while a consumer runs that will free space: a producer may wait for it.</summary>
    bool CanProducerWait { get; }

    /// <summary>Wakes the consumer (the producer needs space, or asked it to skip records).</summary>
    void WakeConsumer();

    /// <summary>A record refused because the pipeline stopped while its producer waited.</summary>
    void CountRejected();

    /// <summary>Synchronous pipelines: formats and writes what was just published, on the calling thread, before the call returns.</summary>
    void PumpSynchronously();
}
