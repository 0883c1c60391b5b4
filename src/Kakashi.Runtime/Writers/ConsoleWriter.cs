using System;
using System.Collections.Generic;
using System.IO;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.Logging;

namespace Kakashi;

/// <summary>When a <see cref="ConsoleWriter"/> colors its output.</summary>
public enum ConsoleColorMode
{
    /// <summary>When the stream is a terminal, <c>NO_COLOR</c> is not set and <c>TERM</c> is not <c>dumb</c> (default).</summary>
    Auto,
    /// <summary>Always (a CI log viewer that renders ANSI colors).</summary>
    Always,
    /// <summary>Never.</summary>
    Never,
}

/// <summary>
/// Writes records to the standard output (or, from <see cref="StandardErrorFromLevel"/> up, the standard error), colored by
/// each record's level when the stream is a terminal (<see cref="ConsoleColorMode.Auto"/>): the level comes from the
/// record-aware batch, so colors go to the console only, never into files that share the formatter. Each batch is one
/// write per stream. Like every writer it runs behind its own stage: a blocked or slow terminal (a paused <c>less</c>, a
/// full pipe) costs this writer its oldest queued batches (<see cref="DropStrategy.DropOldest"/>, counted), and a write
/// stuck past <see cref="LogWriter.WriteTimeout"/> marks it hung; the callers and the other writers never wait for it.
/// </summary>
public sealed class ConsoleWriter : LogWriter
{
    private static readonly byte[] s_reset = "\u001b[0m"u8.ToArray();

    private readonly Stream? _stdoutOverride;
    private readonly Stream? _stderrOverride;
    private readonly bool? _terminalOverride;
    private Stream? _stdout;
    private Stream? _stderr;
    private bool _colorOut;
    private bool _colorErr;
    private byte[][] _colors = [];
    private byte[] _out = new byte[64 * 1024];
    private byte[] _err = new byte[4 * 1024];

    /// <summary>A writer to the process's standard output (and standard error from <see cref="StandardErrorFromLevel"/>).</summary>
    public ConsoleWriter()
    {
    }

    /// <summary>A console writer over given streams (tests, a pseudo-terminal): <paramref name="isTerminal"/> stands for the terminal check.</summary>
    internal ConsoleWriter(Stream stdout, Stream? stderr, bool isTerminal)
    {
        _stdoutOverride = stdout;
        _stderrOverride = stderr ?? stdout;
        _terminalOverride = isTerminal;
    }

    /// <summary>Colors: <see cref="ConsoleColorMode.Auto"/> (default), always or never.</summary>
    public ConsoleColorMode Colors { get; init; } = ConsoleColorMode.Auto;

    /// <summary>Records of this level and above go to the standard error; null (default) sends everything to the standard output.</summary>
    public LogLevel? StandardErrorFromLevel { get; init; }

    /// <summary>
    /// The ANSI SGR code written before each level's records (e.g. <c>"33"</c> for yellow, <c>"97;41"</c> white on red); a
    /// level missing here, or mapped to an empty string, is not colored. Default: Trace <c>90</c> (dark gray), Debug <c>37</c>
    /// (gray), Information none, Warning <c>33</c> (yellow), Error <c>31</c> (red), Critical <c>1;97;41</c> (bold white on red).
    /// </summary>
    public IReadOnlyDictionary<LogLevel, string>? LevelColors { get; init; }

    /// <summary>Whether records to the standard output are colored (known once the writer is open).</summary>
    public bool ColorsStandardOutput => _colorOut;

    /// <inheritdoc/>
    public override string Name => "console";

    /// <inheritdoc/>
    protected internal override void Validate(string property)
    {
        if (!Enum.IsDefined(Colors)) throw new ArgumentOutOfRangeException(property + "." + nameof(Colors), Colors, "Unknown ConsoleColorMode.");
        if (StandardErrorFromLevel is { } level && (level < LogLevel.Trace || level > LogLevel.None))
            throw new ArgumentOutOfRangeException(property + "." + nameof(StandardErrorFromLevel), level, $"{property}.{nameof(StandardErrorFromLevel)} must be a LogLevel from Trace to None.");
        if (LevelColors is not null)
        {
            foreach (var (lvl, code) in LevelColors)
            {
                if (code is null || !IsSgr(code))
                    throw new ArgumentException($"{property}.{nameof(LevelColors)}[{lvl}] must be an ANSI SGR code of digits and ';' (\"33\", \"97;41\"), not \"{code}\".", property + "." + nameof(LevelColors));
            }
        }
    }

