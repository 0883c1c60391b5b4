using System;
using System.Buffers;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Text;
using System.Threading.Tasks;
using Kakashi.Buffers;
using Kakashi.Clock;
using Kakashi.Templates;
using Microsoft.Extensions.Logging;
using Xunit;

namespace Kakashi.Runtime.Tests;

/// <summary>The self-describing record format (docs/record-format.md): records decode without the process that wrote them.</summary>
public class RecordFormatTests
{
    /// <summary>Generated templates register when their class is first used: make sure the test methods' are.</summary>
    private static void RegisterTestTemplates() => System.Runtime.CompilerServices.RuntimeHelpers.RunClassConstructor(typeof(Log).TypeHandle);

    private static string ProbePath => typeof(RecordFormatTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "ExitProbe").Value!;

    /// <summary>Captures every record as it leaves the ring: the clock calibration in use, then the detached record.</summary>
    private sealed class Capture(Func<ClockCalibration> clock) : IRecordObserver
    {
        public ArrayBufferWriter<byte> Bytes { get; } = new();
        public int Records;

        public void Observe(in LogRecord record)
        {
            if (record.RawBytes.IsEmpty) return; // the pipeline's own records are not in the record format
            clock().WriteTo(Bytes.GetSpan(ClockCalibration.Size));
            Bytes.Advance(ClockCalibration.Size);
            RecordDecoder.WriteDetached(in record, Bytes);
            Records++;
        }
    }

    private static void LogEveryType(KakashiLogger logger)
    {
        logger.Bool(true); logger.Byte(200); logger.SByte(-100); logger.Short(-30000); logger.UShort(60000);
        logger.Int(int.MinValue); logger.UInt(uint.MaxValue); logger.Long(long.MinValue); logger.ULong(ulong.MaxValue);
        logger.Float(3.25f); logger.Double(Math.PI); logger.Decimal(-79228162514264337593543950335m); logger.Char('é');
        logger.Half((Half)1.5); logger.Int128(Int128.MaxValue);
        logger.DateTime(new DateTime(2026, 12, 1, 10, 20, 30, DateTimeKind.Utc).AddTicks(1234567));
        logger.DateTimeOffset(new DateTimeOffset(2026, 12, 1, 10, 20, 30, TimeSpan.FromHours(-5)));
        logger.TimeSpan(TimeSpan.FromMilliseconds(-1234.5)); logger.Guid(new Guid("0f8fad5b-d9cb-469f-a165-70867728950e"));
        logger.Enum(Side.Sell); logger.Enum((Side)7); logger.Flags(Permissions.Read | Permissions.Execute); logger.Flags(Permissions.None);
        logger.Flags((Permissions)64);
        logger.NullableInt(null); logger.NullableInt(42); logger.NullableDate(null); logger.NullableDate(new DateTime(2026, 1, 2));
        logger.NullableEnum(null); logger.NullableEnum(Side.Buy);
        logger.Text("plain"); logger.Text(null); logger.Text("lone \ud800 surrogate, quote \" and a\nnew line"); logger.Span("span".AsSpan());
        logger.Tagged(new Tagged("t", 5)); logger.Object(new Order(9)); logger.Object(null);
        Exception thrown;
        try
        {
            throw new InvalidOperationException("outer", new ArgumentException("inner"));
        }
        catch (Exception e)
        {
            thrown = e;
        }
        logger.Failed("with a stack", thrown);
        logger.Failed("no exception", null);
        logger.OrderFilled(1, 100, 101.25, "MSFT");
        logger.Dynamic(LogLevel.Critical, 5);
    }

