using System;
using System.Globalization;
using System.Linq;
using System.Text;
using Kakashi.Benchmarks.Allocation;
using Kakashi.Benchmarks.Backpressure;
using Kakashi.Benchmarks.Infrastructure;
using Kakashi.Benchmarks.Latency;
using Kakashi.Benchmarks.Peers;
using Kakashi.Benchmarks.Throughput;
using Kakashi.Benchmarks.Web;

namespace Kakashi.Benchmarks;

/// <summary>
/// dotnet run -c Release --project benchmarks/Kakashi.Benchmarks -- &lt;latency|throughput|backpressure|network|web|bdn|all&gt; [options]
/// Prints the machine and markdown tables (progress goes to stderr, the report to stdout).
/// </summary>
public static class Program
{
    private const string Usage = """
        usage: dotnet run -c Release --project benchmarks/Kakashi.Benchmarks -- <mode> [options]

        modes
          latency      caller latency (bursts of 1,000 calls, ~2 ms apart) and the disabled-level cost
          throughput   N records until the file is flushed and closed, records/s, MB/s, lines, peak working set;
                       each run cold (PERF.md: JIT included) and warm (after --warm records, flushed, and a pause)
          backpressure Kakashi only: caller latency, drops and blocked time with a small ring kept full by a slow
                       writer, for each DropStrategy, 1 and 2 producers
          web          samples/Kakashi.WebApi under wrk, one server per logger variant (kakashi, console, serilog, zlogger):
                       requests/s, p50/p90/p99, server CPU per request, records written; charts into docs/images
          binlog       the binary log: bytes per record (.klog, text, gzip'd text) and single-threaded decode speed
                       (read only, to text, to JSON); its write throughput is `throughput --peers Kakashi,Kakashi-klog`
          steady       CPU of the logger's threads while one producer logs at a steady --rate (one peer, one process)
          ring         the ring hand-off alone: records of --sizes bytes from --producers threads through Kakashi's ring
                     to one consumer, no encoding or file (the ceiling under any drain)
        bdn          BenchmarkDotNet: caller cost and B/op of one enabled and one disabled call (e.g. --job short)
          all          latency, throughput, backpressure, then bdn

        options (latency, throughput, backpressure, all)
          --peers Kakashi,ZLogger,MEL,Serilog,NLog   peers to race (default all of these; also Kakashi-2fmt: a second writer
                                                      with its own formatter, Kakashi-all: that and every shipped enricher)
          --threads 1,2                               producer thread counts (default 1,2)
          --runs N                                    processes per peer and thread count (latency 1, throughput 3, backpressure 1)
          --quiet-wait 120                            seconds to wait for other processes to leave the CPUs idle before each child (0: off)
        latency
          --bursts 500  --warmup 200000  --pause-ms 2  --disabled-calls 5000000
          --charts DIR (also write latency-percentiles.png there: the per-call percentile series, one line per peer)
        throughput
          --records 2000000  --warm 1000000 (records logged and flushed before the timed ones in the warm runs; 0: cold runs only)
        backpressure
          --strategies Block,DropNewest,DropOldest,Priority,Priority@0.5   (@f: DropThreshold = f x buffer)
          --buffer 65536  --writer-mbps 10  --bp-warmup 50000  --bp-calls 200000 (per thread)
          --stage-limit 65536 (writer stage bytes; 0: the pipeline default, 4 MiB)
          --offered 200000 (calls/s over all producers, about twice what the writer takes; 0: back to back)
        web
          --variants console,kakashi,serilog,zlogger  --runs 3  --duration 10 (s)  --warm-seconds 5  --connections 32
          --threads 2 (wrk's)  --path /orders/42?customer=acme  --wrk wrk  --quiet-wait 60
          --charts DIR (default: the repository's docs/images; none: no chart)  --chart-name web-throughput-latency
          --raw FILE (the runs' results as JSON)  --from-raw FILE (no measurement: the report and chart from such a file)
        binlog
          --records 5000000  --runs 3
        steady
          --peer Kakashi  --rate 100000 (records/s, a burst each millisecond)  --seconds 5
        ring
          --sizes 64,32,16  --producers 1,2  --ring-records 50000000  --runs 3
        bdn (and all): every other argument goes to BenchmarkDotNet (default filter '*')
        """;

