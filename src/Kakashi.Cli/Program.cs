using System;
using System.IO;
using System.Runtime.InteropServices;
using System.Threading;

namespace Kakashi.Cli;

/// <summary>The process: the console's streams, Ctrl+C and SIGTERM as cancellation, then <see cref="Cli.Run"/>.</summary>
internal static class Program
{
    private static int Main(string[] args)
    {
        using var cancellation = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true; // end the command cleanly (tail -f: exit 0), do not kill the process
            cancellation.Cancel();
        };
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
        {
            context.Cancel = true;
            cancellation.Cancel();
        });
        using var stdin = Console.OpenStandardInput();
        using var stdout = Console.OpenStandardOutput();
        var stderr = new StreamWriter(Console.OpenStandardError(), new System.Text.UTF8Encoding(false)) { AutoFlush = true };
        try
        {
            return Cli.Run(args, stdin, stdout, stderr, cancellation.Token, CliEnvironment.FromConsole());
        }
        finally
        {
            stderr.Flush();
        }
    }
}
