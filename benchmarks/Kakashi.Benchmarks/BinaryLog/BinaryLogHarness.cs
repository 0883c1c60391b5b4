using System;
using System.Buffers;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Text;
using System.Threading;
using Kakashi.Benchmarks.Infrastructure;
using Kakashi.Benchmarks.Peers;

namespace Kakashi.Benchmarks.BinaryLog;

/// <summary>
/// The binary log's size and decode speed (docs/benchmarks.md, "Binary log"): the benchmark message written by the
/// Kakashi text peer and by the Kakashi-klog peer (same process, same records), the text gzip'd, bytes per record of each;
/// then the .klog decoded single-threaded, as `kakashi decode` does: reading only, to text with the text peer's layout, to
/// JSON, each into a reused buffer written to a null stream. Throughput of the writers themselves is the throughput mode's
/// (peers Kakashi,Kakashi-klog).
/// </summary>
public static class BinaryLogHarness
{
    public static readonly string[] Options = ["records", "runs"];

    public static void Run(Cli cli, StringBuilder report)
    {
        int records = cli.GetInt("records", 5_000_000);
        int runs = cli.GetInt("runs", 3);
        using var temp = new TempFolder("binlog");
        string text = temp.File("bench.log"), klog = temp.File("bench.klog");
        Write(new KakashiPeer(), text, records);
        Write(new KakashiPeer("Kakashi-klog", binary: true), klog, records);
        long textBytes = new FileInfo(text).Length, klogBytes = new FileInfo(klog).Length;
        long gzipFast = Gzip(text, CompressionLevel.Fastest), gzipBest = Gzip(text, CompressionLevel.SmallestSize);
        long klogGzip = Gzip(klog, CompressionLevel.SmallestSize);

        report.AppendLine("## Binary log");
        report.AppendLine();
        report.AppendLine($"{records:N0} benchmark records (\"{PeerSetup.Template}\", int, int, double, string) from one producer thread, written by the Kakashi text peer " +
                          $"(layout `{KakashiPeer.Layout.Replace("{NewLine}", "", StringComparison.Ordinal)}`) and by Kakashi-klog (BinaryLogWriter); the text file gzip'd with .NET's GZipStream. " +
                          "The message is the benchmark's: consecutive order ids, the other values constant, so gzip finds long repeats a real log has fewer of.");
        report.AppendLine();
        report.AppendLine("| file | bytes | bytes/record | vs .klog |");
        report.AppendLine("| --- | ---: | ---: | ---: |");
        void Size(string name, long bytes) => report.AppendLine($"| {name} | {bytes:N0} | {(double)bytes / records:0.00} | {(double)bytes / klogBytes:0.00}× |");
        Size(".klog (BinaryLogWriter)", klogBytes);
        Size("text (AsyncFileWriter)", textBytes);
        Size("text, gzip fastest", gzipFast);
        Size("text, gzip smallest", gzipBest);
        Size(".klog, gzip smallest (CompressRolledFiles)", klogGzip);
        report.AppendLine();

        var modes = new (string Name, LogFormatter? Formatter)[]
        {
            ("read only (KlogReader.MoveNext)", null),
            ("to text (the text peer's layout)", new TextFormatter(KakashiPeer.Layout)),
            ("to text (TextFormatter.DefaultTemplate)", new TextFormatter()),
            ("to JSON (JsonFormatter)", new JsonFormatter()),
            ("to CLEF", new JsonFormatter { Fields = JsonFieldSet.Clef }),
        };
        report.AppendLine($"Decoding the .klog single-threaded into a reused buffer (written out to Stream.Null in 1 MiB pieces, as the tool writes to its output): {runs} runs each, median; every run decodes all {records:N0} records (checked).");
        report.AppendLine();
        report.AppendLine("| decode | records/s | MB/s of output | runs (M records/s) |");
        report.AppendLine("| --- | ---: | ---: | --- |");
        foreach (var (name, formatter) in modes)
        {
            var rates = new List<double>();
            long output = 0;
            for (int run = 0; run < runs; run++)
            {
                var (count, bytes, seconds) = Decode(klog, formatter);
                if (count < records) throw new InvalidOperationException($"decoded {count} of {records} records");
                rates.Add(count / seconds);
                output = bytes;
                Console.Error.WriteLine($"  {name}: {count / seconds:N0} records/s");
            }
            double median = Stats.Median(rates);
            report.AppendLine($"| {name} | {median:N0} | {(formatter is null ? "" : (output / 1e6 / (records / median)).ToString("N0", System.Globalization.CultureInfo.InvariantCulture))} | {string.Join(", ", rates.Select(r => (r / 1e6).ToString("0.00", System.Globalization.CultureInfo.InvariantCulture)))} |");
        }
        report.AppendLine();
    }

    private static void Write(KakashiPeer peer, string path, int records)
    {
        peer.Setup(path);
        var thread = new Thread(() =>
        {
            for (int i = 0; i < records; i++) peer.Log(i, PeerSetup.Quantity, PeerSetup.Price, PeerSetup.Symbol);
        });
        thread.Start();
        thread.Join();
        peer.Dispose();
    }

    private static long Gzip(string path, CompressionLevel level)
    {
        using var input = File.OpenRead(path);
        var counter = new CountingStream();
        using (var gzip = new GZipStream(counter, level, leaveOpen: true)) input.CopyTo(gzip);
        return counter.Count;
    }

    private static (long Records, long Bytes, double Seconds) Decode(string path, LogFormatter? formatter)
    {
        GC.Collect();
        var buffer = new ArrayBufferWriter<byte>(2 << 20);
        var sink = Stream.Null;
        long bytes = 0;
        long start = Stopwatch.GetTimestamp();
        using var reader = KlogReader.Open(path);
        while (reader.MoveNext())
        {
            if (formatter is null) continue;
            var w = new Utf8Writer(buffer);
            formatter.Format(reader.Current, ref w);
            w.Commit();
            if (buffer.WrittenCount >= 1 << 20)
            {
                sink.Write(buffer.WrittenSpan);
                bytes += buffer.WrittenCount;
                buffer.ResetWrittenCount();
            }
        }
        sink.Write(buffer.WrittenSpan);
        bytes += buffer.WrittenCount;
        return (reader.RecordsRead, bytes, Stopwatch.GetElapsedTime(start).TotalSeconds);
    }

    private sealed class CountingStream : Stream
    {
        public long Count;
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => Count;
        public override long Position { get => Count; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => Count += count;
        public override void Write(ReadOnlySpan<byte> buffer) => Count += buffer.Length;
    }
}
