using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Threading;
using System.Threading.Tasks;
using Kakashi.Buffers;
using Kakashi.Clock;
using Kakashi.Formatting;
using Kakashi.Templates;

namespace Kakashi.Pipeline;

/// <summary>
/// The single consumer of the rings: one dedicated thread that takes records off the rings in timestamp order
/// (<see cref="RingSet"/>), decodes them (<see cref="RecordDecoder"/>), runs them through filters, enrichers, observers and
/// every formatter (<see cref="RecordProcessor"/>), and hands the batches to the writer stages (<see cref="BatchDispatcher"/>).
/// This type is the loop around them: its wait strategy, flush requests, housekeeping and shutdown. It allocates nothing
/// per record in steady state.
/// </summary>
internal sealed unsafe class Drain
{
    private readonly AsyncPipeline _pipeline;
    private readonly AsyncPipelineConfig _config;
    private readonly ClockConverter _clock = new();
    private readonly RingSet _rings = new();
    private readonly RecordDecoder _decoder;
    private readonly RecordProcessor _processor;
    private readonly BatchDispatcher _dispatcher;
    private readonly OwnRecords _own;
    private readonly WriterStage[] _stages;
    private readonly PipelineSettings _settings;
    private readonly Thread _thread;
    private readonly Timer _watchdog;
    private readonly ConcurrentQueue<FlushRequest> _flushRequests = new();
    private readonly ManualResetEventSlim _wake = new(false, spinCount: 1); // the drain spins and yields on its own before it parks
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly object?[] _objects = new object?[64];
    private readonly bool _synchronous;
    private readonly bool _raw;

    /// <summary>Every output is a .klog and nothing needs a decoded record: records are copied raw (tests check the path is taken).</summary>
    internal bool UsesRawBinaryPath => _raw;
    private readonly Lock _syncLock = new();
    private volatile bool _stopping;
    private volatile bool _finished;
    private long _stoppedAt;
    private int _stderrReports;
    private int _clockVersion;

    // counters (written by the drain thread, read racily by GetMetrics)
    private long _processed;
    private long _truncated;
    private long _formatErrors;
    private long _undecodable;
    private long _allocated;
    // what the stages' books have been told about
    private long _dropsCounted;
    private long _filteredCounted;
    private readonly BatchPool _pool;
    private long _undecodableCounted;

