using System;
using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace Kakashi.Clock;

/// <summary>
/// How raw <see cref="KakashiClock"/> ticks map to UTC: an anchor pair (a raw value and the UTC time read at the same
/// moment) and the rate. Plain data: written out next to raw records (<see cref="WriteTo"/>, 24 bytes) and read back
/// (<see cref="Read"/>) by a decoder, which then converts exactly as the live pipeline did.
/// </summary>
public readonly struct ClockCalibration : IEquatable<ClockCalibration>
{
    /// <summary>Bytes of the serialized form.</summary>
    public const int Size = 24;

    /// <summary>A calibration from an anchor pair and a rate.</summary>
    /// <param name="anchorRaw">A raw clock value.</param>
    /// <param name="anchorUtcTicks">The UTC time (<see cref="DateTime.Ticks"/>) read with it.</param>
    /// <param name="utcTicksPerRaw">UTC ticks (100 ns) per raw tick.</param>
    public ClockCalibration(long anchorRaw, long anchorUtcTicks, double utcTicksPerRaw)
    {
        AnchorRaw = anchorRaw;
        AnchorUtcTicks = anchorUtcTicks;
        UtcTicksPerRaw = utcTicksPerRaw;
    }

    /// <summary>A raw clock value...</summary>
    public long AnchorRaw { get; }

    /// <summary>...and the UTC time (<see cref="DateTime.Ticks"/>) it was read with.</summary>
    public long AnchorUtcTicks { get; }

    /// <summary>UTC ticks (100 ns) per raw tick.</summary>
    public double UtcTicksPerRaw { get; }

    /// <summary>The UTC time (<see cref="DateTime.Ticks"/>) of the raw clock value <paramref name="raw"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public long ToUtcTicks(long raw) => AnchorUtcTicks + (long)((raw - AnchorRaw) * UtcTicksPerRaw);

    /// <summary>The UTC time of a raw clock value (clamped to the range of <see cref="DateTime"/>).</summary>
    public DateTime ToUtc(long raw)
    {
        // in doubles first: a hostile raw value (a damaged file) can overflow the long arithmetic
        double ticks = AnchorUtcTicks + ((double)raw - AnchorRaw) * UtcTicksPerRaw;
        if (!(ticks >= DateTime.MinValue.Ticks)) return new DateTime(DateTime.MinValue.Ticks, DateTimeKind.Utc); // also NaN
        if (ticks >= DateTime.MaxValue.Ticks) return new DateTime(DateTime.MaxValue.Ticks, DateTimeKind.Utc);
        return new DateTime(Math.Clamp(ToUtcTicks(raw), DateTime.MinValue.Ticks, DateTime.MaxValue.Ticks), DateTimeKind.Utc);
    }

    /// <summary>Writes the 24-byte form (little-endian: anchor raw, anchor UTC ticks, rate as an IEEE double).</summary>
    public void WriteTo(Span<byte> destination)
    {
        if (destination.Length < Size) throw new ArgumentException($"A clock calibration needs {Size} bytes.", nameof(destination));
        BinaryPrimitives.WriteInt64LittleEndian(destination, AnchorRaw);
        BinaryPrimitives.WriteInt64LittleEndian(destination[8..], AnchorUtcTicks);
        BinaryPrimitives.WriteDoubleLittleEndian(destination[16..], UtcTicksPerRaw);
    }

    /// <summary>Reads the form <see cref="WriteTo"/> writes.</summary>
    /// <exception cref="System.IO.InvalidDataException">Fewer than 24 bytes, or a rate that is not a positive finite number.</exception>
    public static ClockCalibration Read(ReadOnlySpan<byte> source)
    {
        if (source.Length < Size) throw new System.IO.InvalidDataException($"A clock calibration is {Size} bytes; {source.Length} given.");
        double rate = BinaryPrimitives.ReadDoubleLittleEndian(source[16..]);
        if (!double.IsFinite(rate) || rate <= 0) throw new System.IO.InvalidDataException($"A clock calibration's rate must be a positive number; {rate} read.");
        return new ClockCalibration(BinaryPrimitives.ReadInt64LittleEndian(source), BinaryPrimitives.ReadInt64LittleEndian(source[8..]), rate);
    }

    /// <inheritdoc/>
    public bool Equals(ClockCalibration other) => AnchorRaw == other.AnchorRaw && AnchorUtcTicks == other.AnchorUtcTicks && UtcTicksPerRaw.Equals(other.UtcTicksPerRaw);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is ClockCalibration other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(AnchorRaw, AnchorUtcTicks, UtcTicksPerRaw);

    /// <summary>True when both calibrations have the same anchor pair and rate.</summary>
    public static bool operator ==(ClockCalibration left, ClockCalibration right) => left.Equals(right);

    /// <summary>True when the calibrations differ in their anchor pair or rate.</summary>
    public static bool operator !=(ClockCalibration left, ClockCalibration right) => !left.Equals(right);

    /// <inheritdoc/>
    public override string ToString() => $"raw {AnchorRaw} = {new DateTime(AnchorUtcTicks, DateTimeKind.Utc):O}, {UtcTicksPerRaw} ticks/raw";
}
