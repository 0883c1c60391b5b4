using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using Kakashi.Pipeline;
using Kakashi.Templates;
using Microsoft.Extensions.Logging;
using Xunit;

namespace Kakashi.Runtime.Tests;

/// <summary>The record processor alone: no pipeline, no ring, no thread. Records built by hand go in, batches come out.</summary>
public class RecordProcessorTests
{
    private static readonly LogTemplate Template = LogTemplate.Parse("Processor.Value", LogLevel.Information, 7, null, "Value {V}", [new TemplateArg("v", ArgType.Int32)]);
    private static readonly LogCategory Category = new(0, "Proc");

    private static void Run(RecordProcessor processor, int value, LogLevel level = LogLevel.Information)
    {
        var payload = BitConverter.GetBytes(value);
        var record = new LogRecord(Template, Category, level, new DateTime(2026, 12, 1, 0, 0, 0, DateTimeKind.Utc), 1, payload, [0]);
        processor.Process(in record);
    }

    private static FormatterOutput Output(LogFormatter formatter) => new(formatter, new BatchWriter(new LogBatch(null, 64 * 1024)), []);

    private static List<string> Lines(FormatterOutput output)
    {
        var batch = output.Batches.Current;
        return Enumerable.Range(0, batch.Count).Select(i => Encoding.UTF8.GetString(batch.RecordBytes(i).Span)).ToList();
    }

    private sealed class Evens : IRecordFilter
    {
        public bool ShouldWrite(in LogRecord record) => BitConverter.ToInt32(record.GetArgData(0)) % 2 == 0;
    }

    private sealed class Tag : ILogEnricher
    {
        public void Enrich(in LogRecord record, ref PropertyWriter properties) => properties.Add("Tag"u8, "t"u8);
    }

    private sealed class Seen : IRecordObserver
    {
        public readonly List<string> Properties = [];
        public void Observe(in LogRecord record) => Properties.Add(record.Properties.ToString());
    }

    private sealed class ThrowOnThree : LogFormatter
    {
        public override void Format(in LogRecord record, ref Utf8Writer output)
        {
            output.Write("partial "u8);
            if (BitConverter.ToInt32(record.GetArgData(0)) == 4) throw new InvalidOperationException("no fours");
            record.WriteMessage(ref output);
            output.Write((byte)'\n');
        }
    }

    [Fact]
    public void Filter_enrich_observe_then_format_into_every_output_in_that_order()
    {
        var text = Output(new TextFormatter("{Message} {Properties}{NewLine}"));
        var other = Output(new TextFormatter("{EventId}:{Level:u3}{NewLine}"));
        var seen = new Seen();
        var errors = new List<string>();
        var processor = new RecordProcessor([new Evens()], [new Tag()], [seen], [text, other], (source, _) => errors.Add(source));
        for (int i = 0; i < 6; i++) Run(processor, i);
        Assert.Equal(["Value 0 Tag=t\n", "Value 2 Tag=t\n", "Value 4 Tag=t\n"], Lines(text));
        Assert.Equal(["7:INF\n", "7:INF\n", "7:INF\n"], Lines(other));
        Assert.Equal(["Tag=t", "Tag=t", "Tag=t"], seen.Properties); // observers see the enriched record
        Assert.Equal(3, processor.Filtered);
        Assert.Equal(3, text.Formatted);
        Assert.Empty(errors);
    }

    private sealed class Fixed(string name) : IConstantEnricher
    {
        public int Calls;
        public void Enrich(in LogRecord record, ref PropertyWriter properties)
        {
            Calls++;
            properties.Add(System.Text.Encoding.UTF8.GetBytes(name), "v"u8);
        }
    }

    [Fact]
    public void Constant_enrichers_are_rendered_once_and_the_properties_keep_the_configured_order()
    {
        var text = Output(new TextFormatter("{Properties}{NewLine}"));
        var a = new Fixed("A");
        var b = new Fixed("B");
        var c = new Fixed("C");
        var processor = new RecordProcessor([], [a, b, new Tag(), c], [], [text], (_, _) => { });
        for (int i = 0; i < 3; i++) Run(processor, i);
        Assert.Equal(["A=v B=v Tag=t C=v\n", "A=v B=v Tag=t C=v\n", "A=v B=v Tag=t C=v\n"], Lines(text));
        Assert.Equal((1, 1, 1), (a.Calls, b.Calls, c.Calls));
    }

    [Fact]
    public void A_formatter_that_throws_leaves_no_partial_record_and_fails_only_its_output()
    {
        var breaking = Output(new ThrowOnThree());
        var fine = Output(new TextFormatter("{Message}{NewLine}"));
        var errors = new List<string>();
        var processor = new RecordProcessor([], [], [], [breaking, fine], (source, _) => errors.Add(source));
        for (int i = 0; i < 6; i++) Run(processor, i);
        Assert.Equal(["partial Value 0\n", "partial Value 1\n", "partial Value 2\n", "partial Value 3\n", "partial Value 5\n"], Lines(breaking));
        Assert.Equal(Enumerable.Range(0, 6).Select(i => $"Value {i}\n"), Lines(fine));
        Assert.Equal(1, breaking.Failed);
        Assert.Equal(0, fine.Failed);
        Assert.Equal(1, processor.Errors);
        Assert.Equal(["formatter ThrowOnThree"], errors);
        Assert.Equal(breaking.Batches.Current.Length, breaking.Batches.Current.RecordEnd(4));
    }
}

/// <summary>Enum arguments rendered from their table alone (a decoder without the enum type) read as the enum itself renders.</summary>
public class EnumTableTests
{
    [Flags]
    public enum Access : ushort { None = 0, Read = 1, Write = 2, ReadWrite = 3, Admin = 0x100 }

    public enum Code : sbyte { Low = -2, Zero = 0, High = 100 }

    public enum Big : ulong { Small = 1, Huge = ulong.MaxValue }

    private static string ViaTable<T>(T value, string? format) where T : unmanaged, Enum
    {
        var arg = TemplateArg.FromTable("v", EnumTable.Of<T>());
        var bytes = new byte[System.Runtime.CompilerServices.Unsafe.SizeOf<T>()];
        System.Runtime.InteropServices.MemoryMarshal.Write(bytes, in value);
        var dest = new byte[256];
        Assert.True(arg.Codec.TryFormat(bytes, dest, out int written, format));
        return Encoding.UTF8.GetString(dest, 0, written);
    }

    public static TheoryData<string?> Formats => new() { null, "G", "g", "D", "d", "X", "x", "F" };

    [Theory]
    [MemberData(nameof(Formats))]
    public void Table_formatting_matches_Enum_ToString(string? format)
    {
        foreach (var v in new[] { Access.None, Access.Read, Access.ReadWrite, Access.Write | Access.Admin, (Access)4, (Access)0x103, (Access)0xFFFF })
            Assert.Equal(v.ToString(format), ViaTable(v, format));
        foreach (var v in new[] { Code.Low, Code.Zero, Code.High, (Code)(-128), (Code)5 })
            Assert.Equal(v.ToString(format), ViaTable(v, format));
        foreach (var v in new[] { Big.Small, Big.Huge, (Big)12345 })
            Assert.Equal(v.ToString(format), ViaTable(v, format));
    }
}
