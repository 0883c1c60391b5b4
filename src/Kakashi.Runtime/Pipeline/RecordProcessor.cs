using System;
using System.Buffers;
using Kakashi.Formatting;

namespace Kakashi.Pipeline;

/// <summary>
/// One formatter's output: the batch its records are formatted into, and the writer stages that receive those batches
/// (every writer whose <see cref="LogWriter.Formatter"/> is this formatter instance). A record is formatted once per output,
/// however many writers share it.
/// </summary>
internal sealed class FormatterOutput(LogFormatter formatter, BatchWriter batches, WriterStage[] stages, Microsoft.Extensions.Logging.LogLevel minLevel = Microsoft.Extensions.Logging.LogLevel.Trace)
{
    public LogFormatter Formatter { get; } = formatter;

    /// <summary>The formatter when it writes .klog frames: it writes into the batches itself (no <see cref="Utf8Writer"/>).</summary>
    public Writers.BinaryLog.BinaryLogFormatter? Binary { get; } = formatter as Writers.BinaryLog.BinaryLogFormatter;

    /// <summary>The writers' <see cref="LogWriter.MinLevel"/>: application records below it are skipped (counted in <see cref="LevelFiltered"/>).</summary>
    public Microsoft.Extensions.Logging.LogLevel MinLevel { get; } = minLevel;

    /// <summary>Application records below <see cref="MinLevel"/>: counted filtered in this output's stages' books.</summary>
    public long LevelFiltered;

    /// <summary>Of <see cref="LevelFiltered"/>, how many the stages have been told about.</summary>
    internal long LevelFilteredCounted;

    public BatchWriter Batches { get; } = batches;

    public WriterStage[] Stages { get; } = stages;

    /// <summary>Records formatted (consumer-owned, read racily by metrics).</summary>
    public long Formatted;

    /// <summary>Records this formatter threw on: counted failed in its stages' books, the other outputs unaffected.</summary>
    public long Failed;

    /// <summary>Of <see cref="Failed"/>, how many the stages have been told about.</summary>
    internal long FailedCounted;

    /// <summary>When the current batch got its first record (Stopwatch ticks).</summary>
    internal long BatchStarted;
}

/// <summary>What <see cref="RecordProcessor.Process"/> did with a record.</summary>
internal enum ProcessOutcome
{
    Formatted,
    Filtered,
}

/// <summary>
/// The record's path after decoding: filter → enrich → observe → format into each formatter's output. No threads, no
/// rings, no stages: the drain feeds it ring records today; a synchronous pipeline or a file decoder can feed it the same
/// way. It allocates nothing per record. A formatter that throws leaves no partial record (its bytes are rewound) and the
/// record is counted failed for that formatter's writers only.
/// </summary>
internal sealed class RecordProcessor
{
    private readonly IRecordFilter[] _filters;
    private readonly ILogEnricher?[] _enrichers; // null: the constant block at the same index in _constants
    private readonly (byte[] Bytes, int Count)[] _constants;
    private readonly IRecordObserver[] _observers;
    private readonly FormatterOutput[] _outputs;
    private readonly ArrayBufferWriter<byte> _properties = new(1024);
    private readonly Action<string, Exception> _report;

    public RecordProcessor(IRecordFilter[] filters, ILogEnricher[] enrichers, IRecordObserver[] observers, FormatterOutput[] outputs, Action<string, Exception> report)
    {
        _report = report;
        _filters = filters;
        _enrichers = PrerenderConstants(enrichers, out _constants);
        _observers = observers;
        _outputs = outputs;
    }

    public FormatterOutput[] Outputs => _outputs;

    /// <summary>Records a filter said no to (consumer-owned).</summary>
    public long Filtered;

    /// <summary>Formatter, enricher and observer exceptions (each also reported).</summary>
    public long Errors;

    public ProcessOutcome Process(in LogRecord record)
    {
        foreach (var filter in _filters)
        {
            if (!filter.ShouldWrite(in record))
            {
                Filtered++;
                return ProcessOutcome.Filtered;
            }
        }
        if (_enrichers.Length == 0)
        {
            Observe(in record);
            FormatAll(in record);
        }
        else
        {
            var enriched = record.WithProperties(Enrich(in record));
            Observe(in enriched);
            FormatAll(in enriched);
        }
        return ProcessOutcome.Formatted;
    }

