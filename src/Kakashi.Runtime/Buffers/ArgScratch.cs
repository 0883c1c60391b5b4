using System;
using System.ComponentModel;
using System.Globalization;

namespace Kakashi.Buffers;

/// <summary>
/// Per-thread scratch space for arguments formatted on the calling thread (value types that hold references, such as
/// <see cref="System.Numerics.BigInteger"/>): generated code formats them here first, so the record claims exactly the
/// bytes it needs, then <see cref="RecordWriter.WriteScratch"/> copies them into the ring in the same order. The buffer
/// grows on demand and is reused, so the steady state allocates nothing and no output is ever cut.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class ArgScratch
{
    [ThreadStatic] private static byte[]? t_buffer;
    [ThreadStatic] private static int t_written;
    [ThreadStatic] private static int t_read;

    /// <summary>Starts a record's formatted arguments.</summary>
    public static void Reset()
    {
        t_written = 0;
        t_read = 0;
    }

    /// <summary>Formats <paramref name="value"/> (invariant culture) after the previous ones; returns its UTF-8 length.</summary>
    public static int Append<T>(T value, string? format) where T : IUtf8SpanFormattable
    {
        var buffer = t_buffer ??= new byte[1024];
        while (true)
        {
            if (value.TryFormat(buffer.AsSpan(t_written), out int length, format, CultureInfo.InvariantCulture))
            {
                t_written += length;
                return length;
            }
            if (buffer.Length >= 64 * 1024 * 1024) throw new InvalidOperationException($"A {typeof(T).Name} argument formats to more than 64 MiB.");
            Array.Resize(ref buffer, buffer.Length * 2);
            t_buffer = buffer;
        }
    }

    /// <summary>The next <paramref name="length"/> formatted bytes, in append order.</summary>
    internal static ReadOnlySpan<byte> Take(int length)
    {
        var span = t_buffer.AsSpan(t_read, length);
        t_read += length;
        return span;
    }
}
