using System;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using Kakashi.Buffers;
using Kakashi.Clock;
using Kakashi.Pipeline;
using Kakashi.Templates;
using Microsoft.Extensions.Logging;

namespace Kakashi;

/// <summary>
/// The logging pipeline: per-thread ring buffers written by generated log methods, one background drain thread that
/// formats records in timestamp order, and the writers. Build it once, create loggers from it, dispose it at shutdown
/// (or let <see cref="AppDomain.ProcessExit"/> do it).
/// </summary>
public sealed class AsyncPipeline : IAsyncDisposable, IDisposable, IRingHost
{
    [ThreadStatic] private static ThreadBuffer? t_buffer;
    [ThreadStatic] private static List<ThreadBuffer>? t_buffers;

    private readonly AsyncPipelineConfig _config;
    private readonly PipelineSettings _settings;
    private readonly Drain _drain;
    private readonly Lock _loggersLock = new();
    private readonly Dictionary<string, KakashiLogger> _loggers = new(StringComparer.Ordinal);
    // every logger handed out (KakashiLogger<T> instances share a category with the pipeline's own): SetLevels updates each
    private readonly List<KakashiLogger> _allLoggers = new();
    private readonly EventHandler? _onProcessExit;
    private readonly UnhandledExceptionEventHandler? _onUnhandled;
    private readonly System.Runtime.InteropServices.PosixSignalRegistration? _sigterm;
    private readonly CallerContext _capture;
    private CategoryLevels _levels;

    // Read on every logging call: false once shutdown begins.
    private volatile bool _accepting = true;
    private volatile bool _drainRunning;
    private long _rejected;
    private long _loggingErrors;
    private int _disposeStarted;

