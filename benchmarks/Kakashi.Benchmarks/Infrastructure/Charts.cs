using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using ScottPlot;
using ScottPlot.TickGenerators;

namespace Kakashi.Benchmarks.Infrastructure;

/// <summary>PNG charts of a harness's results (ScottPlot 5), drawn from the same numbers as its markdown tables.</summary>
public static class Charts
{
    private static readonly ScottPlot.Palettes.Category10 s_palette = new();

    /// <summary>The same color for a library in every chart (by the name's first word: "MEL console" is MEL's).</summary>
    private static Color ColorOf(string name)
    {
        string[] order = ["Kakashi", "ZLogger", "Serilog", "MEL", "NLog"];
        int i = Array.IndexOf(order, name.Split(' ')[0]);
        return s_palette.GetColor(i >= 0 ? i : order.Length + name.Sum(c => c) % 5);
    }

    /// <summary>
    /// Where charts go: the <c>--charts</c> value (a folder; <c>none</c> for no charts), else the repository's
    /// docs/images when <paramref name="defaultToRepo"/> (found by walking up to Kakashi.sln), else none.
    /// </summary>
    public static string? Folder(string? option, bool defaultToRepo)
    {
        if (string.Equals(option, "none", StringComparison.OrdinalIgnoreCase)) return null;
        string? folder = option ?? (defaultToRepo ? RepositoryImages() : null);
        if (folder is null) return null;
        folder = Path.GetFullPath(folder);
        Directory.CreateDirectory(folder);
        return folder;
    }

