using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Text;
using System.Text.Json;

namespace Kakashi.Cli.Stats;

/// <summary><c>kakashi stats</c> output: aligned plain text, or one JSON document (<c>--json</c>).</summary>
internal static class StatsReport
{
    private static readonly CultureInfo s_inv = CultureInfo.InvariantCulture;
    private static readonly string[] s_damageHeader = ["ranges", "bytes", "reason"];
    private static readonly string[] s_templateHeader = ["records", "%", "event", "method", "message template"];
    private static readonly string[] s_categoryHeader = ["records", "%", "category"];

    public static string Text(LogStats stats)
    {
        var s = new StringBuilder();
        s.AppendLine("Files");
        var fileRows = new List<string[]>();
        foreach (var f in stats.Files)
        {
            string who = "";
            if (f.Header is { } h)
            {
                var parts = new List<string>();
                if (h.TryGetValue("application", out var app)) parts.Add(app);
                if (h.TryGetValue("machine", out var machine)) parts.Add("on " + machine);
                if (h.TryGetValue("process.id", out var pid)) parts.Add("pid " + pid);
                if (h.TryGetValue("kakashi.version", out var version)) parts.Add("Kakashi " + version);
                if (h.TryGetValue("created", out var created)) parts.Add("created " + created);
                who = string.Join(", ", parts);
            }
            fileRows.Add([f.Name, N(f.Bytes) + " bytes", N(f.Records) + " records", f.FormatVersion > 0 ? "format " + f.FormatVersion.ToString(s_inv) : "no header", who]);
        }
        Table(s, fileRows, rightAligned: [false, true, true, false, false]);
        s.AppendLine();

        var rows = new List<string[]>
        {
            new[] { "Records", N(stats.Records) },
            new[] { "First", stats.Records == 0 ? "-" : Time(stats.FirstTicks) },
            new[] { "Last", stats.Records == 0 ? "-" : Time(stats.LastTicks) },
            new[] { "Span", stats.Records == 0 ? "-" : Span(stats.Span) },
            new[] { "Rate", stats.Span > TimeSpan.Zero ? stats.RecordsPerSecond.ToString("N1", s_inv) + " records/s over the span" : "-" },
            new[] { "Bytes", N(stats.Bytes) + (stats.Records > 0 ? $" ({stats.BytesPerRecord.ToString("F1", s_inv)} bytes/record)" : "") },
            new[] { "Damage", stats.SkippedBytes == 0 ? "none" : $"{N(stats.SkippedBytes)} bytes skipped in {N(stats.DamageByReason().Sum())} ranges" },
        };
        long pending = 0;
        foreach (var f in stats.Files) pending += f.PendingBytes;
        if (pending > 0) rows.Add(["Incomplete", $"{N(pending)} bytes at the end of a file (a frame still being written, or cut short)"]);
        Table(s, rows, rightAligned: [false, false]);
        var damage = stats.DamageByReason();
        if (damage.Count > 0)
        {
            var damageRows = new List<string[]> { s_damageHeader };
            foreach (var (reason, ranges, bytes) in damage) damageRows.Add([N(ranges), N(bytes), reason]);
            Table(s, damageRows, rightAligned: [true, true, false], indent: "  ");
        }
        s.AppendLine();

        s.AppendLine("Levels");
        var levelRows = new List<string[]>();
        for (int i = 0; i < stats.Levels.Length; i++)
        {
            if (i == 6 && stats.Levels[6] == 0) continue;
            levelRows.Add([LogStats.LevelName(i), N(stats.Levels[i]), Percent(stats.Levels[i], stats.Records)]);
        }
        Table(s, levelRows, rightAligned: [false, true, true], indent: "  ");
        s.AppendLine();

        s.AppendLine("Templates");
        var templateRows = new List<string[]> { s_templateHeader };
        foreach (var t in LogStats.ByCount(stats.Templates))
            templateRows.Add([N(t.Count), Percent(t.Count, stats.Records), t.EventId.ToString(s_inv), t.Name, OneLine(t.Detail ?? "")]);
        Table(s, templateRows, rightAligned: [true, true, true, false, false], indent: "  ");
        s.AppendLine();

        s.AppendLine("Categories");
        var categoryRows = new List<string[]> { s_categoryHeader };
        foreach (var c in LogStats.ByCount(stats.Categories)) categoryRows.Add([N(c.Count), Percent(c.Count, stats.Records), OneLine(c.Name)]);
        Table(s, categoryRows, rightAligned: [true, true, false], indent: "  ");
        return s.ToString();
    }