    [Fact]
    public async Task Records_of_every_argument_type_decode_in_another_process_from_the_manifest_alone_identical_to_the_live_text()
    {
        using var folder = new TempFolder();
        Directory.CreateDirectory(folder.Path);
        var writer = new TestWriter();
        AsyncPipeline? pipeline = null;
        var capture = new Capture(() => pipeline!.ClockCalibration);
        pipeline = new AsyncPipeline(new AsyncPipelineConfig
        {
            MinLevel = LogLevel.Trace,
            Writers = [writer], // the default TextFormatter: {Timestamp:O} [{Level}] {Category}: {Message}{NewLine}{Exception}
            Observers = [capture],
            FlushOnProcessExit = false,
        });
        var logger = pipeline.CreateLogger("Trading.Orders");
        LogEveryType(logger);
        pipeline.CreateLogger("Other\ncategory").Int(7);
        await pipeline.FlushAllAsync();
        string manifestPath = Path.Combine(folder.Path, "manifest.bin"), capturePath = Path.Combine(folder.Path, "capture.bin"), outPath = Path.Combine(folder.Path, "decoded.log");
        File.WriteAllBytes(manifestPath, pipeline.ExportManifest().ToBytes());
        File.WriteAllBytes(capturePath, capture.Bytes.WrittenSpan.ToArray());
        await pipeline.DisposeAsync();
        string live = string.Concat(writer.Lines.Select(l => l + "\n"));

        var start = new ProcessStartInfo("dotnet", [ProbePath, "decode", capturePath, manifestPath, outPath]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(start)!;
        string stdout = await process.StandardOutput.ReadToEndAsync();
        string stderr = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, stderr);
        Assert.Contains($"records={capture.Records}", stdout);
        string decoded = File.ReadAllText(outPath);

        string[] liveLines = live.Split('\n'), decodedLines = decoded.Split('\n');
        Assert.True(capture.Records >= 40, $"captured {capture.Records}");
        Assert.Equal(liveLines.Length, decodedLines.Length);
        for (int i = 0; i < liveLines.Length; i++) Assert.Equal(liveLines[i], decodedLines[i]);
        Assert.Equal(live, decoded);
        Assert.Contains("Enum 7", decoded);
        Assert.Contains("Flags Read, Execute", decoded);
        Assert.Contains("ArgumentException: inner", decoded);
    }

    [Fact]
    public async Task A_user_value_type_decodes_as_its_type_name_and_bytes_where_the_type_is_not_loaded()
    {
        var writer = new TestWriter();
        AsyncPipeline? pipeline = null;
        var capture = new Capture(() => pipeline!.ClockCalibration);
        pipeline = new AsyncPipeline(new AsyncPipelineConfig { Writers = [writer], Observers = [capture], FlushOnProcessExit = false });
        pipeline.CreateLogger("App").Price(new Price(12345));
        await pipeline.FlushAllAsync();
        var manifest = LogManifest.Read(pipeline.ExportManifest().ToBytes());
        await pipeline.DisposeAsync();
        Assert.EndsWith("Price 123.5", writer.Lines.Single());

        var decoder = new RecordDecoder(manifest);
        var bytes = capture.Bytes.WrittenSpan[ClockCalibration.Size..];
        Assert.Equal(DecodeStatus.Ok, decoder.TryDecodeDetached(bytes, null, out var record, out _));
        var arg = record.Template.Args[0];
        Assert.Equal(ArgType.Custom, arg.Type);
        Assert.Equal(typeof(Price).FullName, arg.TypeName);
        Assert.Equal(8, arg.CustomSize);
        Assert.Equal($"Price {typeof(Price).FullName}:0x3930000000000000", record.GetMessage());
    }

    [Fact]
    public void Generated_templates_carry_wire_types_not_codecs()
    {
        RegisterTestTemplates();
        var template = TemplateRegistry.Shared.Templates.Single(t => t.Method.EndsWith(".Log.NullableEnum", StringComparison.Ordinal));
        var arg = Assert.Single(template.Args);
        Assert.Equal(ArgType.Enum | ArgType.Nullable, arg.Type);
        Assert.Equal(typeof(Side).FullName, arg.EnumTable!.TypeName);
        Assert.Equal(["Buy", "Sell"], arg.EnumTable.Names);
        Assert.Equal(ArgType.Int32, arg.EnumTable.Underlying);
        var order = TemplateRegistry.Shared.Templates.Single(t => t.Method.EndsWith(".Log.OrderFilled", StringComparison.Ordinal));
        Assert.Equal([ArgType.Int32, ArgType.Int32, ArgType.Double, ArgType.String], order.Args.Select(a => a.Type));
        Assert.Same(TemplateRegistry.Shared, order.Registry);
        Assert.Same(order, TemplateRegistry.Shared.Find(order.Id));
    }

