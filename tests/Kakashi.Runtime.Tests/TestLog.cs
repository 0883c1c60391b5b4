using System;
using System.Collections.Generic;
using System.IO;
using System.Text;
using System.Threading.Tasks;
using Kakashi;
using Microsoft.Extensions.Logging;

namespace Kakashi.Runtime.Tests;

/// <summary>A pipeline writing to a temp file, and helpers to read what it wrote.</summary>
internal sealed class TempLog : IAsyncDisposable
{
    public TempLog(string template = "{Message}{NewLine}", LogLevel minLevel = LogLevel.Trace, int bufferSize = 1 << 20, Action<AsyncPipelineConfig>? configure = null)
    {
        Folder = Path.Combine(Path.GetTempPath(), "kakashi-tests", Guid.NewGuid().ToString("N"));
        Path_ = System.IO.Path.Combine(Folder, "test.log");
        var config = new AsyncPipelineConfig
        {
            MinLevel = minLevel,
            BufferSize = bufferSize,
            Formatter = new TextFormatter(template),
            Writers = [new AsyncFileWriter(Path_)],
            FlushOnProcessExit = false,
        };
        configure?.Invoke(config);
        Pipeline = new AsyncPipeline(config);
        Logger = Pipeline.CreateLogger("Test");
    }

    public string Folder { get; }
    public string Path_ { get; }
    public AsyncPipeline Pipeline { get; }
    public KakashiLogger Logger { get; }

    /// <summary>Flushes and returns the whole file.</summary>
    public async Task<string> ReadAsync()
    {
        await Pipeline.FlushAllAsync();
        return ReadFile();
    }

    public string ReadFile()
    {
        using var stream = new FileStream(Path_, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var reader = new StreamReader(stream, new UTF8Encoding(false));
        return reader.ReadToEnd();
    }

    public async Task<string[]> ReadLinesAsync()
    {
        string text = await ReadAsync();
        return AppLines(text.Length == 0 ? [] : text.TrimEnd('\n').Split('\n'));
    }

    /// <summary>
    /// The application's lines: without the pipeline's own "Buffer X/Y (approaching limit)" and "Dropped N records"
    /// warnings, which small test rings legitimately trigger (BackpressureTests check those).
    /// </summary>
    public static string[] AppLines(string[] lines)
        => Array.FindAll(lines, l => !(l.StartsWith("Buffer ", StringComparison.Ordinal) && l.EndsWith("(approaching limit)", StringComparison.Ordinal))
            && !l.StartsWith("Dropped ", StringComparison.Ordinal));

    public async ValueTask DisposeAsync()
    {
        await Pipeline.DisposeAsync();
        try { Directory.Delete(Folder, recursive: true); } catch (IOException) { }
    }
}

/// <summary>A fresh folder under the temp folder (not created), deleted with what the test left in it on dispose.</summary>
internal sealed class TempFolder : IDisposable
{
    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "kakashi-tests", Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        try
        {
            if (Directory.Exists(Path)) Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // a file still held open: the OS cleans the temp folder eventually
        }
    }
}
