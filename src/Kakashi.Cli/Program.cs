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
        var cancellation = new CancellationTokenSource(); // lives as long as the process: a late signal must find it undisposed
        // the first Ctrl+C or SIGTERM ends the command cleanly (tail -f: exit 0); a second one, while the command is still
        // stuck (a read of standard input that gets no data), ends the process as the signal normally does
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = !cancellation.IsCancellationRequested;
            cancellation.Cancel();
        };
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
        {
            context.Cancel = !cancellation.IsCancellationRequested;
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
