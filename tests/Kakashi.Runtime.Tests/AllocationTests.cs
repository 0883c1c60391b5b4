using System;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.Logging;

namespace Kakashi.Runtime.Tests;

/// <summary>The calling thread allocates nothing, for every supported parameter type; the pipeline allocates nothing per record.</summary>
[Collection(AllocationCollection.Name)]
public class AllocationTests
{
    private const int Calls = 100_000;

    private static readonly DateTime Now = new(2026, 11, 27, 20, 0, 0, DateTimeKind.Utc);
    private static readonly Guid Id = Guid.NewGuid();
    private static readonly InvalidOperationException Error = new("boom");

    public static TheoryData<string> Methods => new()
    {
        "OrderFilled", "Bool", "Byte", "SByte", "Short", "UShort", "Int", "UInt", "Long", "ULong", "Float", "Double", "Decimal", "Char",
        "NInt", "Half", "Int128", "DateTime", "DateTimeOffset", "TimeSpan", "Guid", "Enum", "Flags", "NullableInt", "NullableIntNull",
        "NullableDate", "NullableEnum", "Tagged", "Price", "Text", "TextNull", "Span", "Exception", "Dynamic", "Disabled", "Instance",
    };

    private static void Call(KakashiLogger l, string method, int i)
    {
        switch (method)
        {
            case "OrderFilled": l.OrderFilled(i, 100, 101.25, "MSFT"); break;
            case "Bool": l.Bool((i & 1) == 0); break;
            case "Byte": l.Byte((byte)i); break;
            case "SByte": l.SByte((sbyte)i); break;
            case "Short": l.Short((short)i); break;
            case "UShort": l.UShort((ushort)i); break;
            case "Int": l.Int(i); break;
            case "UInt": l.UInt((uint)i); break;
            case "Long": l.Long(i); break;
            case "ULong": l.ULong((ulong)i); break;
            case "Float": l.Float(i); break;
            case "Double": l.Double(i * 0.5); break;
            case "Decimal": l.Decimal(i * 0.01m); break;
            case "Char": l.Char((char)('a' + i % 26)); break;
            case "NInt": l.NInt(i); break;
            case "Half": l.Half((Half)i); break;
            case "Int128": l.Int128(i); break;
            case "DateTime": l.DateTime(Now); break;
            case "DateTimeOffset": l.DateTimeOffset(new DateTimeOffset(Now)); break;
            case "TimeSpan": l.TimeSpan(System.TimeSpan.FromTicks(i)); break;
            case "Guid": l.Guid(Id); break;
            case "Enum": l.Enum((Side)(i & 1)); break;
            case "Flags": l.Flags((Permissions)(i & 7)); break;
            case "NullableInt": l.NullableInt(i); break;
            case "NullableIntNull": l.NullableInt(null); break;
            case "NullableDate": l.NullableDate(Now); break;
            case "NullableEnum": l.NullableEnum(Side.Buy); break;
            case "Tagged": l.Tagged(new Tagged("tag", i)); break;
            case "Price": l.Price(new Price(i)); break;
            case "Text": l.Text("a constant string"); break;
            case "TextNull": l.Text(null); break;
            case "Span": l.Span("span of chars".AsSpan(0, 4 + i % 8)); break;
            case "Exception": l.Failed("op", Error); break;
            case "Dynamic": l.Dynamic(LogLevel.Warning, i); break;
            case "Disabled": l.DebugValue(i); break;
            case "Instance": new FieldHolder(l).Tick(1, 2); break; // FieldHolder itself allocates: measured separately below
            default: throw new ArgumentOutOfRangeException(nameof(method));
        }
    }

    [Theory]
    [MemberData(nameof(Methods))]
    public async Task Logging_call_allocates_nothing_on_the_calling_thread(string method)
    {
        await using var log = new TempLog(minLevel: LogLevel.Information, bufferSize: 64 * 1024);
        var logger = log.Logger;
        var holder = new FieldHolder(logger);
        long allocated = 0;
        var thread = new Thread(() =>
        {
            // warm up: thread buffer registration, JIT tiers, static template init
            for (int i = 0; i < 2_000; i++) Call(logger, method, i);
            Thread.Sleep(200);
            for (int i = 0; i < 2_000; i++) Call(logger, method, i);
            long before = GC.GetAllocatedBytesForCurrentThread();
            if (method == "Instance")
                for (int i = 0; i < Calls; i++) holder.Tick(i, 2);
            else
                for (int i = 0; i < Calls; i++) Call(logger, method, i);
            allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        });
        thread.Start();
        thread.Join();
        await log.Pipeline.FlushAllAsync();
        Assert.Equal(0, allocated);
    }

