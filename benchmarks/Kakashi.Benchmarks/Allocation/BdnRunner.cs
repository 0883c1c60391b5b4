using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using Kakashi.Benchmarks.Infrastructure;
using Kakashi.Benchmarks.Peers;

namespace Kakashi.Benchmarks.Allocation;

/// <summary>Runs the BenchmarkDotNet classes (artifacts in a temp folder, deleted after) and tabulates Kakashi / peer.</summary>
public static class BdnRunner
{
    public static int Run(IEnumerable<string> bdnArgs, StringBuilder report)
    {
        var args = bdnArgs.ToList();
        if (!args.Any(a => a is "--filter" or "-f")) args.AddRange(["--filter", "*"]);

        using var artifacts = new TempFolder("bdn-artifacts");
        var config = DefaultConfig.Instance.WithArtifactsPath(artifacts.Path);
        var summaries = BenchmarkSwitcher.FromTypes([typeof(EnabledCallBenchmarks), typeof(DisabledCallBenchmarks), typeof(FormattingBenchmarks), typeof(ILoggerBenchmarks)])
            .Run(args.ToArray(), config).ToList();

        report.AppendLine("## Caller cost and allocation (BenchmarkDotNet)");
        report.AppendLine();
        report.AppendLine($"BenchmarkDotNet arguments: `{string.Join(' ', args)}`. `allocated B/op` is MemoryDiagnoser's figure, which counts every thread of the " +
                          "benchmark process (GC.GetTotalAllocatedBytes), so a background writer's allocations during the iteration count too. " +
                          $"Enabled: iterations are bursts of {EnabledCallBenchmarks.Burst:N0} calls after a 5 ms untimed pause, 250 warm-up and 200 measured iterations (fixed by attributes, whatever --job says). " +
                          "Disabled: the standard loop of the job given. Ratios are Kakashi / peer: below 1.00 means Kakashi is faster.");
        report.AppendLine();
        var reports = summaries.SelectMany(s => s.Reports).ToList();
        if (reports.Count == 0)
        {
            report.AppendLine("**No BenchmarkDotNet results (the run failed or the filter matched nothing).**");
            report.AppendLine();
            return 1;
        }
        foreach (var (title, type) in new[] { ("Enabled call", typeof(EnabledCallBenchmarks)), ("Disabled call", typeof(DisabledCallBenchmarks)) })
        {
            var rows = reports.Where(r => r.BenchmarkCase.Descriptor.Type == type).ToList();
            if (rows.Count == 0) continue;
            static double Mean(BenchmarkReport r) => r.ResultStatistics?.Mean ?? double.NaN;
            static double Alloc(BenchmarkReport r) => r.GcStats.GetBytesAllocatedPerOperation(r.BenchmarkCase) is long b ? b : double.NaN;
            static string PeerOf(BenchmarkReport r) => r.BenchmarkCase.Descriptor.WorkloadMethod.Name.Split('_')[0];
            var baseline = rows.FirstOrDefault(r => PeerOf(r) == PeerCatalog.Baseline);
            double kMean = baseline is null ? double.NaN : Mean(baseline);
            report.AppendLine($"### {title}");
            report.AppendLine();
            report.AppendLine("| peer | mean ns | median ns | stddev ns | allocated B/op | Kakashi/peer (time) |");
            report.AppendLine("| --- | ---: | ---: | ---: | ---: | ---: |");
            var order = PeerCatalog.Names.ToList();
            foreach (var r in rows.OrderBy(r => order.IndexOf(PeerOf(r))))
            {
                string ratio = kMean < 0.05 ? "≈0 (Kakashi at BDN's floor)" : Stats.Ratio(kMean, Mean(r));
                if (ReferenceEquals(r, baseline)) ratio = "1.00";
                report.AppendLine($"| {PeerOf(r)} | {Stats.F(Mean(r), 2)} | {Stats.F(r.ResultStatistics?.Median ?? double.NaN, 2)} | {Stats.F(r.ResultStatistics?.StandardDeviation ?? double.NaN, 2)} | " +
                                  $"{Stats.F(Alloc(r), 0)} | {ratio} |");
            }
            if (kMean < 0.05)
                report.AppendLine().AppendLine($"Kakashi's disabled call measured {kMean.ToString("0.000", CultureInfo.InvariantCulture)} ns: BenchmarkDotNet cannot tell it from its empty-method overhead (the inlined level check is a load and a compare), so no ratio is meaningful.");
            report.AppendLine();
        }
        var formatting = reports.Where(r => r.BenchmarkCase.Descriptor.Type == typeof(FormattingBenchmarks)).ToList();
        if (formatting.Count > 0)
        {
            static double FMean(BenchmarkReport r) => r.ResultStatistics?.Mean ?? double.NaN;
            var text = formatting.FirstOrDefault(r => r.BenchmarkCase.Descriptor.WorkloadMethod.Name == nameof(FormattingBenchmarks.Kakashi_Text));
            report.AppendLine("### Formatting one record (the benchmark message, one thread, no I/O)");
            report.AppendLine();
            report.AppendLine("| formatter | mean ns | allocated B/op | / Kakashi text |");
            report.AppendLine("| --- | ---: | ---: | ---: |");
            foreach (var r in formatting)
            {
                var alloc = r.GcStats.GetBytesAllocatedPerOperation(r.BenchmarkCase) is long b ? b : double.NaN;
                report.AppendLine($"| {r.BenchmarkCase.Descriptor.WorkloadMethod.Name} | {Stats.F(FMean(r), 1)} | {Stats.F(alloc, 0)} | {Stats.Ratio(FMean(r), text is null ? double.NaN : FMean(text))} |");
            }
            report.AppendLine();
            report.AppendLine("ZLogger's JSON formatter needs its entry: `ZLogger_JsonCallAndFormat` minus `ZLogger_CallOnly` is its formatting cost.");
            report.AppendLine();
        }
        return 0;
    }
}