    private static long Sum(this List<(string Reason, long Ranges, long Bytes)> damage)
    {
        long n = 0;
        foreach (var d in damage) n += d.Ranges;
        return n;
    }

    public static byte[] Json(LogStats stats)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteStartArray("files");
            foreach (var f in stats.Files)
            {
                w.WriteStartObject();
                w.WriteString("name", f.Name);
                w.WriteNumber("bytes", f.Bytes);
                w.WriteNumber("records", f.Records);
                w.WriteNumber("formatVersion", f.FormatVersion);
                w.WriteNumber("skippedBytes", f.SkippedBytes);
                w.WriteNumber("incompleteBytes", f.PendingBytes);
                w.WriteBoolean("readFailed", f.Failed);
                w.WriteStartArray("damage");
                foreach (var d in f.Damage)
                {
                    w.WriteStartObject();
                    w.WriteNumber("offset", d.Offset);
                    w.WriteNumber("length", d.Length);
                    w.WriteString("reason", d.Reason);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
                w.WriteStartObject("header");
                if (f.Header is { } h)
                    foreach (var (key, value) in h) w.WriteString(key, value);
                w.WriteEndObject();
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteNumber("records", stats.Records);
            if (stats.Records > 0)
            {
                w.WriteString("first", new DateTime(stats.FirstTicks, DateTimeKind.Utc));
                w.WriteString("last", new DateTime(stats.LastTicks, DateTimeKind.Utc));
            }
            else
            {
                w.WriteNull("first");
                w.WriteNull("last");
            }
            w.WriteNumber("spanSeconds", stats.Span.TotalSeconds);
            w.WriteNumber("recordsPerSecond", stats.RecordsPerSecond);
            w.WriteNumber("bytes", stats.Bytes);
            w.WriteNumber("bytesPerRecord", stats.BytesPerRecord);
            w.WriteNumber("skippedBytes", stats.SkippedBytes);
            w.WriteStartArray("damage");
            foreach (var (reason, ranges, bytes) in stats.DamageByReason())
            {
                w.WriteStartObject();
                w.WriteString("reason", reason);
                w.WriteNumber("ranges", ranges);
                w.WriteNumber("bytes", bytes);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteStartObject("levels");
            for (int i = 0; i < stats.Levels.Length; i++)
                if (i < 6 || stats.Levels[i] > 0) w.WriteNumber(LogStats.LevelName(i), stats.Levels[i]);
            w.WriteEndObject();
            w.WriteStartArray("templates");
            foreach (var t in LogStats.ByCount(stats.Templates))
            {
                w.WriteStartObject();
                w.WriteString("method", t.Name);
                w.WriteString("message", t.Detail);
                w.WriteNumber("eventId", t.EventId);
                w.WriteString("eventName", t.EventName);
                w.WriteNumber("records", t.Count);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteStartArray("categories");
            foreach (var c in LogStats.ByCount(stats.Categories))
            {
                w.WriteStartObject();
                w.WriteString("name", c.Name);
                w.WriteNumber("records", c.Count);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        buffer.WriteByte((byte)'\n');
        return buffer.ToArray();
    }

    private static void Table(StringBuilder s, List<string[]> rows, bool[] rightAligned, string indent = "  ")
    {
        if (rows.Count == 0) return;
        int columns = rows[0].Length;
        var widths = new int[columns];
        foreach (var row in rows)
            for (int i = 0; i < columns; i++) widths[i] = Math.Max(widths[i], row[i].Length);
        foreach (var row in rows)
        {
            var line = new StringBuilder(indent);
            for (int i = 0; i < columns; i++)
            {
                if (i > 0) line.Append("  ");
                if (i == columns - 1 && !rightAligned[i]) line.Append(row[i]);
                else if (rightAligned[i]) line.Append(row[i].PadLeft(widths[i]));
                else line.Append(row[i].PadRight(widths[i]));
            }
            s.Append(line.ToString().TrimEnd()).Append('\n');
        }
    }

    private static string N(long n) => n.ToString("N0", s_inv);

    private static string Percent(long part, long whole) => whole == 0 ? "-" : (100.0 * part / whole).ToString("F1", s_inv) + "%";

    private static string Time(long ticks) => new DateTime(ticks, DateTimeKind.Utc).ToString("O", s_inv);

    private static string Span(TimeSpan span) => span.ToString(span.TotalDays >= 1 ? @"d\.hh\:mm\:ss\.fff" : @"hh\:mm\:ss\.fff", s_inv) + $" ({span.TotalSeconds.ToString("F3", s_inv)} s)";

    private static string OneLine(string text) => text.Replace("\r", "\\r", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);
}
