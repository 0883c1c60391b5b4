using System;

namespace Kakashi.Benchmarks.Peers;

/// <summary>
/// One logging library set up for the race. Every peer writes the same record
/// (<see cref="PeerSetup.Template"/> with int, int, double, string at Information) as one text line
/// "timestamp [Level] Category: message" to a file, through its own background writer.
/// </summary>
public interface IPeer : IDisposable
{
    /// <summary>Short name used on the command line and in tables.</summary>
    string Name { get; }

    /// <summary>How the peer is configured (printed in reports).</summary>
    string Description { get; }

    /// <summary>Builds the logger writing to <paramref name="path"/> (the file must not exist yet).</summary>
    void Setup(string path);

    /// <summary>One enabled call at Information.</summary>
    void Log(int orderId, int quantity, double price, string symbol);

    /// <summary>One call at Debug, below the minimum level (Information): must write nothing.</summary>
    void LogDisabled(int orderId, int quantity, double price, string symbol);

    /// <summary>
    /// <paramref name="calls"/> Debug calls in a loop inside the peer (the peer's own call site, no interface call per
    /// iteration, so the JIT can inline the level check as it would in an application).
    /// </summary>
    void LogDisabledLoop(int calls);

    /// <summary>
    /// Waits (untimed) until the records logged so far have left the peer's queue for its writer, with whatever the
    /// library offers: a flush API, a queue inspector, or nothing (the harness then watches the file).
    /// </summary>
    void Flush();

    /// <summary>Peer-specific counters after <see cref="IDisposable.Dispose"/> (null when the peer has none).</summary>
    string? Counters { get; }

    // Dispose: stop accepting, drain every record accepted so far, flush and close the file.
}

/// <summary>What every peer shares.</summary>
public static class PeerSetup
{
    public const string Template = "Order {OrderId} filled {Quantity} at {Price} for {Symbol}";
    public const string Category = "Bench";

    /// <summary>Arguments used by every harness (the order id varies per call).</summary>
    public const int Quantity = 100;
    public const double Price = 101.25;
    public const string Symbol = "MSFT";
}