    [Fact]
    public void A_manifest_rebuilds_every_template_field_and_keeps_ids()
    {
        RegisterTestTemplates();
        var bytes = TemplateRegistry.Shared.ExportManifest();
        var rebuilt = TemplateRegistry.FromManifest(bytes);
        Assert.Equal(TemplateRegistry.Shared.Count, rebuilt.Count);
        foreach (var original in TemplateRegistry.Shared.Templates)
        {
            var copy = rebuilt.Find(original.Id)!;
            Assert.NotNull(copy);
            Assert.Equal(original.Method, copy.Method);
            Assert.Equal(original.Level, copy.Level);
            Assert.Equal(original.EventId, copy.EventId);
            Assert.Equal(original.EventName, copy.EventName);
            Assert.Equal(original.Message, copy.Message);
            Assert.Equal(original.ExceptionArg, copy.ExceptionArg);
            Assert.Equal(original.Args.Select(a => (a.Name, a.Type, a.TypeName, a.CustomSize)), copy.Args.Select(a => (a.Name, a.Type, a.TypeName, a.CustomSize)));
            Assert.Equal(original.Segments.Select(s => (s.IsLiteral, s.Text, s.ArgIndex, s.Alignment, s.Format)), copy.Segments.Select(s => (s.IsLiteral, s.Text, s.ArgIndex, s.Alignment, s.Format)));
        }
        // and a manifest of the rebuilt registry is the same bytes
        Assert.Equal(bytes, rebuilt.ExportManifest());
    }

    [Fact]
    public void Registering_assigns_the_next_id_and_raises_the_event_once()
    {
        var registry = new TemplateRegistry();
        LogTemplate? announced = null;
        int events = 0;
        registry.Registered += t => { announced = t; events++; };
        registry.Registered += _ => throw new InvalidOperationException("a broken listener is ignored");
        var a = registry.Register(LogTemplate.Parse("A.One", LogLevel.Information, 1, null, "one {X}", [new TemplateArg("x", ArgType.Int32)]));
        var b = registry.Register(LogTemplate.Parse("A.Two", LogLevel.Information, 2, null, "two", []));
        Assert.Equal((1, 2), (a.Id, b.Id));
        Assert.Same(b, announced);
        Assert.Equal(2, events);
        Assert.Throws<InvalidOperationException>(() => registry.Register(a));
        Assert.Throws<InvalidOperationException>(() => registry.Register(LogTemplate.Parse("A.Three", null, 3, null, "three", []), 2));
        var unregistered = LogTemplate.Parse("A.Four", null, 4, null, "four", []);
        Assert.Equal(0, unregistered.Id); // constructing registers nothing
        Assert.Null(unregistered.Registry);
    }

    [Theory]
    [InlineData("Order {OrderId} filled {Quantity}", 2, "Order 1.5 filled 2.5")]
    [InlineData("{A} and {A} again, {{escaped}}", 1, "1.5 and 1.5 again, {escaped}")]
    [InlineData("Aligned {Name,-6}|{Value,8:F2}", 2, "Aligned 1.5   |    2.50")]
    [InlineData("no holes {{ }}", 0, "no holes {{ }}")] // MEL renders a template without holes verbatim
    public void The_runtime_parses_templates_with_the_generators_parser(string message, int args, string expected)
    {
        var argList = Enumerable.Range(0, args).Select(i => new TemplateArg("a" + i, ArgType.Double)).ToArray();
        var template = LogTemplate.Parse("Runtime.Parsed", LogLevel.Information, 0, null, message, argList);
        Assert.Equal(args, template.Args.Length);
        var payload = new byte[8 * Math.Max(args, 1)];
        for (int i = 0; i < args; i++) BitConverter.TryWriteBytes(payload.AsSpan(i * 8), 1.5 + i);
        var offsets = Enumerable.Range(0, args).Select(i => i * 8).ToArray();
        var record = new LogRecord(template, new LogCategory(0, "c"), LogLevel.Information, DateTime.UnixEpoch, 1, payload, offsets);
        Assert.Equal(expected, record.GetMessage());
    }

