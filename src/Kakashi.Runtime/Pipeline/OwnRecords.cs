using System;
using System.Collections.Concurrent;
using System.Diagnostics;
using Kakashi.Buffers;
using Kakashi.Clock;
using Kakashi.Formatting;
using Kakashi.Templates;
using Microsoft.Extensions.Logging;

namespace Kakashi.Pipeline;

/// <summary>
/// The records the pipeline writes about itself, on the drain thread: drop reports (exact counts since the last one, at
/// most once a second), ring-filling warnings, writer failures (to the other writers) and filter summaries. Each goes
/// through every formatter like an application record, in a batch of its own marked <see cref="LogBatch.IsInternal"/>.
/// </summary>
internal sealed class OwnRecords
{
    private readonly RecordProcessor _processor;
    private readonly BatchDispatcher _dispatcher;
    private readonly ClockConverter _clock;
    private readonly PayloadBuilder _payload = new();
    private readonly object?[] _objects = new object?[1];
    private readonly ConcurrentQueue<(WriterStage Stage, Exception Error)> _problems = new();
    private readonly IRecordFilter[] _filters;
    private readonly Action<string, long> _emitSummary;
    private readonly Action<string, Exception> _toStderr;
    private readonly string _strategy;
    private LogCategory? _backpressure;
    private LogCategory? _errors;
    private LogCategory? _filterCategory;
    private string _summaryFilter = "";
    private long _reportedDrops;
    private long _lastDropReport;
    private long _lastBufferWarning;
    private long _lastSummary;

    public OwnRecords(RecordProcessor processor, BatchDispatcher dispatcher, ClockConverter clock, IRecordFilter[] filters, DropStrategy strategy, Action<string, Exception> toStderr)
    {
        _processor = processor;
        _dispatcher = dispatcher;
        _clock = clock;
        _filters = filters;
        _strategy = strategy.ToString();
        _toStderr = toStderr;
        _emitSummary = EmitSummary;
    }

    /// <summary>Format errors of the pipeline's own records (counted into <see cref="AsyncMetrics.FormatErrors"/>).</summary>
    public long Errors;

    public void Start(AsyncPipeline pipeline)
    {
        _backpressure = pipeline.CreateLogger(InternalRecords.BackpressureCategory).CategoryInfo;
        _errors = pipeline.CreateLogger(InternalRecords.ErrorCategory).CategoryInfo;
        if (_filters.Length > 0) _filterCategory = pipeline.CreateLogger(InternalRecords.FilterCategory).CategoryInfo;
    }

    public bool HasProblems => !_problems.IsEmpty;

    /// <summary>A writer failed (from any thread): the drain writes it to the other writers at its next pass.</summary>
    public void EnqueueProblem(WriterStage stage, Exception error) => _problems.Enqueue((stage, error));

    /// <summary>"Writer X failed: ..." with the exception, to every writer but X.</summary>
    public void WriteProblems()
    {
        while (_problems.TryDequeue(out var problem))
        {
            _payload.Reset();
            _payload.String(problem.Stage.Writer.Name).String(problem.Error.Message).Object();
            _objects[0] = problem.Error;
            Write(InternalRecords.WriterFailed, _errors!, LogLevel.Error, _objects, problem.Stage.Index);
            _objects[0] = null;
        }
    }

    /// <summary>"Dropped N records due to backpressure" with the exact count since the last report, at most once a second (always when forced).</summary>
    public void ReportDrops(long totalDropped, bool force)
    {
        long delta = totalDropped - _reportedDrops;
        if (delta <= 0 || (!force && Stopwatch.GetElapsedTime(_lastDropReport) < TimeSpan.FromSeconds(1))) return;
        _reportedDrops = totalDropped;
        _lastDropReport = Stopwatch.GetTimestamp();
        _payload.Reset();
        _payload.Int64(delta).String(_strategy);
        Write(InternalRecords.Dropped, _backpressure!, LogLevel.Warning, default, -1);
    }

    /// <summary>True when a buffer warning may go out (at most one a second).</summary>
    public bool MayWarnFilling => Stopwatch.GetElapsedTime(_lastBufferWarning) >= TimeSpan.FromSeconds(1);

    /// <summary>"Buffer X/Y (approaching limit)".</summary>
    public void WarnFilling(long fill, long capacity)
    {
        _lastBufferWarning = Stopwatch.GetTimestamp();
        _payload.Reset();
        _payload.Int64(fill).Int64(capacity);
        Write(InternalRecords.BufferWarning, _backpressure!, LogLevel.Warning, default, -1);
    }

    /// <summary>"Suppressed N records of X (filter)" for every summarizing filter, at most once a second (always when forced).</summary>
    public void ReportSuppressed(bool force)
    {
        if (!force && Stopwatch.GetElapsedTime(_lastSummary) < TimeSpan.FromSeconds(1)) return;
        _lastSummary = Stopwatch.GetTimestamp();
        foreach (var filter in _filters)
        {
            if (filter is not ISummarizingFilter summarizing) continue;
            _summaryFilter = summarizing.Name;
            try
            {
                summarizing.CollectSuppressed(_emitSummary);
            }
            catch (Exception e)
            {
                _toStderr(summarizing.Name, e);
            }
        }
    }

    private void EmitSummary(string source, long count)
    {
        _payload.Reset();
        _payload.Int64(count).String(source).String(_summaryFilter);
        Write(InternalRecords.Summary, _filterCategory!, LogLevel.Information, default, -1);
    }

    private void Write(LogTemplate template, LogCategory category, LogLevel level, ReadOnlySpan<object?> objects, int excludedStage)
    {
        _dispatcher.SealAll(); // the pipeline's record goes in a batch of its own (it may skip one writer)
        long raw = KakashiClock.GetTimestamp();
        var record = new LogRecord(template, category, level, _clock.ToUtc(raw), raw, Environment.CurrentManagedThreadId,
            RecordFlags.None, _payload.Payload, _payload.Offsets, objects);
        foreach (var output in _dispatcher.Outputs)
        {
            if (level < output.MinLevel) continue; // not for these writers (and not in anyone's books)
            long before = output.Failed;
            if (!_processor.Format(output, in record))
            {
                // not an application record: it is in nobody's books, so it is not counted failed there
                output.Failed = before; // (the processor counted the error)
            }
        }
        Errors += FormatFailures.Take();
        _dispatcher.SealAll(excludedStage, isInternal: true);
    }
}
