using System;
using System.Buffers;
using System.Text;
using System.Threading;
using Kakashi.Buffers;
using Kakashi.Templates;
using Microsoft.Extensions.Logging;

namespace Kakashi.Runtime.Tests;

/// <summary>The text formatter allocates nothing per record in steady state, with every feature of the text format on.</summary>
public class TextFormatterAllocationTests
{
    private const int Records = 100_000;

    private static readonly TextFormatter Formatter = new(
        "{Timestamp:yyyy-MM-dd HH:mm:ss.fff} {Timestamp:local:HH:mm:ss.FFF zzz} {Timestamp:R} {Timestamp} [{Level,-11}] [{Level,-5:u3}] {Category,20} " +
        "{ThreadName,-12} {ThreadId,4} {TraceId} {SpanId,-20}: {Message,-30} {Properties}{NewLine}");

    private static readonly LogTemplate Template = HandRecords.Template("Hostile {S} {U,-20} {C} {N:F2} done",
        ArgType.String, ArgType.Utf8Text, ArgType.Char, ArgType.Double);

    [Fact]
    public void Formatting_hostile_values_with_escaping_a_custom_timestamp_and_aligned_tokens_allocates_nothing_per_record()
    {
        var activity = new System.Diagnostics.Activity("op").SetIdFormat(System.Diagnostics.ActivityIdFormat.W3C).Start();
        activity.Stop();
        byte[][] args =
        [
            HandRecords.String("\n2026-01-01 [Critical] Fake: pwned\r\u001b[31m\u0085\u2028\0\u007f\ud800 " + new string('\n', 100)),
            HandRecords.Utf8(Encoding.UTF8.GetBytes("utf8\n\u009b\u2029")),
            HandRecords.Char('\u001b'),
            BitConverter.GetBytes(3.14159),
        ];
        int[] offsets = new int[args.Length];
        for (int i = 1; i < args.Length; i++) offsets[i] = offsets[i - 1] + args[i - 1].Length;
        byte[] payload = [.. args[0], .. args[1], .. args[2], .. args[3]];
        object?[] objects = [activity];
        var collected = new System.Buffers.ArrayBufferWriter<byte>();
        var writer = new PropertyWriter(collected);
        writer.Add("Region"u8, "eu-west"u8);
        writer.Add("Note"u8, "a\nb".AsSpan());
        writer.Add("Odd"u8, "\u0085\u2028".AsSpan());
        byte[] properties = collected.WrittenSpan.ToArray();

        long owner = Measure(payload, offsets, objects, properties, "drain\nthread");
        long other = Measure(payload, offsets, objects, properties, "other"); // not the cache's owner: the shared cache
        Assert.Equal(0, owner);
        Assert.Equal(0, other);
    }

    private static long Measure(byte[] payload, int[] offsets, object?[] objects, byte[] properties, string threadName)
    {
        long allocated = -1;
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                var output = new ArrayBufferWriter<byte>(1 << 20);
                Run(output, payload, offsets, objects, properties, threadName, 0, 20_000); // warm up: JIT tiers, scratch buffers, caches
                Thread.Sleep(100);
                Run(output, payload, offsets, objects, properties, threadName, 0, 20_000);
                long before = GC.GetAllocatedBytesForCurrentThread();
                Run(output, payload, offsets, objects, properties, threadName, 20_000, Records);
                allocated = GC.GetAllocatedBytesForCurrentThread() - before;
                string last = Encoding.UTF8.GetString(output.WrittenSpan);
                Assert.Contains(@"Hostile \n2026-01-01 [Critical] Fake: pwned\r\u001b[31m\u0085\u2028\u0000\u007f", last);
                Assert.Contains(@"utf8\n\u009b\u2029", last);
                Assert.Contains(@"Note=""a\nb"" Odd=\u0085\u2028", last);
                Assert.Contains("[Warning    ] [WRN  ]", last);
                Assert.Equal(1, last.Split('\n').Length - 1);
            }
            catch (Exception e)
            {
                failure = e;
            }
        });
        thread.Start();
        thread.Join();
        if (failure is not null) throw new Xunit.Sdk.XunitException(failure.ToString());
        return allocated;
    }

    private static void Run(ArrayBufferWriter<byte> output, byte[] payload, int[] offsets, object?[] objects, byte[] properties, string threadName, int from, int count)
    {
        long start = new DateTime(2026, 12, 1, 10, 20, 30, DateTimeKind.Utc).Ticks;
        for (int i = from; i < from + count; i++)
        {
            // a new second every few records: the per-second caches are refreshed, over and over
            var timestamp = new DateTime(start + i * 3_456_789L, DateTimeKind.Utc);
            var record = new LogRecord(Template, HandRecords.Category, LogLevel.Warning, timestamp, 0, 42, RecordFlags.HasActivity, payload, offsets, objects,
                threadName, properties);
            output.ResetWrittenCount();
            var writer = new Utf8Writer(output);
            Formatter.Format(in record, ref writer);
            writer.Commit();
        }
    }
}