    [Fact]
    public async Task Whole_pipeline_allocates_a_small_constant_over_a_million_records()
    {
        await using var log = new TempLog("{Timestamp:O} [{Level}] {Category}: {Message}{NewLine}", bufferSize: 256 * 1024);
        var (caller, drain, process) = await MeasureMillion(log.Pipeline, log.Logger, warm: 200_000);

        Assert.Equal(0, caller);
        // the flush request's task and the like: bytes per FlushAllAsync, nothing per record
        Assert.True(drain < 4 * 1024, $"the drain allocated {drain} bytes for 1M records");
        // the whole process, test host included: a small constant, not a per-record cost (1M records would be >= 1 MB)
        Assert.True(process < 1024 * 1024, $"the process allocated {process} bytes for 1M records");
    }

    [Fact]
    public async Task Every_shipped_enricher_and_two_formatters_allocate_nothing_per_record()
    {
        using var folder = new TempFolder();
        var pipeline = new AsyncPipeline(new AsyncPipelineConfig
        {
            BufferSize = 256 * 1024,
            Formatter = new TextFormatter("{Timestamp:O} [{Level}] {Category}: {Message} {Properties}{NewLine}"),
            Writers =
            [
                new AsyncFileWriter(System.IO.Path.Combine(folder.Path, "text.log")),
                new AsyncFileWriter(System.IO.Path.Combine(folder.Path, "other.log")) { Formatter = new TextFormatter("{Level:u3}|{ThreadId}|{EventId}|{Message}|{Properties}{NewLine}{Exception}") },
            ],
            Enrichers =
            [
                new MachineNameEnricher(), new ProcessEnricher(), new ApplicationEnricher("alloc-test", "1.0"),
                new PropertiesEnricher(("Region", "eu-west"), ("Env", "test")), new ThreadEnricher(), new ScopeEnricher(), new ActivityEnricher(),
            ],
            FlushOnProcessExit = false,
        });
        var logger = pipeline.CreateLogger("Alloc");
        var (caller, drain, _) = await MeasureMillion(pipeline, logger, warm: 100_000, context: () =>
        {
            var activity = new System.Diagnostics.Activity("request").Start();
            var outer = logger.BeginScope("RequestId", 42);
            var inner = logger.BeginScope("User", "ann");
            return [inner, outer, activity];
        }, threadName: "a producer thread whose name is long enough to take the long path of the thread enricher: " + new string('n', 150));
        var m = pipeline.GetMetrics();
        await pipeline.DisposeAsync();

        Assert.Equal(0, caller);
        Assert.True(drain < 4 * 1024, $"the drain allocated {drain} bytes for 1M records with every enricher and two formatters");
        Assert.Equal(2, m.Formatters.Count);
        Assert.All(m.Formatters, f => Assert.True(f.Formatted >= 1_100_000));
        string line = System.IO.File.ReadLines(System.IO.Path.Combine(folder.Path, "text.log")).Last();
        Assert.Contains("RequestId=42 User=ann", line);
        Assert.Contains("TraceId=", line);
        Assert.Contains("Region=eu-west", line);
    }

    [Fact]
    public async Task Json_formatting_allocates_nothing_per_record()
    {
        using var folder = new TempFolder();
        var pipeline = new AsyncPipeline(new AsyncPipelineConfig
        {
            BufferSize = 256 * 1024,
            Formatter = new JsonFormatter(),
            Writers =
            [
                new AsyncFileWriter(System.IO.Path.Combine(folder.Path, "kakashi.json")),
                new AsyncFileWriter(System.IO.Path.Combine(folder.Path, "clef.json")) { Formatter = new JsonFormatter { Fields = JsonFieldSet.Clef } },
                new AsyncFileWriter(System.IO.Path.Combine(folder.Path, "ecs.json")) { Formatter = new JsonFormatter { Fields = JsonFieldSet.Ecs } },
            ],
            Enrichers = [new MachineNameEnricher(), new ThreadEnricher(), new ScopeEnricher(), new ActivityEnricher(), new PropertiesEnricher(("Region", "eu-west"))],
            FlushOnProcessExit = false,
        });
        var logger = pipeline.CreateLogger("Alloc");
        var (caller, drain, _) = await MeasureMillion(pipeline, logger, warm: 100_000, context: () =>
        {
            var activity = new System.Diagnostics.Activity("request").Start();
            return [logger.BeginScope("RequestId", 42), activity];
        });
        var m = pipeline.GetMetrics();
        await pipeline.DisposeAsync();

        Assert.Equal(0, caller);
        Assert.True(drain < 4 * 1024, $"the drain allocated {drain} bytes for 1M records formatted as Kakashi JSON, CLEF and ECS");
        Assert.Equal(3, m.Formatters.Count);
        Assert.All(m.Formatters, f => Assert.True(f.Formatted >= 1_100_000));
        foreach (var name in new[] { "kakashi.json", "clef.json", "ecs.json" })
        {
            string line = System.IO.File.ReadLines(System.IO.Path.Combine(folder.Path, name)).Last(l => l.Contains("OrderId"));
            using var json = System.Text.Json.JsonDocument.Parse(line); // whole and valid
            Assert.Contains("\"RequestId\":\"42\"", line);
        }
    }