    [Fact]
    public void Malformed_templates_and_too_few_arguments_are_refused_at_parse()
    {
        Assert.Throws<FormatException>(() => LogTemplate.Parse("X", null, 0, null, "{A} open {brace", [new TemplateArg("a", ArgType.Int32)]));
        Assert.Throws<FormatException>(() => LogTemplate.Parse("X", null, 0, null, "{A} {B}", [new TemplateArg("a", ArgType.Int32)]));
        Assert.Throws<ArgumentException>(() => new TemplateArg("e", ArgType.Enum));
        Assert.Throws<ArgumentException>(() => new TemplateArg("s", ArgType.String | ArgType.Nullable));
    }

    [Fact]
    public void A_clock_calibration_round_trips_and_converts_as_the_original()
    {
        var clock = new ClockCalibration(123_456_789, new DateTime(2026, 12, 1, 0, 0, 0, DateTimeKind.Utc).Ticks, 0.37);
        Span<byte> bytes = stackalloc byte[ClockCalibration.Size];
        clock.WriteTo(bytes);
        var read = ClockCalibration.Read(bytes);
        Assert.Equal(clock, read);
        Assert.Equal(clock.ToUtc(999_999_999), read.ToUtc(999_999_999));
        Assert.Equal(DateTimeKind.Utc, read.ToUtc(1).Kind);
        Assert.Equal(DateTime.MaxValue, read.ToUtc(long.MaxValue));
        Assert.Equal(DateTime.MinValue, read.ToUtc(long.MinValue)); // no overflow on hostile values
        bytes[16..].Fill(0xFF); // NaN rate
        try
        {
            ClockCalibration.Read(bytes);
            Assert.Fail("a NaN rate was accepted");
        }
        catch (InvalidDataException)
        {
        }
    }

    [Fact]
    public async Task Every_record_carries_the_format_version_and_a_decoder_refuses_another()
    {
        var writer = new TestWriter();
        byte[]? raw = null;
        var observer = new Observer(r => raw ??= r.RawBytes.ToArray());
        await using (var pipeline = new AsyncPipeline(new AsyncPipelineConfig { Writers = [writer], Observers = [observer], FlushOnProcessExit = false }))
        {
            pipeline.CreateLogger("App").Int(5);
            await pipeline.FlushAllAsync();
            Assert.Equal(RecordLayout.FormatVersion, raw![RecordLayout.VersionOffset]);
            var decoder = new RecordDecoder(pipeline.ExportManifest());
            Assert.Equal(DecodeStatus.Ok, decoder.TryDecode(raw, default, null, out var ok));
            Assert.Equal("Int 5", ok.GetMessage());
            raw[RecordLayout.VersionOffset] = 2;
            Assert.Equal(DecodeStatus.UnsupportedVersion, decoder.TryDecode(raw, default, null, out _));
        }
    }

    private sealed class Observer(Action<LogRecord> action) : IRecordObserver
    {
        public void Observe(in LogRecord record) => action(record);
    }

    [Fact]
    public void A_manifest_from_a_newer_format_or_with_garbage_is_refused_with_a_clear_message()
    {
        RegisterTestTemplates();
        var bytes = TemplateRegistry.Shared.ExportManifest();
        var newer = (byte[])bytes.Clone();
        newer[4] = 9;
        var e = Assert.Throws<InvalidDataException>(() => LogManifest.Read(newer));
        Assert.Contains("version 9", e.Message);
        Assert.Throws<InvalidDataException>(() => LogManifest.Read("nope"u8));
        // an entry kind this version does not know is skipped whole (the compatibility rule)
        var extended = new ArrayBufferWriter<byte>();
        extended.Write(bytes);
        extended.Write(new byte[] { 0x7F, 3, 1, 2, 3 });
        Assert.Equal(TemplateRegistry.Shared.Count, LogManifest.Read(extended.WrittenSpan).Templates.Count);
    }

