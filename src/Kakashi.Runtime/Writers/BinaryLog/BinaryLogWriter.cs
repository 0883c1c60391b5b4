using System;
using System.Buffers.Binary;
using System.Buffers;
using System.Collections.Generic;
using System.Globalization;
using System.Reflection;
using Kakashi.Writers;
using Kakashi.Writers.BinaryLog;

namespace Kakashi;

/// <summary>
/// Writes records to a binary <c>.klog</c> file (docs/binary-log.md): the ring's records nearly as they are — no text is
/// formatted, and with no text output, filter or enricher in the pipeline the drain does not even decode them — at a
/// fraction of the bytes of a text line. <c>kakashi decode</c> (src/Kakashi.Cli) turns a file back into the exact text or JSON
/// the runtime's formatters would have written, on any machine: every file carries the templates, categories, thread names
/// and clock calibration its records need.
/// </summary>
/// <remarks>
/// <para>A file is a sequence of checksummed frames: a reader following a file being written never takes a frame still
/// being written for a valid one, and damage costs the frames it hits. It is everything <see cref="AsyncFileWriter"/> is —
/// O_APPEND, exact delivery confirmation on a full disk, rolling by period and size (each rolled file starts with its own
/// header and metadata, so it decodes alone), retention, compression, reopening after logrotate — with frames instead of
/// lines as the units a file is cut between. Two processes appending to one file keep their records apart (each frame
/// names its writing session).</para>
/// <para>It takes no <see cref="LogWriter.Formatter"/>; <see cref="LogWriter.MinLevel"/> and every backpressure strategy work
/// as for any writer (binary for everything next to text for Warning and above is one pipeline with two writers).</para>
/// </remarks>
public sealed class BinaryLogWriter : AsyncFileWriter
{
    private readonly BinaryLogFormatter _format;
    private readonly ArrayBufferWriter<byte> _scratch = new(4096);
    private int _metaCursor;
    private int[] _ends = new int[64];
    private int[] _counts = new int[64];

    /// <summary>The file extension of binary logs.</summary>
    public const string Extension = ".klog";

    /// <summary>A writer to the <c>.klog</c> file at <paramref name="path"/> (the base name of the rolled files when it rolls).</summary>
    public BinaryLogWriter(string path)
        : base(path)
    {
        _format = new BinaryLogFormatter();
        Formatter = _format;
    }

    /// <inheritdoc/>
    public override string Name => $"klog:{Path}";

    /// <summary>The session id the writer's frames carry (random per writer).</summary>
    public uint Session => _format.Session;

    private protected override void ValidateFormat(string property)
    {
        if (!ReferenceEquals(Formatter, _format))
            throw new ArgumentException($"{property}.{nameof(Formatter)}: a BinaryLogWriter writes .klog records itself and takes no formatter (decode the file with `kakashi decode` for text or JSON).", property + "." + nameof(Formatter));
    }

    private protected override Func<byte[]>? Preamble => BuildPreamble;

    /// <summary>The metadata announced since the last batch (an M frame), then the batch's R frames, each sealed with its CRC.</summary>
    private protected override void AppendBatch(FilePipeWriter pipe, LogBatch batch)
    {
        int metaEnd = _format.Metadata.Length;
        if (metaEnd > _metaCursor)
        {
            _scratch.ResetWrittenCount();
            WriteMetadataFrame(_scratch, _metaCursor, metaEnd);
            _metaCursor = metaEnd;
            int length = _scratch.WrittenCount;
            pipe.Append(_scratch.WrittenSpan, [length], [0]);
        }
        var bytes = batch.Buffer.AsSpan(0, batch.Length);
        int n = 0, pos = 0, records = 0;
        while (pos < bytes.Length)
        {
            int body = BinaryPrimitives.ReadInt32LittleEndian(bytes[(pos + 8)..]);
            int count = BinaryPrimitives.ReadInt32LittleEndian(bytes[(pos + 12)..]);
            int end = pos + KlogFormat.HeaderSize + body;
            if (bytes[pos] != KlogFormat.Sync0 || body < 0 || end > bytes.Length) throw new InvalidOperationException($"{Name}: a batch holds a malformed frame at {pos} (a bug).");
            KlogFormat.Seal(bytes[pos..]);
            if (n == _ends.Length)
            {
                Array.Resize(ref _ends, n * 2);
                Array.Resize(ref _counts, n * 2);
            }
            _ends[n] = end;
            _counts[n] = count;
            records += count;
            n++;
            pos = end;
        }
        if (records != batch.Count) throw new InvalidOperationException($"{Name}: a batch of {batch.Count} records holds frames of {records} (a bug).");
        pipe.Append(bytes, _ends.AsSpan(0, n), _counts.AsSpan(0, n));
    }