    public Drain(AsyncPipeline pipeline, LogWriter[] writers, AsyncPipelineConfig config, PipelineSettings settings)
    {
        _pipeline = pipeline;
        _config = config;
        _settings = settings;
        _synchronous = config.Synchronous;
        _stages = new WriterStage[writers.Length];
        for (int i = 0; i < writers.Length; i++)
            _stages[i] = new WriterStage(writers[i], i, this, writers[i].QueueLimit ?? config.BackpressureLimit, config.TimeProvider, _synchronous);

        // one output per distinct formatter instance: writers that share a formatter share its bytes
        var pipelineFormatter = config.Formatter ?? new TextFormatter();
        // (and the same minimum level: a console for Warning+ next to a file for everything gets its own batches)
        var groups = new List<(LogFormatter Formatter, Microsoft.Extensions.Logging.LogLevel MinLevel, List<WriterStage> Stages)>();
        foreach (var stage in _stages)
        {
            var formatter = stage.Writer.Formatter ?? pipelineFormatter;
            var minLevel = stage.Writer.MinLevel;
            int index = groups.FindIndex(g => ReferenceEquals(g.Formatter, formatter) && g.MinLevel == minLevel);
            if (index < 0) groups.Add((formatter, minLevel, [stage]));
            else groups[index].Stages.Add(stage);
        }
        // every batch the pipeline can hold at once, made now and reused forever: per output, the one being formatted, the
        // one its slowest stage is writing and that stage's queue (its limit over the batch size, at least one: an empty
        // queue takes a batch larger than its limit); plus the sealed batch the drain holds while a blocking stage has no
        // room (one at a time: the drain is one thread). One short, and a lagging writer made the pool allocate 150 KB.
        long largestStage = config.BackpressureLimit;
        foreach (var w in writers) largestStage = Math.Max(largestStage, w.QueueLimit ?? 0);
        int perOutput = (int)Math.Min(256, Math.Max(1, largestStage / LogBatch.DefaultSize) + 2);
        int batches = perOutput * groups.Count + 1;
        var pool = _pool = new BatchPool(LogBatch.DefaultSize, max: batches, prefill: batches);
        var outputs = new FormatterOutput[groups.Count];
        for (int i = 0; i < outputs.Length; i++) outputs[i] = new FormatterOutput(groups[i].Formatter, new BatchWriter(pool.Rent()), [.. groups[i].Stages], groups[i].MinLevel);

        IRecordFilter[] filters = [.. config.Filters];
        _processor = new RecordProcessor(filters, [.. config.Enrichers], [.. config.Observers], outputs, ToStderr);
        _dispatcher = new BatchDispatcher(outputs, _stages, pool);
        _decoder = new RecordDecoder(TemplateRegistry.Shared, pipeline.Categories, _clock.Calibration);
        // .klog outputs encode ring records themselves; with nothing else to feed (no text or JSON output, no filter,
        // enricher or observer) the drain hands them the ring's bytes without decoding them (the raw path)
        bool allBinary = outputs.Length > 0;
        foreach (var output in outputs)
        {
            if (output.Binary is { } binary) binary.Attach(TemplateRegistry.Shared, pipeline.Categories, _clock.Calibration);
            else allBinary = false;
        }
        _raw = allBinary && filters.Length == 0 && config.Enrichers.Count == 0 && config.Observers.Count == 0;
        _own = new OwnRecords(_processor, _dispatcher, _clock, filters, settings.Strategy, ToStderr);
        _thread = new Thread(Run) { IsBackground = true, Name = "Kakashi drain" };
        // hung-writer detection runs on a timer, not on the drain: a stage that blocks the drain must still be found out
        _watchdog = new Timer(static state => ((Drain)state!).WatchStages(), this, Timeout.Infinite, Timeout.Infinite);
    }

    public Task Completion => _completion.Task;

    internal long AllocatedBytes => Volatile.Read(ref _allocated);

    /// <summary>Batches the pool had to make after it was filled (0 when the pool is sized right, tested).</summary>
    internal long BatchesMade => _pool.Made;

    internal WriterStage[] Stages => _stages;

    internal RingSet Rings => _rings;

    internal ClockConverter Clock => _clock;

    internal FormatterOutput[] Outputs => _dispatcher.Outputs;

    public void Start()
    {
        _own.Start(_pipeline);
        foreach (var stage in _stages) stage.Start();
        _watchdog.Change(100, 100);
        _thread.Start();
    }

    public void Register(ThreadBuffer buffer) => _rings.Register(buffer);

    [ThreadStatic] private static bool t_pumping;

    /// <summary>
    /// Synchronous pipelines, on the calling thread after it published a record: one pass over the rings, the batches sealed
    /// and written and flushed by each writer inline (<see cref="WriterStage"/> in inline mode), under the pipeline's lock.
    /// A writer that logs from inside the pass does not re-enter it: its record is written by the next pass.
    /// </summary>
    public void PumpSynchronously()
    {
        if (t_pumping || _finished) return;
        t_pumping = true;
        _syncLock.Enter();
        try
        {
            if (_stopping) return; // the final drain writes it
            DrainAvailable();
            if (_own.HasProblems) _own.WriteProblems();
            _dispatcher.SealAll();
        }
        finally
        {
            _syncLock.Exit();
            t_pumping = false;
        }
    }

    public void Wake() => _wake.Set();

    public void Stop()
    {
        Volatile.Write(ref _stoppedAt, Stopwatch.GetTimestamp());
        _stopping = true;
        _wake.Set();
    }

    /// <summary>
    /// Shutdown began more than <see cref="AsyncPipelineConfig.ShutdownTimeout"/> ago: a full stage then drops instead of
    /// holding the drain, so a writer stuck within a long WriteTimeout cannot keep the final drain from finishing.
    /// </summary>
    internal bool ShutdownOverdue
    {
        get
        {
            long at = Volatile.Read(ref _stoppedAt);
            return at != 0 && Stopwatch.GetElapsedTime(at) > _config.ShutdownTimeout;
        }
    }

