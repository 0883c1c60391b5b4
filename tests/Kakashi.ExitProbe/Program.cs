using System;
using System.Threading;
using Kakashi;
using Microsoft.Extensions.Logging;

// usage: Kakashi.ExitProbe <log path> <records> <how: return|exit|clock|huge|append [prefix]>
//        Kakashi.ExitProbe decode <capture> <manifest> <output> [template]
//        Kakashi.ExitProbe console [sync]: the development preset to the real console (colored on a terminal only)
//        Kakashi.ExitProbe spool <folder> <dead url> <records>: spools every record, prints "spooled", waits to be killed
//        Kakashi.ExitProbe meter <log path> <pipeline name>: logs 100 records every 50 ms (the Kakashi meter's counters move),
//          prints "ready" once the first ones are written, stops when its standard input closes (at most 120 s), prints "logged N"
//   return/exit: never disposes the pipeline (ProcessExit must flush); clock: prints the clock source;
//   huge: logs two 540-million-char strings in one record (sizes past int.MaxValue), then a marker;
//   append: a second process appending to the same file as the test ("<prefix> N" lines), then disposes.
//   A <log path> ending in .klog writes the binary log (BinaryLogWriter) instead of text.
if (args[0] == "decode") return Decoding.Run(args);
if (args[0] == "console")
{
    // the development preset's console writer on this process's real standard output (a pipe, or a terminal under script(1))
    using (var console = KakashiLogging.Setup("development", asyncLogging: args.Length < 2 || args[1] != "sync"))
    {
        var log = KakashiLogging.CreateLogger("Probe");
        log.Record(1);
        log.Failed(2);
    }
    return 0;
}
if (args[0] == "spool")
{
    // a process whose network destination is down: it spools, says so, and waits to be killed (the test's next pipeline replays)
    int count = int.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture);
    var spooling = new AsyncPipeline(new AsyncPipelineConfig
    {
        FlushOnProcessExit = false,
        Writers = [new AsyncNetworkWriter(args[2])
        {
            Spool = new DiskSpool(args[1]),
            FlushInterval = TimeSpan.FromMilliseconds(50),
            BatchSize = 100,
            MaxRetries = 0,
        }],
    });
    var spoolLog = spooling.CreateLogger("Probe");
    for (int i = 0; i < count; i++) spoolLog.Record(i);
    while (spooling.GetMetrics().Writers[0].Spooled < count) Thread.Sleep(20);
    Console.WriteLine("spooled");
    Thread.Sleep(Timeout.Infinite);
    return 0;
}
if (args[0] == "meter") return Metered.Run(args[1], args[2]);
string path = args[0];
string how = args.Length > 2 ? args[2] : "return";
if (how == "clock") Console.WriteLine(Kakashi.Clock.KakashiClock.Source);
int records = int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture);
var pipeline = new AsyncPipeline(new AsyncPipelineConfig
{
    Formatter = new TextFormatter(how == "clock" ? "{Timestamp:O} {Message}{NewLine}" : "{Message}{NewLine}"),
    // a .klog path: the binary log, through the same file writer machinery (two processes appending, exit flushes)
    Writers = [path.EndsWith(BinaryLogWriter.Extension, StringComparison.Ordinal) ? new BinaryLogWriter(path) : new AsyncFileWriter(path)],
});
var logger = pipeline.CreateLogger("Probe");
if (how == "huge")
{
    string big = new('x', 540_000_000);
    logger.Two(big, big);
    logger.Record(1);
    pipeline.Dispose();
    Console.WriteLine($"truncated={pipeline.GetMetrics().LogsTruncated}");
    return 0;
}
if (how == "append")
{
    string prefix = args[3];
    for (int i = 0; i < records; i++) logger.Line(prefix, i);
    pipeline.Dispose();
    return 0;
}
for (int i = 0; i < records; i++) logger.Record(i);
// no Dispose, no FlushAllAsync: ProcessExit must drain and flush
if (how == "exit") Environment.Exit(3);
return 0;

/// <summary>A process the Kakashi meter can be watched in (dotnet-counters, tests/Kakashi.Tools.Tests).</summary>
internal static class Metered
{
    public static int Run(string path, string name)
    {
        var pipeline = new AsyncPipeline(new AsyncPipelineConfig
        {
            Name = name,
            Formatter = new TextFormatter("{Message}{NewLine}"),
            FlushInterval = TimeSpan.FromMilliseconds(100),
            Writers = [new AsyncFileWriter(path)],
        });
        var logger = pipeline.CreateLogger("Probe");
        using var stop = new ManualResetEventSlim();
        var stdin = new Thread(() =>
        {
            Console.In.ReadToEnd();
            stop.Set();
        }) { IsBackground = true };
        stdin.Start();
        int logged = 0;
        var started = System.Diagnostics.Stopwatch.StartNew();
        while (!stop.IsSet && started.Elapsed < TimeSpan.FromSeconds(120))
        {
            for (int i = 0; i < 100; i++) logger.Record(logged++);
            if (logged == 100)
            {
                pipeline.FlushAllAsync().GetAwaiter().GetResult();
                Console.WriteLine("ready");
            }
            stop.Wait(50);
        }
        pipeline.Dispose();
        Console.WriteLine($"logged {logged}");
        return 0;
    }
}

internal static partial class ProbeLog
{
    [KakashiLog(LogLevel.Information, "record {Index}")]
    public static partial void Record(this KakashiLogger logger, int index);

    [KakashiLog(LogLevel.Error, "failed {Index}")]
    public static partial void Failed(this KakashiLogger logger, int index);

    [KakashiLog(LogLevel.Information, "Two {A} {B}")]
    public static partial void Two(this KakashiLogger logger, string a, string b);

    [KakashiLog(LogLevel.Information, "{Prefix} {Index}")]
    public static partial void Line(this KakashiLogger logger, string prefix, int index);
}

/// <summary>
/// Decodes records captured in another process (the runtime tests) from the manifest bytes alone: this process has none of
/// the test assembly's generated code, enums or types. The capture is a sequence of (24-byte clock calibration, detached record).
/// </summary>
internal static class Decoding
{
    public static int Run(string[] args)
    {
        var manifest = LogManifest.Read(System.IO.File.ReadAllBytes(args[2]));
        var decoder = new RecordDecoder(manifest);
        var formatter = args.Length > 4 ? new TextFormatter(args[4]) : new TextFormatter();
        var output = new System.Buffers.ArrayBufferWriter<byte>();
        byte[] capture = System.IO.File.ReadAllBytes(args[1]);
        int pos = 0, records = 0;
        while (pos < capture.Length)
        {
            decoder.Clock = Kakashi.Clock.ClockCalibration.Read(capture.AsSpan(pos, Kakashi.Clock.ClockCalibration.Size));
            pos += Kakashi.Clock.ClockCalibration.Size;
            var status = decoder.TryDecodeDetached(capture.AsSpan(pos), null, out var record, out int consumed);
            if (status != DecodeStatus.Ok)
            {
                Console.Error.WriteLine($"record {records} at byte {pos}: {status}");
                return 2;
            }
            pos += consumed;
            var writer = new Utf8Writer(output);
            formatter.Format(in record, ref writer);
            writer.Commit();
            records++;
        }
        System.IO.File.WriteAllBytes(args[3], output.WrittenSpan.ToArray());
        Console.WriteLine($"templates={manifest.Templates.Count} records={records}");
        return 0;
    }
}