    private static string? RepositoryImages()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Kakashi.sln"))) return Path.Combine(dir.FullName, "docs", "images");
        return null;
    }

    /// <summary>
    /// Two panels: requests per second per variant, and p50/p99 latency per variant (bars: medians, values on top; dots:
    /// each run's value, so the spread between runs shows).
    /// </summary>
    public static void WebChart(string file, IReadOnlyList<(string Label, double RequestsPerSecond, double P50Ms, double P99Ms, double[] RunRequestsPerSecond, double[] RunP99Ms)> rows, string caption, string note)
    {
        var multiplot = new Multiplot();
        multiplot.AddPlots(2);
        multiplot.Layout = new ScottPlot.MultiplotLayouts.Columns();
        var labels = rows.Select(r => r.Label).ToArray();
        var positions = Enumerable.Range(0, rows.Count).Select(i => (double)i).ToArray();

        var throughput = multiplot.GetPlot(0);
        var bars = rows.Select((r, i) => new Bar
        {
            Position = i,
            Value = r.RequestsPerSecond,
            FillColor = ColorOf(r.Label),
            Label = r.RequestsPerSecond.ToString("N0", CultureInfo.InvariantCulture),
        }).ToArray();
        throughput.Add.Bars(bars);
        for (int i = 0; i < rows.Count; i++) RunDots(throughput, i, rows[i].RunRequestsPerSecond);
        throughput.Axes.Bottom.TickGenerator = new NumericManual(positions, labels);
        throughput.Axes.Margins(bottom: 0, top: 0.15);
        throughput.Title("Requests per second (higher is better)");
        throughput.XLabel(caption, 11);

        var latency = multiplot.GetPlot(1);
        var latencyBars = new List<Bar>();
        for (int i = 0; i < rows.Count; i++)
        {
            latencyBars.Add(new Bar { Position = i - 0.2, Value = rows[i].P50Ms, Size = 0.38, FillColor = ColorOf(rows[i].Label).WithAlpha(0.45), Label = rows[i].P50Ms.ToString("0.00", CultureInfo.InvariantCulture) });
            latencyBars.Add(new Bar { Position = i + 0.2, Value = rows[i].P99Ms, Size = 0.38, FillColor = ColorOf(rows[i].Label), Label = rows[i].P99Ms.ToString("0.00", CultureInfo.InvariantCulture) });
        }
        latency.Add.Bars(latencyBars);
        for (int i = 0; i < rows.Count; i++) RunDots(latency, i + 0.2, rows[i].RunP99Ms);
        latency.Axes.Bottom.TickGenerator = new NumericManual(positions, labels);
        latency.Axes.Margins(bottom: 0, top: 0.15);
        latency.Title("Latency p50 (light) and p99 (dark), ms (lower is better)");
        latency.YLabel("ms");
        latency.XLabel("wrk --latency percentiles; " + note, 11);

        multiplot.SavePng(file, 1500, 600);
    }

    private static void RunDots(Plot plot, double x, double[] values)
    {
        if (values.Length == 0) return;
        var xs = values.Select((_, k) => x + (k - (values.Length - 1) / 2.0) * 0.05).ToArray();
        var dots = plot.Add.Scatter(xs, values, Colors.Black);
        dots.LineWidth = 0;
        dots.MarkerSize = 5;
    }

    /// <summary>Percentile points of the latency chart (x axis: "nines", -log10(1 - p)).</summary>
    public static readonly double[] PercentilePoints = [50, 75, 90, 95, 99, 99.5, 99.9, 99.95, 99.99];

    /// <summary>
    /// Caller latency against percentile, one line per peer, one panel per producer-thread count; both axes logarithmic
    /// (x in nines: p50, p90, p99, p99.9, p99.99).
    /// </summary>
    public static void LatencyPercentiles(string file, IReadOnlyList<(int Threads, IReadOnlyList<(string Peer, double[] Ns)> Lines)> panels, string caption)
    {
        var multiplot = new Multiplot();
        multiplot.AddPlots(panels.Count);
        multiplot.Layout = new ScottPlot.MultiplotLayouts.Columns();
        var xs = PercentilePoints.Select(Nines).ToArray();
        for (int k = 0; k < panels.Count; k++)
        {
            var plot = multiplot.GetPlot(k);
            double lo = double.MaxValue, hi = double.MinValue;
            foreach (var (peer, ns) in panels[k].Lines)
            {
                var ys = ns.Select(v => Math.Log10(Math.Max(1, v))).ToArray();
                lo = Math.Min(lo, ys.Min());
                hi = Math.Max(hi, ys.Max());
                var line = plot.Add.Scatter(xs, ys, ColorOf(peer));
                line.LegendText = peer;
                line.LineWidth = peer.StartsWith("Kakashi", StringComparison.Ordinal) ? 3 : 2;
                line.MarkerSize = 6;
            }
            var xTicks = new NumericManual();
            foreach (var p in new[] { 50, 90, 99, 99.9, 99.99 }) xTicks.AddMajor(Nines(p), "p" + p.ToString(CultureInfo.InvariantCulture));
            plot.Axes.Bottom.TickGenerator = xTicks;
            var yTicks = new NumericManual();
            for (int decade = 0; decade <= 9; decade++)
            {
                foreach (var m in new[] { 1, 2, 5 })
                {
                    double v = m * Math.Pow(10, decade);
                    double y = Math.Log10(v);
                    if (y < lo - 0.2 || y > hi + 0.2) continue;
                    yTicks.AddMajor(y, Format(v));
                }
            }
            plot.Axes.Left.TickGenerator = yTicks;
            plot.Axes.SetLimitsY(lo - 0.15, hi + 0.15);
            plot.Title($"{panels[k].Threads} producer thread{(panels[k].Threads > 1 ? "s" : "")}: ns per call (lower is better)");
            plot.YLabel("time per call (log scale)");
            plot.XLabel(k == 0 ? caption : "percentile", 11);
            plot.ShowLegend(Alignment.UpperLeft);
        }
        multiplot.SavePng(file, 1500, 620);
    }

    private static double Nines(double percentile) => -Math.Log10(1 - percentile / 100);

    private static string Format(double ns) => ns switch
    {
        >= 1e6 => (ns / 1e6).ToString("0.#", CultureInfo.InvariantCulture) + " ms",
        >= 1e3 => (ns / 1e3).ToString("0.#", CultureInfo.InvariantCulture) + " µs",
        _ => ns.ToString("0", CultureInfo.InvariantCulture),
    };
}