    public Task RequestFlush(CancellationToken cancellationToken)
    {
        var request = new FlushRequest(_stages.Length);
        _flushRequests.Enqueue(request);
        _wake.Set();
        if (_completion.Task.IsCompleted) request.SignalAll(); // raced with shutdown, which flushed everything
        return cancellationToken.CanBeCanceled ? request.Completion.Task.WaitAsync(cancellationToken) : request.Completion.Task;
    }

    /// <summary>A writer failed (called from its stage's loop): an Error record to the other writers, and a line on stderr.</summary>
    public void ReportWriterProblem(WriterStage stage, Exception error)
    {
        _own.EnqueueProblem(stage, error);
        ToStderr(stage.Writer.Name, error);
        _wake.Set();
    }

    /// <summary>Called while a full writer stage holds the drain: see <see cref="RingSet.ServiceDiscards"/>.</summary>
    internal void ServiceDiscards() => _rings.ServiceDiscards();

    public AsyncMetrics GetMetrics(long rejected, long loggingErrors)
        => MetricsCollector.Collect(_rings, _stages, _dispatcher.Outputs, _finished,
            processed: Volatile.Read(ref _processed), filtered: Volatile.Read(ref _processor.Filtered), truncated: Volatile.Read(ref _truncated),
            formatErrors: Volatile.Read(ref _formatErrors) + Volatile.Read(ref _processor.Errors) + Volatile.Read(ref _own.Errors),
            rejected, loggingErrors);

    // ------------------------------------------------------------------ the loop

    /// <summary>Synthetic records per built-in formatter formatted at start-up (<see cref="WarmUp"/>).</summary>
    internal const int WarmUpRecords = 2_000;

    /// <summary>
    /// Start-up warm-up: each built-in formatter (text, JSON) formats a synthetic record (int, long, double and string
    /// holes) <see cref="WarmUpRecords"/> times into a scratch buffer, before the drain reads its first ring. The tiered
    /// JIT counts those calls, so the formatting path is recompiled optimized (in the background) about 100 ms after the
    /// pipeline starts instead of after the application's first records; it costs a few milliseconds of the drain thread
    /// once, and nothing reaches a writer or a metric. User formatters are not called (they may count what they see).
    /// </summary>
    private void WarmUp()
    {
        try
        {
            var payload = new PayloadBuilder();
            var scratch = new System.Buffers.ArrayBufferWriter<byte>(4096);
            var category = new LogCategory(0, "kakashi.warmup");
            foreach (var output in _dispatcher.Outputs)
            {
                if (output.Formatter is not (TextFormatter or JsonFormatter)) continue;
                for (int i = 0; i < WarmUpRecords && !_stopping; i++) // a pipeline already shutting down skips the rest
                {
                    payload.Reset();
                    payload.Int32(i).Int64(i * 7L).Double(i + 0.25).String("warm-up");
                    var record = new LogRecord(InternalRecords.WarmUp, category, Microsoft.Extensions.Logging.LogLevel.Information, DateTime.UtcNow, 0, Environment.CurrentManagedThreadId,
                        RecordFlags.None, payload.Payload, payload.Offsets, default);
                    scratch.ResetWrittenCount();
                    var writer = new Utf8Writer(scratch);
                    output.Formatter.Format(in record, ref writer);
                    writer.Commit();
                }
            }
            FormatFailures.Take();
        }
        catch (Exception e)
        {
            ToStderr("drain warm-up", e); // never fatal
        }
    }