    [Fact]
    public async Task Syslog_formatting_allocates_nothing_per_record()
    {
        using var folder = new TempFolder();
        var pipeline = new AsyncPipeline(new AsyncPipelineConfig
        {
            BufferSize = 256 * 1024,
            Formatter = new SyslogFormatter { HostName = "alloc-host", AppName = "alloc" },
            Writers =
            [
                new AsyncFileWriter(System.IO.Path.Combine(folder.Path, "rfc5424.log")),
                new AsyncFileWriter(System.IO.Path.Combine(folder.Path, "rfc3164.log")) { Formatter = new SyslogFormatter { MessageFormat = SyslogFormat.Rfc3164, Facility = SyslogFacility.Local0 } },
            ],
            Enrichers = [new MachineNameEnricher(), new ThreadEnricher(), new ScopeEnricher(), new ActivityEnricher(), new PropertiesEnricher(("Region", "eu \"west\""))],
            FlushOnProcessExit = false,
        });
        var logger = pipeline.CreateLogger("Alloc");
        var (caller, drain, _) = await MeasureMillion(pipeline, logger, warm: 100_000, context: () =>
        {
            var activity = new System.Diagnostics.Activity("request").Start();
            return [logger.BeginScope("RequestId", 42), activity];
        });
        var m = pipeline.GetMetrics();
        await pipeline.DisposeAsync();

        Assert.Equal(0, caller);
        Assert.True(drain < 4 * 1024, $"the drain allocated {drain} bytes for 1M records formatted as RFC 5424 and RFC 3164 syslog");
        Assert.Equal(2, m.Formatters.Count);
        Assert.All(m.Formatters, f => Assert.True(f.Formatted >= 1_100_000));
        string tail = Tail(System.IO.Path.Combine(folder.Path, "rfc5424.log"));
        Assert.Contains("Z alloc-host alloc " + Environment.ProcessId + " OrderFilled", tail);
        Assert.Contains(" OrderFilled [kakashi@32473 OrderId=\"", tail);
        Assert.Contains("Region=\"eu \\\"west\\\"\"", tail);
        Assert.Contains("RequestId=\"42\"", tail);
        Assert.Contains("]: Order ", Tail(System.IO.Path.Combine(folder.Path, "rfc3164.log")));
    }

    private static string Tail(string path)
    {
        using var stream = new System.IO.FileStream(path, System.IO.FileMode.Open, System.IO.FileAccess.Read, System.IO.FileShare.ReadWrite);
        stream.Seek(Math.Max(0, stream.Length - 4096), System.IO.SeekOrigin.Begin);
        using var reader = new System.IO.StreamReader(stream);
        return reader.ReadToEnd();
    }

    /// <summary>
    /// Logs <paramref name="warm"/> records from a dedicated producer thread (its first call registers its ring, a one-time
    /// allocation), then 1M more, and returns the bytes allocated by that thread, the drain and the whole process for the million.
    /// </summary>
    private static async Task<(long Caller, long Drain, long Process)> MeasureMillion(AsyncPipeline pipeline, KakashiLogger logger, int warm,
        Func<IDisposable[]>? context = null, string? threadName = null)
    {
        using var go = new SemaphoreSlim(0);
        using var done = new SemaphoreSlim(0);
        long caller = -1;
        var producer = new Thread(() =>
        {
            var scopes = context?.Invoke() ?? [];
            for (int i = 0; i < warm; i++) logger.OrderFilled(i, 100, 101.25, "MSFT");
            done.Release();
            go.Wait();
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 1_000_000; i++) logger.OrderFilled(i, 100, 101.25, "MSFT");
            caller = GC.GetAllocatedBytesForCurrentThread() - before;
            foreach (var scope in scopes) scope.Dispose();
            done.Release();
        }) { Name = threadName };
        producer.Start();
        done.Wait();
        await pipeline.FlushAllAsync();
        long process = GC.GetTotalAllocatedBytes(precise: true);
        long drain = pipeline.DrainAllocatedBytes;
        go.Release();
        done.Wait();
        producer.Join();
        await pipeline.FlushAllAsync();
        Thread.Sleep(150); // the drain publishes its allocation counter once per loop
        return (caller, pipeline.DrainAllocatedBytes - drain, GC.GetTotalAllocatedBytes(precise: true) - process);
    }
}

/// <summary>
/// The allocation measurements run alone, after the parallel tests: with real peers (clickhouse-server, rsyslogd) and other
/// pipelines busy on the same two cores, file writers fall behind. (That once made the drain's batch pool grow by a batch,
/// 152 KB, seen in CI: the pool was one batch short of every stage full at once; <see cref="BatchPoolSizeTests"/>.)
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class AllocationCollection
{
    public const string Name = "Allocation measurements";
}
