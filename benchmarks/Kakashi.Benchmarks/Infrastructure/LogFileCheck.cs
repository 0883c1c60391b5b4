using System;
using System.IO;
using Kakashi.Benchmarks.Peers;

namespace Kakashi.Benchmarks.Infrastructure;

/// <summary>What a peer's log file holds: lines, whole records, and anything else (a split or merged line, or a line the library wrote itself).</summary>
public readonly record struct LogFileCheck(long Lines, long RecordLines, long OtherLines, string? FirstOtherLine, long Bytes, string FirstLine)
{
    /// <summary>Reads the file once (outside any timed region).</summary>
    public static LogFileCheck Of(string path)
    {
        if (!File.Exists(path)) return new LogFileCheck(0, 0, 0, "(no file)", 0, "(no file)");
        if (IsKlog(path)) return OfKlog(path);
        long lines = 0, records = 0, other = 0;
        string? firstOther = null;
        string firstLine = "";
        using (var reader = new StreamReader(path, System.Text.Encoding.UTF8, detectEncodingFromByteOrderMarks: false, bufferSize: 1 << 20))
        {
            string? line;
            while ((line = reader.ReadLine()) is not null)
            {
                lines++;
                if (lines == 1) firstLine = line;
                if (IsRecord(line)) { records++; continue; }
                other++;
                firstOther ??= $"line {lines}: \"{(line.Length > 300 ? line[..300] + "..." : line)}\"";
            }
        }
        return new LogFileCheck(lines, records, other, firstOther, new FileInfo(path).Length, firstLine);
    }

    /// <summary>One whole record as every peer writes it: "... [Information] Bench: Order N filled 100 at 101.25 for MSFT".</summary>
    /// (Kakashi-all appends the enrichers' properties, " MachineName=... SpanId=...": the record is the text before them.)
    /// <summary>A binary log (its first frame's sync bytes): checked by decoding every record.</summary>
    public static bool IsKlog(string path)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        return file.ReadByte() == 0x4B && file.ReadByte() == 0xB1;
    }

    /// <summary>
    /// A .klog decoded record by record with the text peers' layout, each decoded line checked like a text peer's line;
    /// damage or a cut tail counts as other lines.
    /// </summary>
    private static LogFileCheck OfKlog(string path)
    {
        var layout = new TextFormatter(KakashiPeer.Layout);
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(4096);
        long records = 0, other = 0;
        string? firstOther = null, firstLine = null;
        using (var reader = KlogReader.Open(path))
        {
            while (reader.MoveNext())
            {
                buffer.ResetWrittenCount();
                var w = new Utf8Writer(buffer);
                layout.Format(reader.Current, ref w);
                w.Commit();
                var bytes = buffer.WrittenSpan;
                // the layout ends with {NewLine}: one line per record
                bool one = bytes.Length > 0 && bytes[^1] == (byte)'\n' && bytes[..^1].IndexOf((byte)'\n') < 0;
                string? line = null;
                if (records + other < 1 || !one || !IsPlainRecordUtf8(bytes[..^1]))
                {
                    line = System.Text.Encoding.UTF8.GetString(bytes).TrimEnd('\n');
                    firstLine ??= line;
                }
                if (one && (line is null || IsPlainRecord(line))) { records++; continue; }
                other++;
                firstOther ??= $"record {records + other}: \"{line}\"";
            }
            if (reader.SkippedBytes > 0 || reader.PendingBytes > 0)
            {
                other++;
                firstOther ??= $"{reader.SkippedBytes} bytes of damage, {reader.PendingBytes} bytes of a cut frame";
            }
        }
        return new LogFileCheck(records + other, records, other, firstOther, new FileInfo(path).Length, firstLine ?? "(no record)");
    }

    private static ReadOnlySpan<byte> PlainTail => " filled 100 at 101.25 for MSFT"u8;

    private static bool IsPlainRecordUtf8(ReadOnlySpan<byte> line)
        => line.EndsWith(PlainTail) && line.IndexOf(" Bench: Order "u8) > 0 && line.IndexOf(" Order "u8) == line.LastIndexOf(" Order "u8);

    private static bool IsRecord(string line)
    {
        // a JSON line (Kakashi-json, Kakashi-clef, ZLogger-json, Serilog-clef): one whole object with the rendered message and the category
        // (Serilog renders the string quoted in @m: for \"MSFT\")
        if (line.StartsWith('{')) return line.EndsWith('}') && line.Contains($"filled {PeerSetup.Quantity} at 101.25 for ", StringComparison.Ordinal) && line.Contains(PeerSetup.Symbol, StringComparison.Ordinal)
            && line.Contains($"\"{PeerSetup.Category}\"", StringComparison.Ordinal) && line.IndexOf(" at 101.25 for ", StringComparison.Ordinal) == line.LastIndexOf(" at 101.25 for ", StringComparison.Ordinal);
        int properties = line.IndexOf(" MachineName=", StringComparison.Ordinal);
        if (properties > 0) line = line[..properties];
        return IsPlainRecord(line);
    }

    private static bool IsPlainRecord(string line)
        => line.EndsWith($" filled {PeerSetup.Quantity} at 101.25 for {PeerSetup.Symbol}", StringComparison.Ordinal)
           && line.Contains($" {PeerSetup.Category}: Order ", StringComparison.Ordinal)
           && line.IndexOf(" Order ", StringComparison.Ordinal) == line.LastIndexOf(" Order ", StringComparison.Ordinal);
}