    private void Run()
    {
        int idle = 0;
        long lastHousekeeping = Stopwatch.GetTimestamp();
        if (_config.WarmUp) WarmUp();
        try
        {
            while (true)
            {
                bool stopping = _stopping;
                int processed;
                // a synchronous pipeline's callers run the same pass under this lock (PumpSynchronously); an asynchronous one never takes it
                if (_synchronous) _syncLock.Enter();
                try
                {
                    processed = DrainAvailable();
                    if (processed > 0) idle = 0;
                    if (_own.HasProblems) _own.WriteProblems();
                    if (!_flushRequests.IsEmpty) ServeFlushRequests();
                    if (stopping)
                    {
                        FinalDrain();
                        break;
                    }
                    if (Stopwatch.GetElapsedTime(lastHousekeeping).TotalMilliseconds >= 100)
                    {
                        lastHousekeeping = Stopwatch.GetTimestamp();
                        Housekeeping();
                    }
                    Volatile.Write(ref _allocated, GC.GetAllocatedBytesForCurrentThread());
                    if (processed == 0) _dispatcher.SealAll();
                }
                finally
                {
                    if (_synchronous) _syncLock.Exit();
                }
                if (processed == 0) Wait(idle++);
            }
        }
        catch (Exception e)
        {
            ToStderr("drain", e);
        }
        finally
        {
            CloseStages();
            _pipeline.OnDrainStopped();
            while (_flushRequests.TryDequeue(out var request)) request.SignalAll();
            _finished = true;
            _completion.TrySetResult();
        }
    }

    private void Housekeeping()
    {
        _clock.Recalibrate();
        if (_clock.Version != _clockVersion)
        {
            _clockVersion = _clock.Version;
            _decoder.Clock = _clock.Current;
            foreach (var output in _dispatcher.Outputs) output.Binary?.SetClock(_clock.Current);
        }
        _rings.RetireDeadBuffers();
        _own.ReportDrops(_rings.TotalDrops(), force: false);
        _own.ReportSuppressed(force: false);
        SyncBooks();
        foreach (var stage in _stages) stage.Tick();
    }

    private void Wait(int idle)
    {
        switch (_config.WaitStrategy)
        {
            case DrainWaitStrategy.Spin:
                Thread.SpinWait(20);
                return;
            case DrainWaitStrategy.Yield:
                Thread.Yield();
                return;
            case DrainWaitStrategy.Sleep:
                Thread.Sleep(1);
                return;
            default:
                if (idle < 16) Thread.SpinWait(30);
                else if (idle < 32) Thread.Yield();
                else if (idle < 100) Thread.Sleep(1);
                else
                {
                    // parked: a 5 ms timeout bounds how many records a burst after a quiet spell can pile up before the
                    // drain looks again; after a quarter second of nothing, 20 ms (a timed wake-up costs ~35 us of CPU in a VM: 200 a
                    // second were ~0.7-1 % of a core, 50 are ~0.2 %). A producer whose ring fills wakes the drain at once.
                    _wake.Wait(idle < 150 ? 5 : 20);
                    _wake.Reset();
                }
                return;
        }
    }

    /// <summary>
    /// Stop: the pipeline no longer accepts records. Every producer that saw it still accepting has marked itself inside
    /// a record (<see cref="ThreadBuffer.EnterRecord"/>); after a process-wide barrier those marks are visible here, so the
    /// drain keeps reading until no ring is being written and all are empty — whether the producer was preempted for a
    /// microsecond or a second. A producer stuck past the shutdown timeout is given up on: what it publishes later is
    /// counted in <see cref="AsyncMetrics.LogsLost"/>.
    /// </summary>
    private void FinalDrain()
    {
        Interlocked.MemoryBarrierProcessWide();
        long deadline = Stopwatch.GetTimestamp() + (long)(_config.ShutdownTimeout.TotalSeconds * Stopwatch.Frequency);
        int idle = 0;
        while (true)
        {
            if (DrainAvailable() > 0)
            {
                idle = 0;
                continue;
            }
            if (!_rings.AnyProducerInRecord())
            {
                if (DrainAvailable() == 0) break; // a record published just before its producer left is read here
                continue;
            }
            if (Stopwatch.GetTimestamp() > deadline) break;
            if (++idle < 50) Thread.Yield();
            else Thread.Sleep(1);
        }
        if (_own.HasProblems) _own.WriteProblems();
        _own.ReportDrops(_rings.TotalDrops(), force: true);
        ServeFlushRequests(final: true);
    }

