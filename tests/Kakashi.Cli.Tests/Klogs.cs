using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.Logging;

namespace Kakashi.Cli.Tests;

/// <summary>Real .klog files, written by pipelines with a <see cref="BinaryLogWriter"/>, in a temp folder per test.</summary>
internal static class Klogs
{
    public const string Categories = "Orders.Engine, Orders.Book, Risk.Limits, Market.Data";

    public static string TempFolder()
    {
        string folder = Path.Combine(Path.GetTempPath(), "kakashi-cli-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        return folder;
    }

    /// <summary>A pipeline writing <paramref name="path"/> (and the other writers given), every level on.</summary>
    public static AsyncPipeline Pipeline(string path, params LogWriter[] others) => Pipeline(new BinaryLogWriter(path), others);

    public static AsyncPipeline Pipeline(BinaryLogWriter klog, params LogWriter[] others)
        => new(new AsyncPipelineConfig
        {
            MinLevel = LogLevel.Trace,
            Writers = [klog, .. others],
            FlushOnProcessExit = false,
        });

    /// <summary>Writes <paramref name="path"/>: <paramref name="log"/> runs against a fresh pipeline, which is then disposed (flushed, closed).</summary>
    public static async Task WriteAsync(string path, Action<AsyncPipeline> log, params LogWriter[] others)
    {
        await using var pipeline = Pipeline(path, others);
        log(pipeline);
        await pipeline.FlushAllAsync();
    }

    /// <summary>
    /// <paramref name="rounds"/> rounds of every kind of record: each level, four categories, event ids and names, an
    /// exception with an inner one, a named thread. 8 records a round.
    /// </summary>
    public static void LogVariety(AsyncPipeline pipeline, int rounds)
    {
        var engine = pipeline.CreateLogger("Orders.Engine");
        var book = pipeline.CreateLogger("Orders.Book");
        var risk = pipeline.CreateLogger("Risk.Limits");
        var market = pipeline.CreateLogger("Market.Data");
        Exception error;
        try
        {
            try
            {
                throw new InvalidOperationException("the ledger is locked");
            }
            catch (Exception inner)
            {
                throw new IOException("settlement rejected", inner);
            }
        }
        catch (Exception e)
        {
            error = e;
        }
        for (int i = 0; i < rounds; i++)
        {
            engine.OrderFilled(i, 100 + i, 101.25 + i, i % 2 == 0 ? "MSFT" : "AAPL");
            market.Heartbeat(i);
            market.Tick(10.5m + i, 10.75m + i);
            book.OrderRejected(i, i % 3 == 0 ? "insufficient margin" : "price out of band");
            risk.SettlementFailed(i, error);
            if (i % 10 == 0) risk.Halted("XNAS \"main\"");
            engine.Seq("variety", i);
            book.OrderFilled(-i, 1, 0.5, "Ünïcödé \u001b[31m");
        }
        var thread = new Thread(() => engine.Seq("named-thread", rounds)) { Name = "matcher" };
        thread.Start();
        thread.Join();
    }

    public static int VarietyCount(int rounds) => rounds * 7 + (rounds + 9) / 10 + 1;

    /// <summary>Records of <paramref name="path"/> read with the runtime's reader and formatted (the test's own oracle).</summary>
    public static byte[] DecodeWithRuntime(string path, LogFormatter formatter)
    {
        using var reader = KlogReader.Open(path);
        var output = new System.Buffers.ArrayBufferWriter<byte>(1 << 16);
        while (reader.MoveNext())
        {
            var w = new Utf8Writer(output);
            formatter.Format(reader.Current, ref w);
            w.Commit();
        }
        return output.WrittenSpan.ToArray();
    }

    public static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
}
