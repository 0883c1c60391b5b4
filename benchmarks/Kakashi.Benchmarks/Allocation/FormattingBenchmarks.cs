using System;
using System.Buffers;
using System.IO;
using System.Runtime.InteropServices;
using BenchmarkDotNet.Attributes;
using Kakashi.Benchmarks.Peers;
using Kakashi.Templates;
using Microsoft.Extensions.Logging;
using Serilog.Events;
using Serilog.Parsing;
using ZLogger;

namespace Kakashi.Benchmarks.Allocation;

/// <summary>
/// Formatting cost of one record of the benchmark message, on one thread, into a reused buffer (what a drain or a
/// writer's loop pays per record, without I/O). Kakashi formats a decoded record (the drain's view) with each formatter;
/// Serilog.Formatting.Compact 3.0 formats a prebuilt LogEvent (CLEF, and CLEF with @m) into a UTF-8 StreamWriter;
/// ZLogger's JSON formatter is only reachable with its entry, so its row is the generated call plus the format, with the
/// call alone next to it (the difference is the formatting).
/// </summary>
[MemoryDiagnoser]
public class FormattingBenchmarks
{
    private readonly ArrayBufferWriter<byte> _buffer = new(64 * 1024);
    private LogTemplate _template = null!;
    private LogCategory _category = null!;
    private byte[] _payload = null!;
    private int[] _offsets = null!;
    private DateTime _timestamp;
    private TextFormatter _text = null!;
    private TextFormatter _textCustom = null!;
    private TextFormatter _textRaw = null!;
    private JsonFormatter _json = null!;
    private JsonFormatter _clef = null!;
    private JsonFormatter _ecs = null!;

    private LogEvent _event = null!;
    private Serilog.Formatting.Compact.CompactJsonFormatter _serilogClef = null!;
    private Serilog.Formatting.Compact.RenderedCompactJsonFormatter _serilogRendered = null!;
    private StreamWriter _serilogOut = null!;

    private ILoggerFactory? _zlogger;
    private ILogger _zloggerLogger = null!;
    private ZLoggerFormatProcessor _processor = null!;

    [GlobalSetup]
    public void Setup()
    {
        _template = LogTemplate.Parse("KakashiBenchLog.OrderFilled", LogLevel.Information, 0, "OrderFilled", PeerSetup.Template,
            [new TemplateArg("orderId", ArgType.Int32), new TemplateArg("quantity", ArgType.Int32), new TemplateArg("price", ArgType.Double), new TemplateArg("symbol", ArgType.String)]);
        TemplateRegistry.Shared.Register(_template);
        _category = new LogCategory(0, PeerSetup.Category);
        // payload: int, int, double, then the string as an int32 length and UTF-16 chars (docs/record-format.md)
        var payload = new byte[4 + 4 + 8 + 4 + PeerSetup.Symbol.Length * 2];
        MemoryMarshal.Write(payload.AsSpan(0), 42);
        MemoryMarshal.Write(payload.AsSpan(4), PeerSetup.Quantity);
        MemoryMarshal.Write(payload.AsSpan(8), PeerSetup.Price);
        MemoryMarshal.Write(payload.AsSpan(16), PeerSetup.Symbol.Length);
        MemoryMarshal.AsBytes(PeerSetup.Symbol.AsSpan()).CopyTo(payload.AsSpan(20));
        _payload = payload;
        _offsets = [0, 4, 8, 16];
        _timestamp = DateTime.UtcNow;
        _text = new TextFormatter(KakashiPeer.Layout);
        _textCustom = new TextFormatter(KakashiPeer.CustomTimestampLayout);
        _textRaw = new TextFormatter(KakashiPeer.Layout) { EscapeControlCharacters = false };
        _json = new JsonFormatter();
        _clef = new JsonFormatter { Fields = JsonFieldSet.Clef };
        _ecs = new JsonFormatter { Fields = JsonFieldSet.Ecs };

        var template = new MessageTemplateParser().Parse(PeerSetup.Template);
        _event = new LogEvent(DateTimeOffset.UtcNow, LogEventLevel.Information, null, template,
        [
            new LogEventProperty("OrderId", new ScalarValue(42)), new LogEventProperty("Quantity", new ScalarValue(PeerSetup.Quantity)),
            new LogEventProperty("Price", new ScalarValue(PeerSetup.Price)), new LogEventProperty("Symbol", new ScalarValue(PeerSetup.Symbol)),
            new LogEventProperty("SourceContext", new ScalarValue(PeerSetup.Category)),
        ]);
        _serilogClef = new Serilog.Formatting.Compact.CompactJsonFormatter();
        _serilogRendered = new Serilog.Formatting.Compact.RenderedCompactJsonFormatter();
        _serilogOut = new StreamWriter(Stream.Null, new System.Text.UTF8Encoding(false), 64 * 1024);

        _processor = new ZLoggerFormatProcessor();
        _zlogger = LoggerFactory.Create(builder =>
        {
            builder.ClearProviders();
            builder.SetMinimumLevel(LogLevel.Information);
            builder.AddZLoggerLogProcessor(options =>
            {
                options.UseJsonFormatter();
                _processor.Formatter = options.CreateFormatter();
                return _processor;
            });
        });
        _zloggerLogger = _zlogger.CreateLogger(PeerSetup.Category);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _zlogger?.Dispose();
        _serilogOut.Dispose();
    }