    private void ServeFlushRequests(bool final = false)
    {
        // everything published before the requests were made is below the current published positions
        var (buffers, targets) = _rings.PublishedNow();
        int pending = _flushRequests.Count;
        while (true)
        {
            bool reached = true;
            for (int i = 0; i < buffers.Length; i++) if (buffers[i].ReadPos < targets[i]) { reached = false; break; }
            if (reached) break;
            DrainAvailable();
        }
        if (!final) _own.ReportDrops(_rings.TotalDrops(), force: true);
        _own.ReportSuppressed(force: true);
        _dispatcher.SealAll();
        SyncBooks();
        if (final && pending == 0)
        {
            _dispatcher.SendFlush(new FlushRequest(_stages.Length));
            return;
        }
        for (int i = 0; i < pending && _flushRequests.TryDequeue(out var request); i++) _dispatcher.SendFlush(request);
    }

    // ------------------------------------------------------------------ reading

    /// <summary>Processes up to <see cref="AsyncPipelineConfig.MaxBatchRecords"/> published records, merged by timestamp.</summary>
    private int DrainAvailable()
    {
        var rings = _rings;
        if (rings.Begin() == 0)
        {
            rings.Release();
            return 0;
        }
        // the fill as the pass starts; the warning goes out after the pass, behind the records it talks about
        int filling = _own.MayWarnFilling ? rings.FirstAbove(_settings.WarningThreshold) : -1;
        long fillingBytes = filling >= 0 ? rings.Backlog(filling) : 0;
        long fillingCapacity = filling >= 0 ? rings.InSnapshot(filling).Capacity : 0;

        int max = _config.MaxBatchRecords;
        int count = 0;
        while (count < max && rings.TryNext(out var buffer, out byte* record, out int index))
        {
            if (_dispatcher.NeedsRoom)
            {
                rings.Release(); // give the space back before a stage may hold the drain
                _dispatcher.SealFull();
                rings.Refresh(); // while a stage held the drain, it may have skipped records for drop-oldest/priority callers
                if (!rings.TryNext(out buffer, out record, out index)) break;
            }
            int stride = Process(buffer, record);
            rings.Advance(index, stride);
            count++;
            if ((count & 1023) == 0) rings.Release();
        }
        rings.Release();
        _processed += count;
        _formatErrors += FormatFailures.Take();
        if (filling >= 0) _own.WarnFilling(fillingBytes, fillingCapacity);
        if (_dispatcher.HasUncountedFailures) SyncBooks();
        _dispatcher.SealDue();
        return count;
    }

    /// <summary>Decodes one record and runs it through the processor; returns its aligned size.</summary>
    private int Process(ThreadBuffer buffer, byte* p)
    {
        int length = *(int*)p;
        int objectCount = p[RecordLayout.ObjectsOffset];
        var objects = _objects.AsSpan(0, Math.Min(objectCount, _objects.Length));
        for (int i = 0; i < objectCount; i++)
        {
            object? o = buffer.TakeObject();
            if (i < objects.Length) objects[i] = o;
        }
        try
        {
            if (_raw)
            {
                ProcessRaw(buffer, p, length, objects);
                return RecordLayout.Align(length);
            }
            var status = _decoder.TryDecode(new ReadOnlySpan<byte>(p, length), objects, buffer.Owner.Name, out var record);
            if (status != DecodeStatus.Ok)
            {
                _formatErrors++;
                _undecodable++;
                return RecordLayout.Align(length);
            }
            if ((record.Flags & RecordFlags.Truncated) != 0) _truncated++;
            _processor.Process(in record);
        }
        catch (Exception e)
        {
            _formatErrors++;
            _undecodable++;
            ToStderr("decoder", e);
        }
        finally
        {
            if (objectCount > 0) objects.Clear();
        }
        return RecordLayout.Align(length);
    }

