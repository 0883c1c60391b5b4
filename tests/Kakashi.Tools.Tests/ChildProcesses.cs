using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Reflection;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

namespace Kakashi.Tools.Tests;

/// <summary>The processes the tools watch: built next to this project by its project references.</summary>
internal static class ChildProcesses
{
    public static string ExitProbe => Metadata("ExitProbe");

    public static string WebApiSample => Metadata("WebApiSample");

    private static string Metadata(string key) => typeof(ChildProcesses).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == key).Value!;

    public static string NewFolder()
    {
        string folder = Path.Combine(Path.GetTempPath(), "kakashi-tools-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        return folder;
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Collects a redirected stream's lines (a child's stdout or stderr) so a failure message can show them.</summary>
    public static StringBuilder Capture(StreamReader reader)
    {
        var text = new StringBuilder();
        _ = Task.Run(async () =>
        {
            while (await reader.ReadLineAsync() is { } line)
                lock (text) text.AppendLine(line);
        });
        return text;
    }

    public static string Text(StringBuilder captured)
    {
        lock (captured) return captured.ToString();
    }

    /// <summary>SIGTERM (a host's graceful stop), then waits for the exit; kills it after <paramref name="timeout"/>.</summary>
    public static async Task StopAsync(Process process, TimeSpan timeout)
    {
        if (process.HasExited) return;
        using (var kill = Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
            await kill.WaitForExitAsync();
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            throw new TimeoutException($"pid {process.Id} did not stop within {timeout.TotalSeconds:0} s of SIGTERM.");
        }
    }
}
