using System;
using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Threading;
using System.Threading.Tasks;
using Kakashi.Buffers;
using Kakashi.Clock;
using Kakashi.Templates;
using Microsoft.Extensions.Logging;

namespace Kakashi.Pipeline;

/// <summary>
/// The single consumer: one dedicated thread that reads every thread buffer in batches, merges records by timestamp,
/// formats them straight into the writers' memory and tells the writers when a batch ends. It allocates nothing per
/// record in steady state.
/// </summary>
/// <remarks>
/// Ordering: records of one thread keep their order (one SPSC ring per thread). Across threads the drain does a k-way
/// merge on the raw timestamps of the records visible when it looks; a record whose timestamp was taken before but
/// published after a later record of another thread was formatted (a window of the order of the publish delay, tens of
/// nanoseconds, longer only if the producer is preempted in between) comes out after it.
/// </remarks>
internal sealed unsafe class Drain
{
    private readonly AsyncPipeline _pipeline;
    private readonly LogFormatter _formatter;
    private readonly LogWriter[] _writers;
    private readonly AsyncPipelineConfig _config;
    private readonly ClockConverter _clock = new();
    private readonly ArrayBufferWriter<byte>? _fanOut;
    private readonly Thread _thread;
    private readonly ConcurrentQueue<TaskCompletionSource> _flushRequests = new();
    private readonly ManualResetEventSlim _wake = new(false);
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Lock _registryLock = new();
    private readonly object?[] _objects = new object?[64];
    private int[] _offsets = new int[64];
    private LogTemplate? _lastTemplate;
    private KakashiLogger? _lastLogger;

    private ThreadBuffer[] _buffers = [];
    private long[] _limits = [];
    private long[] _heads = [];
    private volatile bool _stopping;

    // counters (written by the drain thread, read racily by GetMetrics)
    private long _processed;
    private long _truncated;
    private long _acceptedByRetired;
    private long _flushes;
    private long _flushTicks;
    private long _writerErrors;
    private long _formatErrors;
    private long _allocated;

    /// <summary>Bytes the drain thread has allocated since it started (tests prove the steady state allocates nothing).</summary>
    internal long AllocatedBytes => Volatile.Read(ref _allocated);

    public Drain(AsyncPipeline pipeline, LogFormatter formatter, LogWriter[] writers, AsyncPipelineConfig config)
    {
        _pipeline = pipeline;
        _formatter = formatter;
        _writers = writers;
        _config = config;
        if (writers.Length > 1) _fanOut = new ArrayBufferWriter<byte>(256 * 1024);
        _thread = new Thread(Run) { IsBackground = true, Name = "Kakashi drain" };
    }

    public Task Completion => _completion.Task;

    public void Start() => _thread.Start();

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

    public void Wake() => _wake.Set();

    public void Stop()
    {
        _stopping = true;
        _wake.Set();
    }

    public Task RequestFlush(CancellationToken cancellationToken)
    {
        var request = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _flushRequests.Enqueue(request);
        _wake.Set();
        if (_completion.Task.IsCompleted) request.TrySetResult(); // raced with shutdown, which flushed everything
        return cancellationToken.CanBeCanceled ? request.Task.WaitAsync(cancellationToken) : request.Task;
    }

    public AsyncMetrics GetMetrics(long rejected, long producerWaits, long loggingErrors)
    {
        var buffers = Volatile.Read(ref _buffers);
        long accepted = Volatile.Read(ref _acceptedByRetired), fill = 0, capacity = 0;
        foreach (var b in buffers)
        {
            accepted += b.Accepted;
            fill += b.Fill;
            capacity += b.Capacity;
        }
        long flushes = Volatile.Read(ref _flushes);
        return new AsyncMetrics
        {
            LogsAccepted = accepted,
            LogsProcessed = Volatile.Read(ref _processed),
            LogsRejected = rejected,
            LoggingErrors = loggingErrors,
            LogsTruncated = Volatile.Read(ref _truncated),
            ProducerWaits = producerWaits,
            BufferSize = fill,
            BufferCapacity = capacity,
            ThreadBuffers = buffers.Length,
            FlushCount = flushes,
            WriterErrors = Volatile.Read(ref _writerErrors),
            FormatErrors = Volatile.Read(ref _formatErrors),
            AverageFlushTime = flushes == 0 ? TimeSpan.Zero : Stopwatch.GetElapsedTime(0, Volatile.Read(ref _flushTicks) / flushes),
        };
    }

    // ------------------------------------------------------------------ the loop

