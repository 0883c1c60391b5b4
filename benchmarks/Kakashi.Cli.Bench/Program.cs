using System;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Threading;
using System.Threading.Tasks;
using Kakashi;
using Kakashi.Cli;
using Microsoft.Extensions.Logging;

// dotnet run -c Release --project benchmarks/Kakashi.Cli.Bench -- generate /tmp/bench.klog 10000000
// dotnet run -c Release --project benchmarks/Kakashi.Cli.Bench -- decode /tmp/bench.klog [runs] [kakashi decode options...]
if (args.Length >= 2 && args[0] == "generate")
{
    long count = args.Length > 2 ? long.Parse(args[2], CultureInfo.InvariantCulture) : 10_000_000;
    var clock = Stopwatch.StartNew();
    await Bench.GenerateAsync(args[1], count);
    Console.WriteLine($"{args[1]}: {count:N0} records, {new FileInfo(args[1]).Length:N0} bytes, written in {clock.Elapsed.TotalSeconds:F1} s");
    return 0;
}
if (args.Length >= 2 && args[0] == "decode")
{
    int runs = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 5;
    string[] options = args.Length > 3 ? args[3..] : [];
    return Bench.Decode(args[1], runs, options);
}
Console.Error.WriteLine("usage: generate FILE [COUNT] | decode FILE [RUNS] [options]");
return 1;

internal static partial class Bench
{
    [KakashiLog(LogLevel.Information, "Order {OrderId} filled {Quantity} at {Price} for {Symbol}", EventId = 1001)]
    private static partial void OrderFilled(this KakashiLogger logger, int orderId, int quantity, double price, string symbol);

    /// <summary>The benchmark message (docs/PERF: int, int, double, string), through a pipeline whose only writer is the .klog one.</summary>
    public static async Task GenerateAsync(string path, long count)
    {
        if (File.Exists(path)) File.Delete(path);
        await using var pipeline = new AsyncPipeline(new AsyncPipelineConfig { Writers = [new BinaryLogWriter(path)], FlushOnProcessExit = false });
        var logger = pipeline.CreateLogger("Trading.Engine");
        string[] symbols = ["MSFT", "AAPL", "NVDA", "AMZN"];
        for (long i = 0; i < count; i++) logger.OrderFilled((int)i, 100 + (int)(i % 900), 101.25 + (i % 1000) * 0.01, symbols[i % 4]);
        await pipeline.FlushAllAsync();
    }

    /// <summary>kakashi decode FILE to a null stream, <paramref name="runs"/> times (after one warm-up run): records/s of each, and the median.</summary>
    public static int Decode(string path, int runs, string[] options)
    {
        long records;
        using (var reader = KlogReader.Open(path))
        {
            while (reader.MoveNext())
            {
            }
            records = reader.RecordsRead;
        }
        var rates = new double[runs];
        for (int run = -1; run < runs; run++)
        {
            using var output = new CountingStream();
            var clock = Stopwatch.StartNew();
            int code = Cli.Run(["decode", "--no-progress", .. options, path], Stream.Null, output, Console.Error, CancellationToken.None);
            double seconds = clock.Elapsed.TotalSeconds;
            if (code != 0) return code;
            if (run < 0)
            {
                Console.WriteLine($"warm-up run (first in the process): {records:N0} records in {seconds:F3} s: {records / seconds:N0} records/s");
                continue;
            }
            rates[run] = records / seconds;
            Console.WriteLine($"run {run + 1}: {records:N0} records, {output.Written:N0} bytes out in {seconds:F3} s: {rates[run]:N0} records/s");
        }
        Array.Sort(rates);
        Console.WriteLine($"median: {rates[runs / 2]:N0} records/s ({Environment.ProcessorCount} cores, {System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription})");
        return 0;
    }

    private sealed class CountingStream : Stream
    {
        public long Written { get; private set; }
        public override void Write(byte[] buffer, int offset, int count) => Written += count;
        public override void Write(ReadOnlySpan<byte> buffer) => Written += buffer.Length;
        public override void Flush()
        {
        }
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => Written;
        public override long Position { get => Written; set => throw new NotSupportedException(); }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