    public static int Main(string[] args)
    {
        CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
        CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
        if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
        {
            Console.WriteLine(Usage);
            return args.Length == 0 ? 1 : 0;
        }

        string mode = args[0].ToLowerInvariant();
        var rest = args.Skip(1);
        var known = LatencyHarness.Options.Concat(Kakashi.Benchmarks.BinaryLog.BinaryLogHarness.Options).Concat(ThroughputHarness.Options).Concat(BackpressureHarness.Options).Concat(Kakashi.Benchmarks.Network.NetworkHarness.Options).Concat(WebHarness.Options).Concat(Kakashi.Benchmarks.BinaryLog.RingHandoffHarness.Options).Concat(Kakashi.Benchmarks.Steady.SteadyHarness.Options).Distinct().ToArray();
        switch (mode)
        {
            case "latency-child": return LatencyHarness.Child(new Cli(rest, known));
            case "throughput-child": return ThroughputHarness.Child(new Cli(rest, known));
            case "backpressure-child": return BackpressureHarness.Child(new Cli(rest, known));
            case "network-child": return Kakashi.Benchmarks.Network.NetworkHarness.Child(new Cli(rest, known));
            case "network":
            {
                var networkReport = new StringBuilder();
                networkReport.AppendLine(Machine.Describe());
                Kakashi.Benchmarks.Network.NetworkHarness.Run(new Cli(rest, known), networkReport);
                Console.WriteLine(networkReport.ToString());
                return 0;
            }
            case "binlog":
            {
                var binlogReport = new StringBuilder();
                binlogReport.AppendLine($"`binlog {string.Join(' ', args.Skip(1))}`, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC");
                binlogReport.AppendLine();
                binlogReport.AppendLine(Machine.Describe());
                Kakashi.Benchmarks.BinaryLog.BinaryLogHarness.Run(new Cli(rest, known), binlogReport);
                Console.WriteLine(binlogReport.ToString());
                return 0;
            }
            case "steady": return Kakashi.Benchmarks.Steady.SteadyHarness.Run(new Cli(rest, known));
            case "ring":
            {
                var ringReport = new StringBuilder();
                ringReport.AppendLine($"`ring {string.Join(' ', args.Skip(1))}`, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC");
                ringReport.AppendLine();
                ringReport.AppendLine(Machine.Describe());
                Kakashi.Benchmarks.BinaryLog.RingHandoffHarness.Run(new Cli(rest, known), ringReport);
                Console.WriteLine(ringReport.ToString());
                return 0;
            }
            case "web":
            {
                var webReport = new StringBuilder();
                webReport.AppendLine($"`web {string.Join(' ', args.Skip(1))}`, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC");
                webReport.AppendLine();
                webReport.AppendLine(Machine.Describe());
                int webExit = WebHarness.Run(new Cli(rest, known), webReport);
                Console.WriteLine(webReport.ToString());
                return webExit;
            }
            case "latency":
            case "throughput":
            case "backpressure":
            case "bdn":
            case "all":
                break;
            default:
                Console.Error.WriteLine($"Unknown mode '{args[0]}'.");
                Console.Error.WriteLine(Usage);
                return 1;
        }

        var cli = new Cli(rest, known);
        var report = new StringBuilder();
        report.AppendLine("# Kakashi benchmark report");
        report.AppendLine();
        report.AppendLine($"`{mode} {string.Join(' ', args.Skip(1))}`, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC");
        report.AppendLine();
        report.AppendLine(Machine.Describe());
        report.AppendLine("Peers:");
        report.AppendLine();
        foreach (var name in cli.GetPeers())
        {
            using var peer = PeerCatalog.Create(name);
            report.AppendLine($"- **{peer.Name}**: {peer.Description}");
        }
        report.AppendLine();
        Console.Error.WriteLine(report.ToString());

        int exit = 0;
        if (mode is "latency" or "all")
        {
            var section = new StringBuilder();
            LatencyHarness.Run(cli, section);
            Console.Error.WriteLine(section.ToString());
            report.Append(section);
        }
        if (mode is "throughput" or "all")
        {
            var section = new StringBuilder();
            ThroughputHarness.Run(cli, section);
            Console.Error.WriteLine(section.ToString());
            report.Append(section);
        }
        if (mode is "backpressure" or "all")
        {
            var section = new StringBuilder();
            BackpressureHarness.Run(cli, section);
            Console.Error.WriteLine(section.ToString());
            report.Append(section);
        }
        if (mode is "bdn" or "all")
        {
            // BenchmarkDotNet gets the arguments this program does not know (for example --job short).
            var section = new StringBuilder();
            exit = BdnRunner.Run(cli.Rest, section);
            report.Append(section);
        }

        Console.WriteLine();
        Console.WriteLine(report.ToString());
        return exit;
    }
}
