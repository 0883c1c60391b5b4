using System;
using System.IO;
using System.Text;
using System.Threading;

namespace Kakashi.Cli;

/// <summary>The streams, cancellation and environment one run of the tool works with.</summary>
internal sealed class CliContext(Stream stdin, Stream stdout, TextWriter stderr, CliEnvironment environment, CancellationToken cancellation)
{
    private static readonly UTF8Encoding s_utf8 = new(encoderShouldEmitUTF8Identifier: false);

    public Stream Stdin { get; } = stdin;
    public Stream Stdout { get; } = stdout;
    public TextWriter Stderr { get; } = stderr;
    public CancellationToken Cancellation { get; } = cancellation;
    public CliEnvironment Environment { get; } = environment;

    public DateTime UtcNow => Environment.Time.GetUtcNow().UtcDateTime;

    /// <summary>Writes text (help, version, stats) to standard output.</summary>
    public void Write(string text) => Write(s_utf8.GetBytes(text.ReplaceLineEndings("\n")));

    /// <summary>Writes bytes to standard output and flushes; a failure is an <see cref="Output.OutputClosedException"/>.</summary>
    public void Write(byte[] bytes)
    {
        try
        {
            Stdout.Write(bytes);
            Stdout.Flush();
        }
        catch (IOException e)
        {
            throw new Output.OutputClosedException(e);
        }
    }
}
