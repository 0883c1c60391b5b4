using System;
using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace Kakashi.Clock;

/// <summary>
/// The timestamp source of the logging path. On x64 Linux with an invariant TSC (<c>constant_tsc</c> and
/// <c>nonstop_tsc</c>) it reads the CPU's time-stamp counter through a 10-byte machine-code stub (~12 ns, half of
/// <see cref="Stopwatch.GetTimestamp"/> here); everywhere else, or when <c>KAKASHI_CLOCK=stopwatch</c> is set, it
/// falls back to <see cref="Stopwatch.GetTimestamp"/>. Raw values are converted to UTC on the drain thread by
/// <see cref="ClockConverter"/>.
/// </summary>
public static unsafe class KakashiClock
{
    private static readonly delegate* unmanaged[SuppressGCTransition]<long> s_tsc = TscStub.TryCreate();

    /// <summary>True when timestamps come from the CPU's time-stamp counter.</summary>
    public static bool IsTsc => s_tsc != null;

    /// <summary>Name of the clock in use, for diagnostics and benchmark reports.</summary>
    public static string Source => IsTsc ? "rdtsc" : "Stopwatch";

    /// <summary>Reads the clock. Monotonic per core; comparable across cores (invariant TSC or the OS monotonic clock).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long GetTimestamp()
    {
        var tsc = s_tsc;
        return tsc != null ? tsc() : Stopwatch.GetTimestamp();
    }
}

/// <summary>
/// Converts raw <see cref="KakashiClock"/> values into UTC <see cref="DateTime"/> ticks. Owned by one consumer thread.
/// The rate is measured against <see cref="Stopwatch"/> over a baseline that grows with the process, and the UTC anchor
/// is refreshed at each <see cref="Recalibrate"/> so wall-clock adjustments are followed.
/// </summary>
internal sealed class ClockConverter
{
    private readonly long _baseRaw;
    private readonly long _baseStopwatch;
    private readonly System.Threading.Lock _lock = new();
    private ClockCalibration _calibration;
    private long _lastCalibration;

    public ClockConverter()
    {
        // The first clock read runs the stub's set-up (milliseconds): do it before taking the base pair.
        _ = KakashiClock.GetTimestamp();
        (_baseRaw, _baseStopwatch) = ReadPair();
        if (KakashiClock.IsTsc)
        {
            // First estimate over ~2 ms; refined by Recalibrate over an ever longer baseline.
            long until = _baseStopwatch + Stopwatch.Frequency / 500;
            while (Stopwatch.GetTimestamp() < until) { }
        }
        Recalibrate(force: true);
    }

    /// <summary>The calibration in use (the owner thread reads it directly; others take a consistent copy).</summary>
    public ClockCalibration Calibration
    {
        get
        {
            lock (_lock) return _calibration;
        }
    }

    /// <summary>Bumped at every recalibration: a consumer that persists raw timestamps writes the new calibration when it changes.</summary>
    public int Version { get; private set; }

    public void Recalibrate(bool force = false)
    {
        if (!force && Stopwatch.GetTimestamp() - _lastCalibration < Stopwatch.Frequency) return;
        var (raw, sw) = ReadPair();
        long utc = DateTime.UtcNow.Ticks;
        double rate = KakashiClock.IsTsc
            ? (sw - _baseStopwatch) * (TimeSpan.TicksPerSecond / (double)Stopwatch.Frequency) / Math.Max(1, raw - _baseRaw)
            : TimeSpan.TicksPerSecond / (double)Stopwatch.Frequency;
        if (!(rate > 0) || !double.IsFinite(rate)) rate = TimeSpan.TicksPerSecond / (double)Stopwatch.Frequency;
        lock (_lock) _calibration = new ClockCalibration(raw, utc, rate);
        Version++;
        _lastCalibration = sw;
    }

    /// <summary>A raw clock value and the Stopwatch value read at the same moment (the raw read bracketing the Stopwatch read).</summary>
    private static (long Raw, long Stopwatch) ReadPair()
    {
        long best = long.MaxValue, raw = 0, sw = 0;
        for (int i = 0; i < 5; i++)
        {
            long before = KakashiClock.GetTimestamp();
            long s = Stopwatch.GetTimestamp();
            long after = KakashiClock.GetTimestamp();
            if (after - before < best)
            {
                best = after - before;
                raw = before + (after - before) / 2;
                sw = s;
            }
        }
        return (raw, sw);
    }

    /// <summary>Owner thread only (the drain): the calibration without the lock.</summary>
    internal ref readonly ClockCalibration Current => ref _calibration;

    public DateTime ToUtc(long raw) => _calibration.ToUtc(raw);
}