    /// <summary>The raw path: every output writes .klog frames, and nothing needs the record decoded.</summary>
    private void ProcessRaw(ThreadBuffer buffer, byte* p, int length, ReadOnlySpan<object?> objects)
    {
        var level = (Microsoft.Extensions.Logging.LogLevel)p[RecordLayout.LevelOffset];
        if ((p[RecordLayout.FlagsOffset] & (byte)RecordFlags.Truncated) != 0) _truncated++;
        string? threadName = buffer.Owner.Name;
        var outputs = _dispatcher.Outputs;
        for (int i = 0; i < outputs.Length; i++)
        {
            var output = outputs[i];
            if (level < output.MinLevel)
            {
                output.LevelFiltered++;
                continue;
            }
            if (!output.Binary!.WriteRaw(p, length, objects, threadName, output.Batches, out _, out _))
            {
                // undecodable (the first output that tries says so: they all read the same bytes and tables): counted
                // failed in every output's books, so not filtered in the ones before it
                for (int k = 0; k < i; k++) if (level < outputs[k].MinLevel) outputs[k].LevelFiltered--;
                _formatErrors++;
                _undecodable++;
                return;
            }
            var batch = output.Batches.Current;
            batch.AddRecord(batch.Length, level);
            output.Formatted++;
        }
    }

    /// <summary>Records that never reached the stages (dropped at the caller or in the ring, filtered, undecodable, failed by a formatter): into every writer's books.</summary>
    private void SyncBooks()
    {
        long drops = _rings.TotalDrops();
        long dropped = drops - _dropsCounted;
        long filtered = _processor.Filtered - _filteredCounted;
        long failed = _undecodable - _undecodableCounted;
        _dropsCounted = drops;
        _filteredCounted += filtered;
        _undecodableCounted += failed;
        _dispatcher.CountUpstream(dropped, filtered, failed);
    }

    // ------------------------------------------------------------------ writers

    private void WatchStages()
    {
        foreach (var stage in _stages)
        {
            try
            {
                stage.Watch();
            }
            catch (Exception e)
            {
                ToStderr("watchdog", e);
            }
        }
    }

    /// <summary>
    /// Hands the last batch to the stages, lets them finish within the shutdown timeout, disposes the writers, and counts what
    /// a writer took but never confirmed as failed. Never throws: it runs on the drain thread, where an exception would end the process.
    /// </summary>
    private void CloseStages()
    {
        try
        {
            _dispatcher.SealAll();
        }
        catch (Exception e)
        {
            ToStderr("drain", e);
        }
        _watchdog.Dispose();
        foreach (var stage in _stages) stage.Close();
        var deadline = Stopwatch.GetTimestamp() + (long)(_config.ShutdownTimeout.TotalSeconds * Stopwatch.Frequency);
        foreach (var stage in _stages)
        {
            try
            {
                var left = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), deadline);
                if (!stage.Completion.IsCompleted && left > TimeSpan.Zero) stage.Completion.Wait(left);
            }
            catch (Exception)
            {
                // a loop that faulted is finished too
            }
        }
        foreach (var stage in _stages)
        {
            try
            {
                if (!stage.Completion.IsCompleted)
                {
                    var m = stage.GetMetrics();
                    ToStderr(stage.Writer.Name, new TimeoutException($"The writer did not finish within the shutdown timeout ({_config.ShutdownTimeout}): {m.Queued} queued records were not written."));
                    stage.Abort();
                    continue;
                }
                var dispose = stage.Writer.DisposeAsync();
                if (!dispose.IsCompletedSuccessfully) dispose.AsTask().Wait(_config.ShutdownTimeout);
            }
            catch (Exception e)
            {
                ToStderr(stage.Writer.Name, e);
            }
            stage.SettleUnconfirmed();
            stage.CloseSpool();
        }
    }

    /// <summary>A writer closed with records it took and never confirmed: they are counted failed, and said on stderr.</summary>
    internal void ReportShutdownLoss(WriterStage stage, long records)
        => ToStderr(stage.Writer.Name, new IOException($"{records} records the writer took were never confirmed written when it closed: counted as failed."));

    private void ToStderr(string source, Exception e)
    {
        if (Interlocked.Increment(ref _stderrReports) > 1000) return; // a writer failing in a loop must not flood stderr
        try
        {
            Console.Error.WriteLine($"[kakashi] {source} failed: {e}");
        }
        catch (Exception)
        {
            // stderr is gone: the error record and the metrics remain
        }
    }
}
