using System;
using System.Collections.Generic;
using System.Linq;

namespace Kakashi.Benchmarks.Peers;

/// <summary>The peers by name, Kakashi first (it is the baseline of every ratio).</summary>
public static class PeerCatalog
{
    public const string Baseline = "Kakashi";

    private static readonly (string Name, Func<IPeer> Create)[] s_peers =
    [
        ("Kakashi", () => new KakashiPeer()),
        ("ZLogger", () => new ZLoggerPeer()),
        ("MEL", () => new MelPeer()),
        ("Serilog", () => new SerilogPeer()),
        ("NLog", () => new NLogPeer()),
    ];

    public static IReadOnlyList<string> Names { get; } = s_peers.Select(p => p.Name).ToArray();

    public static IPeer Create(string name)
    {
        foreach (var (peerName, create) in s_peers)
            if (string.Equals(peerName, name, StringComparison.OrdinalIgnoreCase)) return create();
        throw new ArgumentException($"Unknown peer '{name}'. Known: {string.Join(", ", Names)}.", nameof(name));
    }

    /// <summary>Canonical spelling of a peer name given on the command line.</summary>
    public static string Canonical(string name)
        => Names.FirstOrDefault(n => string.Equals(n, name, StringComparison.OrdinalIgnoreCase))
           ?? throw new ArgumentException($"Unknown peer '{name}'. Known: {string.Join(", ", Names)}.", nameof(name));
}
