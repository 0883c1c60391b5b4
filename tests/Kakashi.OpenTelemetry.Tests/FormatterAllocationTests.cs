using System;
using System.Buffers;
using System.Diagnostics;
using System.Linq;
using System.Runtime.InteropServices;
using System.Text;
using System.Threading;
using Kakashi.Buffers;
using Kakashi.Templates;
using Microsoft.Extensions.Logging;
using Opentelemetry.Proto.Logs.V1;

namespace Kakashi.OpenTelemetry.Tests;

/// <summary>The OTLP formatters write each record with no allocation in steady state, and what they write decodes.</summary>
public class FormatterAllocationTests
{
    private static readonly LogTemplate Template = LogTemplate.Parse("OtlpTests.Order", LogLevel.Information, 7, "Order",
        "Order {OrderId} at {Price} by {Trader} {Side} {Maybe}",
        [new TemplateArg("orderId", ArgType.Int32), new TemplateArg("price", ArgType.Double), new TemplateArg("trader", ArgType.String),
         TemplateArg.Enum<Side>("side"), new TemplateArg("maybe", ArgType.Int64 | ArgType.Nullable)]);

    private static readonly LogCategory Category = new(3, "Alloc.Category");

    private static byte[] Payload(out int[] offsets)
    {
        string trader = "Ana María";
        byte[][] args =
        [
            BitConverter.GetBytes(42),
            BitConverter.GetBytes(101.25),
            [.. BitConverter.GetBytes(trader.Length), .. MemoryMarshal.AsBytes(trader.AsSpan()).ToArray()],
            BitConverter.GetBytes((int)Side.Sell),
            [0, .. new byte[8]], // null
        ];
        offsets = new int[args.Length];
        for (int i = 1; i < args.Length; i++) offsets[i] = offsets[i - 1] + args[i - 1].Length;
        return args.SelectMany(a => a).ToArray();
    }

    private static void Format(LogFormatter formatter, ArrayBufferWriter<byte> output, byte[] payload, int[] offsets, object?[] objects, byte[] properties)
    {
        var record = new LogRecord(Template, Category, LogLevel.Warning, new DateTime(2026, 12, 1, 0, 0, 0, DateTimeKind.Utc), 0, 5,
            RecordFlags.HasActivity, payload, offsets, objects, "drain", properties);
        var writer = new Utf8Writer(output);
        formatter.Format(in record, ref writer);
        writer.Commit();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Formatting_a_record_allocates_nothing(bool json)
    {
        LogFormatter formatter = json ? new OtlpJsonFormatter() : new OtlpFormatter();
        var activity = new Activity("op").SetIdFormat(ActivityIdFormat.W3C).Start();
        activity.Stop();
        byte[] payload = Payload(out int[] offsets);
        object?[] objects = [activity];
        var collected = new ArrayBufferWriter<byte>();
        var properties = new PropertyWriter(collected);
        properties.Add("Region"u8, "eu-west"u8);
        properties.Add("Count"u8, 12);
        byte[] props = collected.WrittenSpan.ToArray();

        long allocated = -1;
        var windows = new System.Collections.Generic.List<long>();
        byte[] last = [];
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                var output = new ArrayBufferWriter<byte>(64 * 1024);
                for (int i = 0; i < 20_000; i++)
                {
                    output.ResetWrittenCount();
                    Format(formatter, output, payload, offsets, objects, props);
                }
                Thread.Sleep(100);
                // the least of several 20k-record windows, until one is clean or 15 s have passed: unoptimized (tier-0) code of the
                // JSON formatter boxes a little per attribute until the JIT optimizes it, which a loaded machine delays for
                // seconds (DOTNET_TC_CallCountingDelayMs=100000 shows it); an allocation per record in steady state shows in every window
                allocated = long.MaxValue;
                var clock = Stopwatch.StartNew();
                for (int window = 0; allocated != 0 && (window < 5 || clock.Elapsed < TimeSpan.FromSeconds(15)); window++)
                {
                    long before = GC.GetAllocatedBytesForCurrentThread();
                    for (int i = 0; i < 20_000; i++)
                    {
                        output.ResetWrittenCount();
                        Format(formatter, output, payload, offsets, objects, props);
                    }
                    long used = GC.GetAllocatedBytesForCurrentThread() - before;
                    windows.Add(used);
                    allocated = Math.Min(allocated, used);
                    Thread.Sleep(50); // lets the tiering thread of a loaded machine catch up
                }
                last = output.WrittenSpan.ToArray();
            }
            catch (Exception e)
            {
                failure = e;
            }
        });
        thread.Start();
        thread.Join();
        Assert.Null(failure);
        Assert.True(allocated == 0, "allocated per window: " + string.Join(", ", windows));

        // and the bytes are one ScopeLogs, as the official schema reads it
        var scope = json
            ? new Google.Protobuf.JsonParser(Google.Protobuf.JsonParser.Settings.Default.WithIgnoreUnknownFields(true)).Parse<ScopeLogs>(Encoding.UTF8.GetString(last))
            : ScopeLogs.Parser.ParseFrom(last);
        Assert.Equal("Alloc.Category", scope.Scope.Name);
        var record = Assert.Single(scope.LogRecords);
        Assert.Equal("Order 42 at 101.25 by Ana María Sell (null)", record.Body.StringValue);
        Assert.Equal(SeverityNumber.Warn, record.SeverityNumber);
        var attributes = record.Attributes.ToDictionary(a => a.Key, a => a.Value);
        Assert.Equal(42, attributes["OrderId"].IntValue);
        Assert.Equal(101.25, attributes["Price"].DoubleValue);
        Assert.Equal("Ana María", attributes["Trader"].StringValue);
        Assert.Equal("Sell", attributes["Side"].StringValue);
        Assert.Equal(Opentelemetry.Proto.Common.V1.AnyValue.ValueOneofCase.None, attributes["Maybe"].ValueCase);
        Assert.Equal("eu-west", attributes["Region"].StringValue);
        Assert.Equal(12, attributes["Count"].IntValue);
        Assert.Equal(7, attributes["logrecord.event.id"].IntValue);
        var traceId = new byte[16];
        activity.TraceId.CopyTo(traceId);
        if (json) Assert.Contains($"\"traceId\":\"{activity.TraceId.ToHexString()}\",\"spanId\":\"{activity.SpanId.ToHexString()}\"", Encoding.UTF8.GetString(last)); // hex (JsonParser reads bytes as base64)
        else Assert.Equal(traceId, record.TraceId.ToByteArray());
        Assert.Equal(1_796_083_200_000_000_000UL, record.TimeUnixNano);
    }
}
