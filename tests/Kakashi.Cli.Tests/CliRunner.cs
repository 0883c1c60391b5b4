using System;
using System.IO;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

namespace Kakashi.Cli.Tests;

/// <summary>What one run of the tool did.</summary>
internal sealed record CliResult(int ExitCode, byte[] Stdout, string Stderr)
{
    public string Output => Encoding.UTF8.GetString(Stdout);

    public override string ToString() => $"exit {ExitCode}; stderr: {Stderr}; stdout ({Stdout.Length} bytes): {(Output.Length > 2000 ? Output[..2000] + "..." : Output)}";
}

/// <summary>Runs the tool in-process through <see cref="Cli.Run"/>, with captured streams.</summary>
internal static class CliRunner
{
    public static CliResult Run(params string[] args) => Run(null, null, CancellationToken.None, args);

    public static CliResult Run(Stream? stdin, CliEnvironment? environment, CancellationToken cancellation, params string[] args)
    {
        using var stdout = new MemoryStream();
        using var stderr = new StringWriter();
        int code = Cli.Run(args, stdin ?? Stream.Null, stdout, stderr, cancellation, environment ?? new CliEnvironment());
        return new CliResult(code, stdout.ToArray(), stderr.ToString());
    }

    /// <summary>Runs the tool on a thread-pool thread, writing to <paramref name="stdout"/> as it goes (tail -f).</summary>
    public static Task<int> Start(SharedOutput stdout, StringWriter stderr, CliEnvironment environment, CancellationToken cancellation, params string[] args)
        => Task.Run(() => Cli.Run(args, Stream.Null, stdout, TextWriter.Synchronized(stderr), cancellation, environment), CancellationToken.None);

    /// <summary>Polls <paramref name="condition"/> until it holds or <paramref name="timeout"/> passes.</summary>
    public static async Task<bool> Until(Func<bool> condition, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) return false;
            await Task.Delay(20);
        }
        return true;
    }
}

/// <summary>A stdout the tool writes on one thread while the test reads it on another.</summary>
internal sealed class SharedOutput : Stream
{
    private readonly MemoryStream _bytes = new();
    private readonly Lock _lock = new();

    public string Text
    {
        get
        {
            lock (_lock) return Encoding.UTF8.GetString(_bytes.GetBuffer(), 0, (int)_bytes.Length);
        }
    }

    public override void Write(byte[] buffer, int offset, int count)
    {
        lock (_lock) _bytes.Write(buffer, offset, count);
    }

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        lock (_lock) _bytes.Write(buffer);
    }

    public override void Flush()
    {
    }

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing) _bytes.Dispose();
        base.Dispose(disposing);
    }
}
