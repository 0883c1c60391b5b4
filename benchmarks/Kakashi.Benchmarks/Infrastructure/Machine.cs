using System;
using System.Diagnostics;
using System.IO;
using System.Reflection;
using System.Runtime;
using System.Runtime.InteropServices;
using System.Text;

namespace Kakashi.Benchmarks.Infrastructure;

/// <summary>What the numbers were measured on.</summary>
public static class Machine
{
    public static string CpuModel()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/cpuinfo"))
            {
                if (!line.StartsWith("model name", StringComparison.Ordinal)) continue;
                int colon = line.IndexOf(':', StringComparison.Ordinal);
                if (colon >= 0) return line[(colon + 1)..].Trim();
            }
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return $"unknown ({RuntimeInformation.ProcessArchitecture})";
    }

    public static string Describe()
    {
        var sb = new StringBuilder();
        sb.AppendLine("| | |");
        sb.AppendLine("| --- | --- |");
        sb.AppendLine($"| CPU | {CpuModel()} ({RuntimeInformation.ProcessArchitecture}) |");
        sb.AppendLine($"| cores (Environment.ProcessorCount) | {Environment.ProcessorCount} |");
        sb.AppendLine($"| OS | {RuntimeInformation.OSDescription} |");
        sb.AppendLine($"| runtime | {RuntimeInformation.FrameworkDescription} |");
        sb.AppendLine($"| GC | {(GCSettings.IsServerGC ? "server" : "workstation")}, latency mode {GCSettings.LatencyMode} |");
        sb.AppendLine($"| Stopwatch.Frequency | {Stopwatch.Frequency:N0} Hz |");
        sb.AppendLine($"| Kakashi clock source | {Kakashi.Clock.KakashiClock.Source} |");
#if DEBUG
        sb.AppendLine("| build | **Debug: numbers are meaningless** |");
#else
        sb.AppendLine("| build | Release |");
#endif
        sb.AppendLine($"| versions | Kakashi {Version(typeof(AsyncPipeline))}, ZLogger {Version(typeof(ZLogger.ZLoggerOptions))}, " +
                      $"MEL {Version(typeof(Microsoft.Extensions.Logging.LoggerFactory))}, Serilog {Version(typeof(Serilog.Log))}, " +
                      $"Serilog.Sinks.Async {Version(typeof(Serilog.LoggerConfigurationAsyncExtensions))}, " +
                      $"Serilog.Sinks.File {Version(typeof(Serilog.FileLoggerConfigurationExtensions))}, NLog {Version(typeof(NLog.LogFactory))}, " +
                      $"BenchmarkDotNet {Version(typeof(BenchmarkDotNet.Running.BenchmarkSwitcher))} |");
        return sb.ToString();
    }

    private static string Version(Type type)
    {
        var info = type.Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion;
        if (string.IsNullOrEmpty(info)) return type.Assembly.GetName().Version?.ToString() ?? "?";
        // "4.4.0+sha" or "4.4.0-main-sha" (a build stamp, not part of the package version)
        foreach (var marker in new[] { "+", "-main-" })
        {
            int cut = info.IndexOf(marker, StringComparison.Ordinal);
            if (cut > 0) info = info[..cut];
        }
        return info;
    }
}