    private void WriteMetadataFrame(ArrayBufferWriter<byte> output, int from, int to)
    {
        int start = output.WrittenCount;
        output.GetSpan(KlogFormat.HeaderSize);
        output.Advance(KlogFormat.HeaderSize);
        _format.Metadata.CopyTo(from, to, output);
        Finish(output, start, KlogFormat.MetadataFrame, 0);
    }

    private void Finish(ArrayBufferWriter<byte> output, int start, byte type, int count)
    {
        var frame = System.Runtime.InteropServices.MemoryMarshal.AsMemory(output.WrittenMemory).Span[start..];
        KlogFormat.WriteHeader(frame, type, _format.Session, frame.Length - KlogFormat.HeaderSize, count);
        KlogFormat.Seal(frame);
    }

    /// <summary>A new file's start: the H frame (format version, who wrote it, the clock) and every metadata entry so far.</summary>
    private byte[] BuildPreamble()
    {
        var output = new ArrayBufferWriter<byte>(4096);
        output.GetSpan(KlogFormat.HeaderSize);
        output.Advance(KlogFormat.HeaderSize);
        var w = new ManifestWriter(output);
        w.Byte(KlogFormat.FormatVersion);
        Span<byte> clock = stackalloc byte[Clock.ClockCalibration.Size];
        _format.Clock.WriteTo(clock);
        w.Bytes(clock);
        var properties = HeaderProperties();
        w.VarUInt((uint)properties.Count);
        foreach (var (key, value) in properties)
        {
            w.String(key);
            w.String(value);
        }
        Finish(output, 0, KlogFormat.HeaderFrame, 0);
        int metaEnd = _format.Metadata.Length;
        if (metaEnd > 0) WriteMetadataFrame(output, 0, metaEnd);
        _metaCursor = Math.Max(_metaCursor, metaEnd); // everything so far is in this file now
        return output.WrittenSpan.ToArray();
    }

    private List<(string, string)> HeaderProperties()
    {
        var list = new List<(string, string)>
        {
            ("created", DateTime.UtcNow.ToString("O", CultureInfo.InvariantCulture)),
            ("machine", Environment.MachineName),
            ("process.id", Environment.ProcessId.ToString(CultureInfo.InvariantCulture)),
        };
        try
        {
            using var process = System.Diagnostics.Process.GetCurrentProcess();
            list.Add(("process.name", process.ProcessName));
        }
        catch (Exception e) when (e is InvalidOperationException or PlatformNotSupportedException or System.ComponentModel.Win32Exception)
        {
            // not available here: left out
        }
        if (System.Reflection.Assembly.GetEntryAssembly()?.GetName().Name is { } app) list.Add(("application", app));
        // the package version and the commit (the informational version), not the assembly version (which stays at x.y.0.0)
        var assembly = typeof(BinaryLogWriter).Assembly;
        list.Add(("kakashi.version", assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
            ?? assembly.GetName().Version?.ToString() ?? "0"));
        list.Add(("runtime", System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription));
        list.Add(("os", System.Runtime.InteropServices.RuntimeInformation.OSDescription));
        list.Add(("clock", Clock.KakashiClock.Source));
        list.Add(("session", _format.Session.ToString("x8", CultureInfo.InvariantCulture)));
        return list;
    }
}