    /// <summary>Validates <paramref name="config"/>, opens the writers and starts the drain thread.</summary>
    /// <exception cref="ArgumentException">A configuration value is invalid; the message names the property and the allowed range.</exception>
    public AsyncPipeline(AsyncPipelineConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        _settings = config.Validate(); // every option, writers' own included, before anything is opened
        _config = config;
        _levels = new CategoryLevels(config.MinLevel, config.CategoryLevels);
        foreach (var enricher in config.Enrichers) if (enricher is ICallerContextEnricher caller) _capture |= caller.Captures;
        var writers = new LogWriter[config.Writers.Count];
        config.Writers.CopyTo(writers, 0);
        _drain = new Drain(this, writers, config, _settings);
        int opened = 0;
        try
        {
            for (; opened < writers.Length; opened++)
            {
                var stage = _drain.Stages[opened];
                var context = new WriterContext(stage, $"Writers[{opened}]", config.FlushInterval, config.TimeProvider);
                writers[opened].Context = context;
                writers[opened].Open(context);
                stage.OpenSpool();
            }
        }
        catch
        {
            // a failed setup closes what it opened: the writers can be configured again
            for (int i = 0; i <= opened && i < writers.Length; i++)
            {
                try
                {
                    _drain.Stages[i].CloseSpool();
                    if (i < opened) writers[i].DisposeAsync().AsTask().GetAwaiter().GetResult();
                }
                catch (Exception)
                {
                    // the setup error is the one to report
                }
                writers[i].Context = null;
            }
            throw;
        }
        _drainRunning = true;
        _drain.Start();
        if (config.FlushOnProcessExit)
        {
            _onProcessExit = (_, _) => Dispose();
            AppDomain.CurrentDomain.ProcessExit += _onProcessExit;
            _onUnhandled = (_, _) => Dispose(); // best effort: drain what the rings hold before the process dies
            AppDomain.CurrentDomain.UnhandledException += _onUnhandled;
            if (!OperatingSystem.IsBrowser() && !OperatingSystem.IsWasi())
            {
                try
                {
                    _sigterm = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, _ => Dispose());
                }
                catch (PlatformNotSupportedException)
                {
                    // ProcessExit still covers a graceful termination
                }
            }
        }
        KakashiMeter.Register(this);
    }

    /// <summary>The pipeline's name (<see cref="AsyncPipelineConfig.Name"/>).</summary>
    public string Name => _config.Name;

    /// <summary>The configuration this pipeline was built with.</summary>
    public AsyncPipelineConfig Config => _config;

    /// <summary>False once shutdown has begun: later logging calls are counted in <see cref="AsyncMetrics.LogsRejected"/> and ignored.</summary>
    public bool IsAccepting => _accepting;

    /// <summary>Returns the logger for <paramref name="category"/> (one instance per category).</summary>
    public KakashiLogger CreateLogger(string category)
    {
        ArgumentNullException.ThrowIfNull(category);
        lock (_loggersLock)
        {
            if (_loggers.TryGetValue(category, out var existing)) return existing;
            var info = new LogCategory(_loggers.Count, category);
            _categories.Add(info);
            var logger = new KakashiLogger(this, info, _levels.For(category));
            _loggers.Add(category, logger);
            _allLoggers.Add(logger);
            return logger;
        }
    }

    /// <summary>The category and current minimum level for a <see cref="KakashiLogger{T}"/>, which is then kept up to date by <see cref="SetLevels"/>.</summary>
    internal (LogCategory Category, LogLevel Level) Attach(KakashiLogger logger, string category)
    {
        lock (_loggersLock)
        {
            var shared = CreateLogger(category);
            _allLoggers.Add(logger);
            return (shared.CategoryInfo, shared.MinLevel);
        }
    }

    /// <summary>
    /// Changes the minimum levels while the pipeline runs (a configuration reload): every logger's level check sees the new
    /// level at its next call; no record is lost or reordered. <see cref="AsyncPipelineConfig.MinLevel"/> and
    /// <see cref="AsyncPipelineConfig.CategoryLevels"/> are updated to the new values.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A level is not a <see cref="LogLevel"/> from Trace to None.</exception>
    public void SetLevels(LogLevel minLevel, IDictionary<string, LogLevel>? categoryLevels = null)
    {
        var rules = new Dictionary<string, LogLevel>(categoryLevels ?? new Dictionary<string, LogLevel>(), StringComparer.Ordinal);
        if (minLevel is < LogLevel.Trace or > LogLevel.None) throw new ArgumentOutOfRangeException(nameof(minLevel), minLevel, "MinLevel must be a LogLevel from Trace to None.");
        foreach (var pair in rules)
        {
            ArgumentNullException.ThrowIfNull(pair.Key, nameof(categoryLevels));
            if (pair.Value is < LogLevel.Trace or > LogLevel.None)
                throw new ArgumentOutOfRangeException(nameof(categoryLevels), pair.Value, $"CategoryLevels[\"{pair.Key}\"] must be a LogLevel from Trace to None.");
        }
        lock (_loggersLock)
        {
            var levels = new CategoryLevels(minLevel, rules);
            _levels = levels;
            _config.MinLevel = minLevel;
            _config.CategoryLevels = rules;
            foreach (var logger in _allLoggers) Volatile.Write(ref logger._minLevel, (int)levels.For(logger.Category));
        }
    }

    /// <summary>The pipeline's categories by id (what the <c>LoggerId</c> of its records refers to).</summary>
    public CategoryTable Categories => _categories;

    private readonly CategoryTable _categories = new();

    /// <summary>The clock calibration the drain converts raw timestamps with now (it is refreshed about once a second).</summary>
    public Clock.ClockCalibration ClockCalibration => _drain.Clock.Calibration;

    /// <summary>
    /// What a decoder needs to read this pipeline's raw records elsewhere: every template of the process, the pipeline's
    /// categories, its logging threads' names and the current clock calibration.
    /// </summary>
    public LogManifest ExportManifest()
    {
        var manifest = new LogManifest(TemplateRegistry.Shared, _categories, ClockCalibration);
        foreach (var (id, name) in _drain.Rings.ThreadNames()) manifest.AddThread(id, name);
        return manifest;
    }

    /// <summary>Returns the logger whose category is the full name of <typeparamref name="T"/>.</summary>
    public KakashiLogger CreateLogger<T>() => CreateLogger(typeof(T).FullName ?? typeof(T).Name);

    /// <summary>
    /// Completes when every record accepted before the call has been formatted, handed to every writer and flushed
    /// (and fsynced where the writer's policy says so). A writer marked hung is not waited for. The report of records
    /// dropped since the last report is written first, so the reported counts add up to <see cref="AsyncMetrics.LogsDropped"/>.
    /// </summary>
    public Task FlushAllAsync(CancellationToken cancellationToken = default)
    {
        if (!_drainRunning) return Task.CompletedTask;
        return _drain.RequestFlush(cancellationToken);
    }

    /// <summary>The drain copies records to .klog writers without decoding them (tests).</summary>
    internal bool UsesRawBinaryPath => _drain.UsesRawBinaryPath;

    /// <summary>Current counters.</summary>
    public AsyncMetrics GetMetrics() => _drain.GetMetrics(Interlocked.Read(ref _rejected), Interlocked.Read(ref _loggingErrors));

    // ------------------------------------------------------------------ logging path

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal unsafe RecordWriter BeginRecord(KakashiLogger logger, LogTemplate template, LogLevel level, long payloadSize)
    {
        var buffer = t_buffer;
        if (buffer is null || (object)buffer.Host != this) buffer = GetThreadBufferSlow();
        // the mark goes before the accepting check: shutdown waits for records begun while it was still accepting
        if (buffer is null || !EnterRecord(buffer)) return Reject(buffer);

        // the fast path stays in 32-bit arithmetic, and nothing here takes a local's address (the JIT then keeps the sizes
        // and the returned writer in registers); a payload past the limit, however large (sizes are 64-bit), is cut in Oversize
        int size = RecordLayout.HeaderSize + (int)payloadSize;
        int excess = 0;
        if ((ulong)payloadSize > (ulong)(buffer.MaxRecordSize - RecordLayout.HeaderSize))
        {
            excess = Oversize(buffer, template, payloadSize);
            if (excess < 0) return default;
            size = buffer.MaxRecordSize;
        }
        byte* p = buffer.Claim(RecordLayout.Align(size), (int)level);
        if (p == null) return default; // dropped by the backpressure strategy, or the pipeline stopped: counted where it happened

        Unsafe.WriteUnaligned(p + RecordLayout.TemplateIdOffset, template.Id);
        Unsafe.WriteUnaligned(p + RecordLayout.TimestampOffset, KakashiClock.GetTimestamp());
        Unsafe.WriteUnaligned(p + RecordLayout.LoggerIdOffset, logger._id);
        Unsafe.WriteUnaligned(p + RecordLayout.ThreadIdOffset, buffer.ThreadId);
        // level, flags (none yet), objects (set at commit) and version in one store
        Unsafe.WriteUnaligned(p + RecordLayout.LevelOffset, (uint)(byte)level | ((uint)RecordLayout.FormatVersion << 24));
        int objects = _capture == CallerContext.None ? 0 : CaptureContext(buffer, p);
        return new RecordWriter(buffer, p, excess, objects);
    }

    /// <summary>Stores the caller's scope and activity references in the ring's object slots (only when an enricher needs them).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private unsafe int CaptureContext(ThreadBuffer buffer, byte* header)
    {
        int objects = 0;
        if ((_capture & CallerContext.Scope) != 0 && buffer.TryStoreObject(LogScope.Current, objects))
        {
            objects++;
            header[RecordLayout.FlagsOffset] |= (byte)RecordFlags.HasScope;
        }
        if ((_capture & CallerContext.Activity) != 0 && buffer.TryStoreObject(System.Diagnostics.Activity.Current, objects))
        {
            objects++;
            header[RecordLayout.FlagsOffset] |= (byte)RecordFlags.HasActivity;
        }
        return objects;
    }

    /// <summary>
    /// A record larger than the ring allows: cut it to the limit and return the excess its strings must shed (saturated at
    /// int.MaxValue: see <see cref="RecordWriter"/>). Strings and caller-formatted text can be cut; fixed-size values cannot:
    /// a record whose fixed part alone exceeds the limit is refused (-1, counted as a logging error) rather than written
    /// past its claim.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private int Oversize(ThreadBuffer buffer, LogTemplate template, long payloadSize)
    {
        int size = buffer.MaxRecordSize;
        if (payloadSize < 0 || RecordLayout.HeaderSize + template.MinPayloadSize > size)
        {
            OnLoggingError(new InvalidOperationException(
                $"A record of {template.Method} was refused: its fixed-size arguments need {RecordLayout.HeaderSize + template.MinPayloadSize} bytes, more than half the thread's buffer ({buffer.MaxRecordSize} bytes); raise BufferSize."));
            return -1;
        }
        long excess = RecordLayout.HeaderSize + payloadSize - size;
        return excess < int.MaxValue ? (int)excess : int.MaxValue;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool EnterRecord(ThreadBuffer buffer)
    {
        buffer.EnterRecord();
        return _accepting;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private RecordWriter Reject(ThreadBuffer? buffer)
    {
        buffer?.ExitRecord();
        CountRejected();
        return default;
    }

    internal void CountRejected() => Interlocked.Increment(ref _rejected);

    [MethodImpl(MethodImplOptions.NoInlining)]
    private ThreadBuffer? GetThreadBufferSlow()
    {
        if (!_accepting) return null;
        var list = t_buffers ??= new List<ThreadBuffer>();
        ThreadBuffer? found = null;
        for (int i = list.Count - 1; i >= 0; i--)
        {
            var candidate = list[i];
            if ((object)candidate.Host == this) found = candidate;
            else if (!candidate.Host.CanProducerWait) list.RemoveAt(i); // forget buffers of pipelines that are gone
        }
        if (found is null)
        {
            found = new ThreadBuffer(this, PinnedRingMemory.Allocate(_settings.BufferSize), _config.ObjectSlots, Thread.CurrentThread,
                new BackpressurePolicy(_settings.Strategy, _settings.BufferSize, _settings.DropThreshold), _config.Synchronous);
            _drain.Register(found);
            list.Add(found);
        }
        t_buffer = found;
        return found;
    }

    internal long DrainAllocatedBytes => _drain.AllocatedBytes;

    internal long BatchesMade => _drain.BatchesMade;

    internal void OnLoggingError(Exception exception)
    {
        var buffer = t_buffer;
        if (buffer is not null && (object)buffer.Host == this) buffer.ExitRecord(); // the call failed between claim and publish
        try
        {
            if (Interlocked.Increment(ref _loggingErrors) <= 100) Console.Error.WriteLine($"[kakashi] a logging call failed and was skipped: {exception}");
        }
        catch (Exception)
        {
            // the error channel itself failed: the call still must not throw
        }
    }

    /// <summary>A producer may wait for space only while the drain is running to free it.</summary>
    bool IRingHost.CanProducerWait => _drainRunning;

    void IRingHost.WakeConsumer() => _drain.Wake();

    void IRingHost.CountRejected() => CountRejected();

    void IRingHost.PumpSynchronously()
    {
        try
        {
            _drain.PumpSynchronously();
        }
        catch (Exception e)
        {
            OnLoggingError(e); // a logging call never throws, synchronous or not
        }
    }

    /// <summary>True when records are formatted and written on the calling thread (<see cref="AsyncPipelineConfig.Synchronous"/>).</summary>
    public bool IsSynchronous => _config.Synchronous;

    // ------------------------------------------------------------------ shutdown

    /// <summary>Stops accepting records: later logging calls are counted and ignored, never throw.</summary>
    public void StopAccepting() => _accepting = false;

    /// <summary>
    /// Graceful shutdown: stop accepting, drain every ring, flush and close the writers. Never throws: a writer that does not
    /// finish within <see cref="AsyncPipelineConfig.ShutdownTimeout"/> is abandoned and what it did not write is reported on
    /// stderr and in <see cref="AsyncMetrics.Writers"/>.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            if (Interlocked.Exchange(ref _disposeStarted, 1) == 0) BeginShutdown();
            var completion = _drain.Completion;
            if (await Task.WhenAny(completion, Task.Delay(ShutdownBudget)).ConfigureAwait(false) != completion) ShutdownTimedOut();
        }
        catch (Exception e)
        {
            ShutdownFailed(e);
        }
        _drainRunning = false;
    }

    /// <summary>Synchronous <see cref="DisposeAsync"/>.</summary>
    public void Dispose()
    {
        try
        {
            if (Interlocked.Exchange(ref _disposeStarted, 1) == 0) BeginShutdown();
            if (!_drain.Completion.Wait(ShutdownBudget)) ShutdownTimedOut();
        }
        catch (Exception e)
        {
            ShutdownFailed(e);
        }
        _drainRunning = false;
    }

    // the drain gets the timeout for its final pass (producers still inside a call) and for the writers, plus a margin;
    // ShutdownTimeout is validated to at most an hour, so this never overflows a timer
    private TimeSpan ShutdownBudget => _config.ShutdownTimeout * 2 + TimeSpan.FromSeconds(1);

    private static void ShutdownFailed(Exception e)
    {
        try
        {
            Console.Error.WriteLine($"[kakashi] shutdown failed: {e}");
        }
        catch (Exception)
        {
            // nothing more to report to
        }
    }

    private static void ShutdownTimedOut()
    {
        try
        {
            Console.Error.WriteLine("[kakashi] shutdown did not complete within the shutdown timeout; records still queued were not written (see GetMetrics().Writers).");
        }
        catch (Exception)
        {
            // nothing more to report to
        }
    }

    /// <summary>
    /// Stops accepting, drains every ring, flushes and closes the writers (what <see cref="DisposeAsync"/> does), waiting at most
    /// <see cref="AsyncPipelineConfig.ShutdownTimeout"/> for the writers. Never throws.
    /// </summary>
    public ValueTask CloseWritersAsync() => DisposeAsync();

    private void BeginShutdown()
    {
        if (_onProcessExit is not null) AppDomain.CurrentDomain.ProcessExit -= _onProcessExit;
        if (_onUnhandled is not null) AppDomain.CurrentDomain.UnhandledException -= _onUnhandled;
        _sigterm?.Dispose();
        KakashiMeter.Unregister(this);
        _accepting = false;
        _drain.Stop();
    }

    internal void OnDrainStopped() => _drainRunning = false;
}