    private long Format(LogFormatter formatter)
    {
        _buffer.ResetWrittenCount();
        var record = new LogRecord(_template, _category, LogLevel.Information, _timestamp, 1, _payload, _offsets);
        var writer = new Utf8Writer(_buffer);
        formatter.Format(in record, ref writer);
        writer.Commit();
        return _buffer.WrittenCount;
    }

    [Benchmark(Baseline = true)] public long Kakashi_Text() => Format(_text);
    [Benchmark] public long Kakashi_TextCustomTimestamp() => Format(_textCustom);
    [Benchmark] public long Kakashi_TextNoEscaping() => Format(_textRaw);
    [Benchmark] public long Kakashi_Json() => Format(_json);
    [Benchmark] public long Kakashi_Clef() => Format(_clef);
    [Benchmark] public long Kakashi_Ecs() => Format(_ecs);

    [Benchmark]
    public void Serilog_Clef() => _serilogClef.Format(_event, _serilogOut);

    [Benchmark]
    public void Serilog_ClefRendered() => _serilogRendered.Format(_event, _serilogOut);

    [Benchmark]
    public void ZLogger_JsonCallAndFormat()
    {
        _processor.FormatEntries = true;
        ZLoggerBenchLog.OrderFilled(_zloggerLogger, 42, PeerSetup.Quantity, PeerSetup.Price, PeerSetup.Symbol);
    }

    [Benchmark]
    public void ZLogger_CallOnly()
    {
        _processor.FormatEntries = false;
        ZLoggerBenchLog.OrderFilled(_zloggerLogger, 42, PeerSetup.Quantity, PeerSetup.Price, PeerSetup.Symbol);
    }

    /// <summary>Formats each ZLogger entry on the logging thread with ZLogger's own formatter, into a reused buffer.</summary>
    private sealed class ZLoggerFormatProcessor : IAsyncLogProcessor
    {
        private readonly ArrayBufferWriter<byte> _buffer = new(64 * 1024);
        public IZLoggerFormatter Formatter { get; set; } = null!;
        public bool FormatEntries { get; set; }

        public void Post(IZLoggerEntry log)
        {
            if (FormatEntries)
            {
                _buffer.ResetWrittenCount();
                Formatter.FormatLogEntry(_buffer, log);
            }
            log.Return();
        }

        public System.Threading.Tasks.ValueTask DisposeAsync() => default;
    }
}
