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
