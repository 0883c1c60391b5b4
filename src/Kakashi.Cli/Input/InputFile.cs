using System;
using System.IO;
using System.IO.Compression;

namespace Kakashi.Cli.Input;

/// <summary>One input of a command: a <c>.klog</c> file (<c>.klog.gz</c> too), or standard input (<c>-</c>), and its reader.</summary>
internal sealed class InputFile : IDisposable
{
    private InputFile(string name, int index, KlogReader reader, bool followable, string? path)
    {
        Name = name;
        Path = path;
        Index = index;
        Reader = reader;
        Followable = followable;
    }

    /// <summary>The name messages use: the path as given, or <c>stdin</c>.</summary>
    public string Name { get; }

    /// <summary>The path to open it again (tail -n reads a file twice), or null for standard input (it cannot be read twice).</summary>
    public string? Path { get; }

    /// <summary>The position on the command line (merge ties go to the earlier file).</summary>
    public int Index { get; }

    public KlogReader Reader { get; }

    /// <summary>False for standard input and compressed files (<c>tail -f</c> reads them to their end and stops).</summary>
    public bool Followable { get; }

    /// <summary>How many of <see cref="KlogReader.Damage"/> were reported.</summary>
    public int DamageReported { get; set; }

    /// <summary><see cref="KlogReader.SkippedBytes"/> when damage was last reported.</summary>
    public long SkippedReported { get; set; }

    /// <summary>Records this command took from the file (after filters: written or counted).</summary>
    public long Records { get; set; }

    /// <summary>The reader failed (refused version, I/O error): nothing more is read from it.</summary>
    public bool Failed { get; set; }

    /// <summary>The stream's length when known (a file), else -1.</summary>
    public long Length { get; private init; } = -1;

    /// <summary>Opens <paramref name="path"/> (<c>-</c>: <paramref name="stdin"/>); throws what opening the file throws.</summary>
    public static InputFile Open(string path, int index, Stream stdin)
    {
        if (path == "-") return new InputFile("stdin", index, new KlogReader(stdin, leaveOpen: true, name: "stdin"), followable: false, path: null);
        if (path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase))
        {
            var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1 << 16, FileOptions.SequentialScan);
            var gzip = new GZipStream(file, CompressionMode.Decompress, leaveOpen: false);
            return new InputFile(path, index, new KlogReader(gzip, leaveOpen: false, name: path), followable: false, path) { Length = -1 };
        }
        var reader = KlogReader.Open(path);
        return new InputFile(path, index, reader, followable: true, path) { Length = reader.Length };
    }

    public void Dispose() => Reader.Dispose();
}