    private void Run()
    {
        int idle = 0;
        long lastHousekeeping = Stopwatch.GetTimestamp();
        try
        {
            while (true)
            {
                bool stopping = _stopping;
                int processed = DrainAvailable();
                if (processed > 0)
                {
                    idle = 0;
                    NotifyBatch();
                }
                if (!_flushRequests.IsEmpty) ServeFlushRequests();
                if (stopping)
                {
                    FinalDrain();
                    break;
                }
                if (Stopwatch.GetElapsedTime(lastHousekeeping).TotalMilliseconds >= 100)
                {
                    lastHousekeeping = Stopwatch.GetTimestamp();
                    NotifyBatch(); // lets writers flush on their interval
                    _clock.Recalibrate();
                    RetireDeadBuffers();
                }
                Volatile.Write(ref _allocated, GC.GetAllocatedBytesForCurrentThread());
                if (processed == 0) Wait(idle++);
            }
        }
        catch (Exception e)
        {
            ReportError("drain", e);
        }
        finally
        {
            CloseWriters();
            _pipeline.OnDrainStopped();
            while (_flushRequests.TryDequeue(out var request)) request.TrySetResult();
            _completion.TrySetResult();
        }
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
                    _wake.Wait(50);
                    _wake.Reset();
                }
                return;
        }
    }

    /// <summary>Stop: keep draining until the buffers stay empty across a short grace period (in-flight producers), then flush.</summary>
    private void FinalDrain()
    {
        int quiet = 0;
        while (quiet < 3)
        {
            if (DrainAvailable() > 0)
            {
                NotifyBatch();
                quiet = 0;
            }
            else
            {
                quiet++;
                Thread.Sleep(1);
            }
        }
        FlushWriters();
        ServeFlushRequests();
    }

    private void ServeFlushRequests()
    {
        // Everything published before the requests were made is below the current published positions.
        var buffers = Volatile.Read(ref _buffers);
        Span<long> targets = buffers.Length <= 128 ? stackalloc long[buffers.Length] : new long[buffers.Length];
        for (int i = 0; i < buffers.Length; i++) targets[i] = buffers[i].ReadPublished();
        int pending = _flushRequests.Count;
        while (true)
        {
            bool reached = true;
            for (int i = 0; i < buffers.Length; i++) if (buffers[i].ReadPos < targets[i]) { reached = false; break; }
            if (reached) break;
            if (DrainAvailable() > 0) NotifyBatch();
        }
        FlushWriters();
        for (int i = 0; i < pending && _flushRequests.TryDequeue(out var request); i++) request.TrySetResult();
    }

    // ------------------------------------------------------------------ reading

    /// <summary>Formats up to <see cref="AsyncPipelineConfig.MaxBatchRecords"/> published records, merged by timestamp.</summary>
    private int DrainAvailable()
    {
        var buffers = Volatile.Read(ref _buffers);
        int k = buffers.Length;
        if (k == 0) return 0;
        if (_limits.Length < k)
        {
            _limits = new long[k * 2];
            _heads = new long[k * 2];
        }
        var limits = _limits;
        var heads = _heads;
        int live = 0;
        for (int i = 0; i < k; i++)
        {
            limits[i] = buffers[i].ReadPublished();
            heads[i] = Peek(buffers[i], limits[i]);
            if (heads[i] != long.MaxValue) live++;
        }
        if (live == 0) return 0;

        IBufferWriter<byte> target = _fanOut ?? _writers[0].Output;
        var output = new Utf8Writer(target);
        int max = _config.MaxBatchRecords;
        int count = 0;
        while (count < max)
        {
            int pick = -1;
            long best = long.MaxValue;
            for (int i = 0; i < k; i++)
            {
                if (heads[i] < best)
                {
                    best = heads[i];
                    pick = i;
                }
            }
            if (pick < 0) break;
            var buffer = buffers[pick];
            int stride = Process(buffer, ref output);
            buffer.ReadPos += stride;
            heads[pick] = Peek(buffer, limits[pick]);
            if ((++count & 1023) == 0) Release(buffers, k);
        }
        output.Commit();
        Release(buffers, k);
        _processed += count;

        if (_fanOut is not null && _fanOut.WrittenCount > 0)
        {
            foreach (var writer in _writers)
            {
                try
                {
                    var o = writer.Output;
                    var span = o.GetSpan(_fanOut.WrittenCount);
                    _fanOut.WrittenSpan.CopyTo(span);
                    o.Advance(_fanOut.WrittenCount);
                }
                catch (Exception e)
                {
                    _writerErrors++;
                    ReportError(writer.Name, e);
                }
            }
            _fanOut.ResetWrittenCount();
        }
        return count;
    }

    private static void Release(ThreadBuffer[] buffers, int k)
    {
        for (int i = 0; i < k; i++) buffers[i].ReleaseConsumed();
    }

    /// <summary>The timestamp of the next record of <paramref name="buffer"/>, skipping the unused tail; MaxValue when none.</summary>
    private static long Peek(ThreadBuffer buffer, long limit)
    {
        while (buffer.ReadPos < limit)
        {
            byte* p = buffer.Base + (buffer.ReadPos & buffer.Mask);
            int length = *(int*)p;
            if (length == RecordLayout.SkipMarker)
            {
                buffer.ReadPos += buffer.Capacity - (buffer.ReadPos & buffer.Mask);
                continue;
            }
            return *(long*)(p + RecordLayout.TimestampOffset);
        }
        return long.MaxValue;
    }

    /// <summary>Decodes and formats one record; returns its aligned size.</summary>
    private int Process(ThreadBuffer buffer, ref Utf8Writer output)
    {
        byte* p = buffer.Base + (buffer.ReadPos & buffer.Mask);
        int length = *(int*)p;
        int objectCount = *(ushort*)(p + RecordLayout.ObjectsOffset);
        var objects = _objects.AsSpan(0, Math.Min(objectCount, _objects.Length));
        for (int i = 0; i < objectCount; i++)
        {
            object? o = buffer.TakeObject();
            if (i < objects.Length) objects[i] = o;
        }
        try
        {
            int templateId = *(int*)(p + RecordLayout.TemplateIdOffset);
            var template = _lastTemplate;
            if (template is null || template.Id != templateId) _lastTemplate = template = LogTemplate.FromId(templateId);
            int loggerId = *(int*)(p + RecordLayout.LoggerIdOffset);
            var logger = _lastLogger;
            if (logger is null || logger._id != loggerId) _lastLogger = logger = _pipeline.LoggerFromId(loggerId);
            if (template is null || logger is null)
            {
                _formatErrors++;
                return RecordLayout.Align(length);
            }
            var flags = (RecordFlags)p[RecordLayout.FlagsOffset];
            if ((flags & RecordFlags.Truncated) != 0) _truncated++;
            var payload = new ReadOnlySpan<byte>(p + RecordLayout.HeaderSize, length - RecordLayout.HeaderSize);
            int[] offsets;
            if (template.AllFixed)
            {
                offsets = template.FixedOffsets;
            }
            else
            {
                var args = template.Args;
                if (args.Length > _offsets.Length) _offsets = new int[args.Length];
                offsets = _offsets;
                int offset = 0;
                for (int i = 0; i < args.Length; i++)
                {
                    offsets[i] = offset;
                    var codec = args[i].Codec;
                    int fixedLength = codec.FixedLength;
                    offset += fixedLength >= 0 ? fixedLength : codec.GetLength(payload[offset..]);
                }
            }
            long raw = *(long*)(p + RecordLayout.TimestampOffset);
            var record = new LogRecord(template, logger, (LogLevel)p[RecordLayout.LevelOffset], _clock.ToUtc(raw), raw,
                *(int*)(p + RecordLayout.ThreadIdOffset), flags, payload, offsets, objects);
            _formatter.Format(in record, ref output);
        }
        catch (Exception e)
        {
            _formatErrors++;
            ReportError("formatter", e);
        }
        finally
        {
            objects.Clear();
        }
        return RecordLayout.Align(length);
    }

    // ------------------------------------------------------------------ writers

    private void NotifyBatch()
    {
        foreach (var writer in _writers)
        {
            try
            {
                long start = Stopwatch.GetTimestamp();
                var pending = writer.OnBatchWrittenAsync(CancellationToken.None);
                if (!pending.IsCompletedSuccessfully)
                {
                    pending.AsTask().GetAwaiter().GetResult();
                    _flushes++;
                    _flushTicks += Stopwatch.GetTimestamp() - start;
                }
            }
            catch (Exception e)
            {
                _writerErrors++;
                ReportError(writer.Name, e);
            }
        }
    }

    private void FlushWriters()
    {
        foreach (var writer in _writers)
        {
            try
            {
                long start = Stopwatch.GetTimestamp();
                var pending = writer.FlushAsync(CancellationToken.None);
                if (!pending.IsCompletedSuccessfully) pending.AsTask().GetAwaiter().GetResult();
                _flushes++;
                _flushTicks += Stopwatch.GetTimestamp() - start;
            }
            catch (Exception e)
            {
                _writerErrors++;
                ReportError(writer.Name, e);
            }
        }
    }

    private void CloseWriters()
    {
        foreach (var writer in _writers)
        {
            try
            {
                writer.DisposeAsync().AsTask().GetAwaiter().GetResult();
            }
            catch (Exception e)
            {
                _writerErrors++;
                ReportError(writer.Name, e);
            }
        }
    }

    private void RetireDeadBuffers()
    {
        var buffers = Volatile.Read(ref _buffers);
        foreach (var b in buffers)
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
                _acceptedByRetired += b.Accepted;
                Volatile.Write(ref _buffers, next);
            }
        }
    }

    private static void ReportError(string source, Exception e)
    {
        try
        {
            Console.Error.WriteLine($"[kakashi] {source} failed: {e}");
        }
        catch (Exception)
        {
            // stderr is gone: nothing more to do
        }
    }
}
