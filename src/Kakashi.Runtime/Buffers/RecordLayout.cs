namespace Kakashi.Buffers;

/// <summary>
/// The binary layout of one record in a ring buffer: record format version 1 (docs/record-format.md, byte by byte). The
/// binary log and crash recovery persist it nearly verbatim; a reader checks <see cref="VersionOffset"/> and refuses a
/// version it does not know. The header is 28 bytes on purpose: a typical record (a few numbers and a short string) still
/// fits one 64-byte line. New fields mean a new version.
/// </summary>
/// <remarks>
/// <code>
/// offset size field
///  0     4   Length       bytes of header + payload (unpadded); <see cref="SkipMarker"/> marks the unused tail of the ring
///  4     4   TemplateId   <see cref="Templates.LogTemplate.Id"/>: names the segments, argument names and codecs
///  8     8   Timestamp    raw clock ticks (<see cref="Clock.KakashiClock"/>), converted to UTC by the consumer
/// 16     4   LoggerId     the category (<see cref="KakashiLogger"/>) within the pipeline
/// 20     4   ThreadId     managed thread id of the producer
/// 24     1   Level        Microsoft.Extensions.Logging.LogLevel
/// 25     1   Flags        <see cref="RecordFlags"/>
/// 26     1   Objects      object slots taken (scope, activity, exceptions; at most 255), consumed in order from the buffer's object ring
/// 27     1   Version      <see cref="FormatVersion"/>
/// 28     ... payload      the arguments in declaration order, each encoded per its <see cref="Templates.ArgType"/> (no type tags: the template knows the types)
/// </code>
/// Records start at 64-byte (cache-line) aligned offsets, so the record being written never shares a line with one the drain reads; a record never wraps around the end of the ring.
/// </remarks>
public static class RecordLayout
{
    /// <summary>Offset of <c>Length</c>: the record's size in bytes, header included (int32).</summary>
    public const int LengthOffset = 0;
    /// <summary>Offset of <c>TemplateId</c>: the id of the record's <see cref="Templates.LogTemplate"/> (int32).</summary>
    public const int TemplateIdOffset = 4;
    /// <summary>Offset of <c>Timestamp</c>: the raw clock value taken on the calling thread (int64).</summary>
    public const int TimestampOffset = 8;
    /// <summary>Offset of <c>LoggerId</c>: the category's id (int32).</summary>
    public const int LoggerIdOffset = 16;
    /// <summary>Offset of <c>ThreadId</c>: the logging thread's managed id (int32).</summary>
    public const int ThreadIdOffset = 20;
    /// <summary>Offset of <c>Level</c>: the record's <see cref="Microsoft.Extensions.Logging.LogLevel"/> (one byte).</summary>
    public const int LevelOffset = 24;
    /// <summary>Offset of <c>Flags</c>: the record's <see cref="RecordFlags"/> (one byte).</summary>
    public const int FlagsOffset = 25;
    /// <summary>Offset of <c>Objects</c>: how many object slots (scope, activity, exception) the record uses (one byte).</summary>
    public const int ObjectsOffset = 26;
    /// <summary>Offset of <c>Version</c>: the record format version (one byte).</summary>
    public const int VersionOffset = 27;

    /// <summary>The record format version this Kakashi writes and reads.</summary>
    public const byte FormatVersion = 1;

    /// <summary>Size of the fixed record header.</summary>
    public const int HeaderSize = 28;

    /// <summary>Most object slots one record takes (the count is one byte): exceptions past it are not stored.</summary>
    public const int MaxObjects = 255;

    /// <summary>Records are padded to this alignment.</summary>
    public const int Alignment = 64;

    /// <summary>Value of the length field that says "the rest of the ring is unused, continue at offset 0".</summary>
    public const int SkipMarker = -1;

    /// <summary>String length value for a null string.</summary>
    public const int NullString = -1;

    /// <summary>Bit set in a string's length when the string was cut to fit the buffer.</summary>
    public const int TruncatedStringBit = 1 << 30;

    /// <summary>Largest record a decoder accepts (half the largest ring).</summary>
    public const int MaxDetachedRecord = 512 * 1024 * 1024;

    internal static int Align(int size) => (size + (Alignment - 1)) & ~(Alignment - 1);
}

/// <summary>Per-record flags.</summary>
[System.Flags]
public enum RecordFlags : byte
{
    /// <summary>No flag.</summary>
    None = 0,
    /// <summary>At least one string argument was cut because the record was larger than the buffer can hold.</summary>
    Truncated = 1,
    /// <summary>The first object slot holds the caller's <see cref="LogScope"/> (or null).</summary>
    HasScope = 2,
    /// <summary>The next object slot holds the caller's <see cref="System.Diagnostics.Activity"/> (or null).</summary>
    HasActivity = 4,
}