    [Fact]
    public void Damaged_manifests_and_records_never_crash_the_decoder_or_allocate_without_bound()
    {
        RegisterTestTemplates();
        var manifest = TemplateRegistry.Shared.ExportManifest();
        var random = new Random(1234);
        for (int i = 0; i < 3000; i++)
        {
            var copy = (byte[])manifest.Clone();
            int edits = random.Next(1, 6);
            for (int k = 0; k < edits; k++) copy[random.Next(5, copy.Length)] = (byte)random.Next(256);
            int cut = random.Next(5, copy.Length + 1);
            try
            {
                LogManifest.Read(copy.AsSpan(0, cut));
            }
            catch (InvalidDataException)
            {
                // refused cleanly: fine
            }
        }
        var decoder = new RecordDecoder(LogManifest.Read(manifest));
        var record = new byte[256];
        for (int i = 0; i < 20000; i++)
        {
            random.NextBytes(record);
            BitConverter.TryWriteBytes(record.AsSpan(RecordLayout.TemplateIdOffset), random.Next(0, TemplateRegistry.Shared.Count + 2));
            BitConverter.TryWriteBytes(record.AsSpan(RecordLayout.LengthOffset), random.Next(-2, 300));
            record[RecordLayout.VersionOffset] = 1;
            if (decoder.TryDecode(record, default, null, out var decoded) == DecodeStatus.Ok)
            {
                // what decodes renders, safely
                _ = decoded.GetMessage();
            }
            decoder.TryDecodeDetached(record, null, out _, out _);
        }
    }

    [Fact]
    public void An_exception_captured_as_bytes_keeps_its_type_message_stack_and_inner_exceptions()
    {
        Exception thrown;
        try
        {
            throw new AggregateException("many", new InvalidOperationException("first"), new IOException("second", new TimeoutException("deep")));
        }
        catch (Exception e)
        {
            thrown = e;
        }
        var info = ExceptionInfo.Capture(thrown);
        var bytes = new ArrayBufferWriter<byte>();
        info.WriteTo(bytes);
        var read = ExceptionInfo.Read(bytes.WrittenSpan, out int consumed);
        Assert.Equal(bytes.WrittenCount, consumed);
        Assert.Equal(typeof(AggregateException).FullName, read.Type);
        Assert.StartsWith("many", read.Message);
        Assert.Equal(thrown.StackTrace, read.StackTrace);
        Assert.Equal(thrown.ToString(), read.ToString());
        Assert.Equal(["first", "second"], read.Inner.Select(x => x.Message));
        Assert.Equal("deep", read.Inner[1].Inner.Single().Message);
        Assert.Equal(typeof(TimeoutException).FullName, read.Inner[1].Inner[0].Type);
    }

    [Fact]
    public void A_record_built_by_hand_from_a_category_and_a_template_needs_no_logger()
    {
        var template = LogTemplate.Parse("Hand.Made", LogLevel.Warning, 5, "Made", "{Who} made {Count} at {When:yyyy}",
            [new TemplateArg("who", ArgType.String), new TemplateArg("count", ArgType.Int32), new TemplateArg("when", ArgType.DateTime)]);
        var payload = new ArrayBufferWriter<byte>();
        payload.Write(BitConverter.GetBytes(3));
        payload.Write(Encoding.Unicode.GetBytes("Ann"));
        payload.Write(BitConverter.GetBytes(12));
        payload.Write(BitConverter.GetBytes(new DateTime(2031, 1, 1).ToBinary()));
        var record = new LogRecord(template, new LogCategory(3, "Hand"), LogLevel.Warning, new DateTime(2026, 12, 1, 0, 0, 0, DateTimeKind.Utc), 9,
            payload.WrittenSpan, [0, 10, 14]);
        var output = new ArrayBufferWriter<byte>();
        var writer = new Utf8Writer(output);
        new TextFormatter("{Timestamp:yyyy-MM-dd} {Level} {Category} {EventId} {EventName} {ThreadId}: {Message}").Format(in record, ref writer);
        writer.Commit();
        Assert.Equal("2026-12-01 Warning Hand 5 Made 9: Ann made 12 at 2031", Encoding.UTF8.GetString(output.WrittenSpan));
    }
}