    private static bool IsSgr(string code)
    {
        foreach (char c in code) if (c is not (>= '0' and <= '9' or ';')) return false;
        return true;
    }

    /// <inheritdoc/>
    protected internal override void Open(WriterContext context)
    {
        _stdout = _stdoutOverride ?? Console.OpenStandardOutput();
        _stderr = _stderrOverride ?? Console.OpenStandardError();
        _colorOut = UseColors(_terminalOverride ?? !Console.IsOutputRedirected);
        _colorErr = UseColors(_terminalOverride ?? !Console.IsErrorRedirected);
        var map = LevelColors ?? new Dictionary<LogLevel, string>
        {
            [LogLevel.Trace] = "90", [LogLevel.Debug] = "37", [LogLevel.Warning] = "33", [LogLevel.Error] = "31", [LogLevel.Critical] = "1;97;41",
        };
        _colors = new byte[7][];
        for (int i = 0; i < _colors.Length; i++)
            _colors[i] = map.TryGetValue((LogLevel)i, out var code) && !string.IsNullOrEmpty(code) ? System.Text.Encoding.ASCII.GetBytes("\u001b[" + code + "m") : [];
    }

    private bool UseColors(bool isTerminal) => Colors switch
    {
        ConsoleColorMode.Always => true,
        ConsoleColorMode.Never => false,
        _ => isTerminal && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("NO_COLOR")) && Environment.GetEnvironmentVariable("TERM") != "dumb",
    };

    /// <inheritdoc/>
    protected internal override ValueTask WriteAsync(LogBatch batch, CancellationToken cancellationToken)
    {
        var stdout = _stdout ?? throw new InvalidOperationException("The writer is not open.");
        var errorFrom = StandardErrorFromLevel;
        if (!_colorOut && errorFrom is null)
        {
            stdout.Write(batch.Bytes.Span); // plain, one stream: the batch as it is
            return ValueTask.CompletedTask;
        }
        int outLength = 0, errLength = 0;
        for (int i = 0; i < batch.Count; i++)
        {
            var level = batch.Level(i);
            var record = batch.RecordBytes(i).Span;
            if (errorFrom is { } from && level >= from) Append(ref _err, ref errLength, record, _colorErr ? Color(level) : default);
            else Append(ref _out, ref outLength, record, _colorOut ? Color(level) : default);
        }
        if (outLength > 0) stdout.Write(_out, 0, outLength);
        if (errLength > 0) _stderr!.Write(_err, 0, errLength);
        return ValueTask.CompletedTask;
    }

    private ReadOnlySpan<byte> Color(LogLevel level) => (uint)level < (uint)_colors.Length ? _colors[(int)level] : default;

    /// <summary>Appends a record, wrapped in its color (the reset goes before the record's final new line, so a color never bleeds into the next line).</summary>
    private static void Append(ref byte[] buffer, ref int length, ReadOnlySpan<byte> record, ReadOnlySpan<byte> color)
    {
        int needed = length + record.Length + color.Length + s_reset.Length;
        if (needed > buffer.Length) Array.Resize(ref buffer, Math.Max(needed, buffer.Length * 2));
        if (color.IsEmpty)
        {
            record.CopyTo(buffer.AsSpan(length));
            length += record.Length;
            return;
        }
        int body = record.Length > 0 && record[^1] == '\n' ? record.Length - 1 : record.Length;
        color.CopyTo(buffer.AsSpan(length));
        length += color.Length;
        record[..body].CopyTo(buffer.AsSpan(length));
        length += body;
        s_reset.CopyTo(buffer, length);
        length += s_reset.Length;
        if (body < record.Length) buffer[length++] = (byte)'\n';
    }

    /// <inheritdoc/>
    protected internal override ValueTask FlushAsync(CancellationToken cancellationToken)
    {
        _stdout?.Flush();
        if (!ReferenceEquals(_stderr, _stdout)) _stderr?.Flush();
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc/>
    public override ValueTask DisposeAsync()
    {
        // the process's standard streams stay open (the application and other loggers still use them)
        try
        {
            _stdout?.Flush();
            _stderr?.Flush();
        }
        catch (IOException)
        {
            // a closed pipe: nothing more can be written
        }
        _stdout = _stderr = null;
        return ValueTask.CompletedTask;
    }
}
