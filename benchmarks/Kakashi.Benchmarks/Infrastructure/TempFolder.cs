using System;
using System.Globalization;
using System.IO;

namespace Kakashi.Benchmarks.Infrastructure;

/// <summary>A folder under <see cref="Path.GetTempPath"/> for log files, deleted on dispose. Nothing is written into the repo.</summary>
public sealed class TempFolder : IDisposable
{
    public TempFolder(string purpose)
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(),
            $"kakashi-bench-{purpose}-{Environment.ProcessId.ToString(CultureInfo.InvariantCulture)}-{Guid.NewGuid().ToString("N")[..8]}");
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); }
        catch (IOException e) { Console.Error.WriteLine($"warning: could not delete {Path}: {e.Message}"); }
        catch (UnauthorizedAccessException e) { Console.Error.WriteLine($"warning: could not delete {Path}: {e.Message}"); }
    }
}
