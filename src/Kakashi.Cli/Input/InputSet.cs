using System;
using System.Collections.Generic;
using System.IO;
using Kakashi.Cli.Arguments;
using Kakashi.Cli.Reporting;

namespace Kakashi.Cli.Input;

/// <summary>Opening the inputs a command was given; the ones that cannot be opened are reported and left out.</summary>
internal static class InputSet
{
    public static List<InputFile> Open(string command, IReadOnlyList<string> paths, Stream stdin, Reporter reporter)
    {
        if (paths.Count == 0) throw new UsageException($"kakashi {command}: no FILE given (- reads standard input)");
        int stdinCount = 0;
        foreach (string p in paths) if (p == "-") stdinCount++;
        if (stdinCount > 1) throw new UsageException($"kakashi {command}: standard input (-) can be read only once");
        var inputs = new List<InputFile>(paths.Count);
        for (int i = 0; i < paths.Count; i++)
        {
            var file = TryOpen(paths[i], i, stdin, reporter);
            if (file is not null) inputs.Add(file);
        }
        return inputs;
    }

    public static InputFile? TryOpen(string path, int index, Stream stdin, Reporter reporter)
    {
        try
        {
            if (Directory.Exists(path)) throw new IOException("a folder, not a .klog file");
            return InputFile.Open(path, index, stdin);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException or ArgumentException)
        {
            reporter.Unreadable(path, e);
            return null;
        }
    }

    /// <summary>The total length of the inputs, or -1 when one of them has no known length.</summary>
    public static long TotalLength(List<InputFile> inputs)
    {
        long total = 0;
        foreach (var f in inputs)
        {
            if (f.Length < 0) return -1;
            total += f.Length;
        }
        return total;
    }

    public static void DisposeAll(List<InputFile> inputs)
    {
        foreach (var f in inputs) f.Dispose();
    }
}
