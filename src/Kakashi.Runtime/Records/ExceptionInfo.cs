using System;
using System.Collections.Generic;
using System.IO;

namespace Kakashi;

/// <summary>
/// An exception captured as data (type, message, stack trace, its full text, inner exceptions), for records that outlive
/// the process: a binary log, a recovered ring, a decoder in another process. <see cref="ToString"/> is the text the live
/// exception rendered (<see cref="Exception.ToString"/>), so a decoded record renders as the live one did.
/// </summary>
public sealed class ExceptionInfo
{
    /// <summary>An exception as data.</summary>
    /// <param name="type">The full type name.</param>
    /// <param name="message">The message.</param>
    /// <param name="stackTrace">The stack trace, if it had one.</param>
    /// <param name="text">What <see cref="Exception.ToString"/> returned.</param>
    /// <param name="inner">The inner exceptions (an <see cref="AggregateException"/> has several).</param>
    public ExceptionInfo(string type, string message, string? stackTrace, string text, IReadOnlyList<ExceptionInfo>? inner = null)
    {
        ArgumentNullException.ThrowIfNull(type);
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(text);
        Type = type;
        Message = message;
        StackTrace = stackTrace;
        Text = text;
        Inner = inner ?? [];
    }

    /// <summary>The exception's full type name.</summary>
    public string Type { get; }

    /// <summary>The exception's message.</summary>
    public string Message { get; }

    /// <summary>The exception's stack trace; null when it was never thrown.</summary>
    public string? StackTrace { get; }

    /// <summary>What <see cref="Exception.ToString"/> returned (or a marker when it threw).</summary>
    public string Text { get; }

    /// <summary>The inner exception, or an aggregate's inner exceptions (at most 16 levels deep).</summary>
    public IReadOnlyList<ExceptionInfo> Inner { get; }

    /// <summary>Captures <paramref name="exception"/> (allocates; called where a record leaves the process, not on the logging path).</summary>
    public static ExceptionInfo Capture(Exception exception) => Capture(exception, 0);

    private static ExceptionInfo Capture(Exception exception, int depth)
    {
        ArgumentNullException.ThrowIfNull(exception);
        string type = exception.GetType().FullName ?? exception.GetType().Name;
        string message = Safe(() => exception.Message) ?? "";
        string? stack = Safe(() => exception.StackTrace);
        string text = Formatting.FormatFailures.ExceptionText(exception);
        var inner = new List<ExceptionInfo>();
        if (depth < Kakashi.TemplateLimits.MaxExceptionDepth)
        {
            if (exception is AggregateException aggregate)
            {
                foreach (var e in aggregate.InnerExceptions) inner.Add(Capture(e, depth + 1));
            }
            else if (exception.InnerException is { } single)
            {
                inner.Add(Capture(single, depth + 1));
            }
        }
        return new ExceptionInfo(type, message, stack, text, inner);
    }

    private static string? Safe(Func<string?> read)
    {
        try
        {
            return read();
        }
        catch (Exception)
        {
            return null;
        }
    }

    /// <summary>Writes the capture in the record format (docs/record-format.md, "Exception").</summary>
    public void WriteTo(System.Buffers.IBufferWriter<byte> output) => WriteTo(new ManifestWriter(output), 0);

    /// <summary>
    /// An object slot of a detached record (docs/record-format.md): 1 and the exception when <paramref name="value"/> is one
    /// (live or already captured), else 0.
    /// </summary>
    internal static void WriteSlot(ManifestWriter w, object? value)
    {
        switch (value)
        {
            case Exception e:
                w.Byte(1);
                Capture(e).WriteTo(w, 0);
                break;
            case ExceptionInfo info:
                w.Byte(1);
                info.WriteTo(w, 0);
                break;
            default:
                w.Byte(0);
                break;
        }
    }

    internal void WriteTo(ManifestWriter w, int depth)
    {
        w.String(Type);
        w.String(Message);
        w.NullableString(StackTrace);
        w.String(Text);
        int count = depth < Kakashi.TemplateLimits.MaxExceptionDepth ? Inner.Count : 0;
        w.VarUInt((uint)count);
        for (int i = 0; i < count; i++) Inner[i].WriteTo(w, depth + 1);
    }

    /// <summary>Reads what <see cref="WriteTo(System.Buffers.IBufferWriter{byte})"/> wrote.</summary>
    /// <exception cref="InvalidDataException">The bytes are damaged.</exception>
    public static ExceptionInfo Read(ReadOnlySpan<byte> source, out int consumed)
    {
        var reader = new ManifestReader(source);
        var info = Read(ref reader, 0);
        consumed = reader.Position;
        return info;
    }

    internal static ExceptionInfo Read(ref ManifestReader r, int depth)
    {
        if (depth > Kakashi.TemplateLimits.MaxExceptionDepth) throw new InvalidDataException("An exception is nested deeper than 16 levels.");
        string type = r.String();
        string message = r.String();
        string? stack = r.NullableString();
        string text = r.String();
        int count = r.Count(1024);
        var inner = new List<ExceptionInfo>(Math.Min(count, 16));
        for (int i = 0; i < count; i++) inner.Add(Read(ref r, depth + 1));
        return new ExceptionInfo(type, message, stack, text, inner);
    }

    /// <inheritdoc/>
    public override string ToString() => Text;
}