    /// <summary>Formats a record into every output, with no filter, enricher or observer (the pipeline's own records).</summary>
    public void FormatAll(in LogRecord record)
    {
        var outputs = _outputs;
        for (int i = 0; i < outputs.Length; i++)
        {
            var output = outputs[i];
            if (record.Level < output.MinLevel)
            {
                output.LevelFiltered++;
                continue;
            }
            Format(output, in record);
        }
    }

    /// <summary>Formats into one output; on an exception takes the partial bytes back and counts the record failed there.</summary>
    public bool Format(FormatterOutput output, in LogRecord record)
    {
        var batches = output.Batches;
        if (output.Binary is { } binary) return FormatBinary(output, binary, in record);
        var writer = new Utf8Writer(batches);
        try
        {
            output.Formatter.Format(in record, ref writer);
            writer.Commit();
        }
        catch (Exception e)
        {
            // the formatter failed outside a value (values mark themselves): take its partial bytes back, so the
            // next record is not glued onto them
            writer.Rewind(0);
            output.Failed++;
            Errors++;
            _report("formatter " + output.Formatter.GetType().Name, e);
            return false;
        }
        var batch = batches.Current;
        batch.AddRecord(batch.Length, record.Level);
        output.Formatted++;
        return true;
    }

    private bool FormatBinary(FormatterOutput output, Writers.BinaryLog.BinaryLogFormatter binary, in LogRecord record)
    {
        var batches = output.Batches;
        try
        {
            binary.Write(in record, batches); // takes its own partial bytes back when it throws
        }
        catch (Exception e)
        {
            output.Failed++;
            Errors++;
            _report("formatter " + nameof(BinaryLogWriter), e);
            return false;
        }
        var batch = batches.Current;
        batch.AddRecord(batch.Length, record.Level);
        output.Formatted++;
        return true;
    }

    /// <summary>
    /// Renders each run of consecutive <see cref="IConstantEnricher"/>s once (their properties never change) and returns the
    /// enrichers to call per record, with null where a rendered run goes, so the properties keep the configured order.
    /// </summary>
    private ILogEnricher?[] PrerenderConstants(ILogEnricher[] enrichers, out (byte[] Bytes, int Count)[] constants)
    {
        var steps = new System.Collections.Generic.List<ILogEnricher?>();
        var blocks = new System.Collections.Generic.List<(byte[], int)>();
        for (int i = 0; i < enrichers.Length;)
        {
            if (enrichers[i] is not IConstantEnricher)
            {
                steps.Add(enrichers[i++]);
                blocks.Add(([], 0));
                continue;
            }
            var buffer = new ArrayBufferWriter<byte>(256);
            var writer = new PropertyWriter(buffer);
            for (; i < enrichers.Length && enrichers[i] is IConstantEnricher constant; i++)
            {
                try
                {
                    constant.Enrich(default, ref writer);
                }
                catch (Exception e)
                {
                    _report("enricher " + constant.GetType().Name, e);
                }
            }
            steps.Add(null);
            blocks.Add((buffer.WrittenSpan.ToArray(), writer.Count));
        }
        constants = [.. blocks];
        return [.. steps];
    }

    private ReadOnlySpan<byte> Enrich(in LogRecord record)
    {
        _properties.ResetWrittenCount();
        var properties = new PropertyWriter(_properties);
        var enrichers = _enrichers;
        for (int i = 0; i < enrichers.Length; i++)
        {
            var enricher = enrichers[i];
            if (enricher is null)
            {
                var (bytes, count) = _constants[i];
                properties.AddRendered(bytes, count);
                continue;
            }
            try
            {
                enricher.Enrich(in record, ref properties);
            }
            catch (Exception e)
            {
                Errors++;
                _report("enricher " + enricher.GetType().Name, e);
            }
        }
        return _properties.WrittenSpan;
    }

    private void Observe(in LogRecord record)
    {
        foreach (var observer in _observers)
        {
            try
            {
                observer.Observe(in record);
            }
            catch (Exception e)
            {
                Errors++;
                _report("observer " + observer.GetType().Name, e);
            }
        }
    }
}
