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
        ("Kakashi-2fmt", () => new KakashiPeer("Kakashi-2fmt", secondFormatter: true)),
        ("Kakashi-all", () => new KakashiPeer("Kakashi-all", secondFormatter: true, allEnrichers: true)),
        ("Kakashi-json", () => new KakashiPeer("Kakashi-json", formatter: new JsonFormatter())),
        ("Kakashi-json-lean", () => new KakashiPeer("Kakashi-json-lean", formatter: new JsonFormatter { IncludeTemplate = false })),
        ("Kakashi-clef", () => new KakashiPeer("Kakashi-clef", formatter: new JsonFormatter { Fields = JsonFieldSet.Clef })),
        ("Kakashi-klog", () => new KakashiPeer("Kakashi-klog", binary: true)),
        ("Kakashi-ts", () => new KakashiPeer("Kakashi-ts", layout: KakashiPeer.CustomTimestampLayout)),
        ("Kakashi-nowarm", () => new KakashiPeer("Kakashi-nowarm", warmUp: false)),
        ("Kakashi-net-down", () => new KakashiPeer("Kakashi-net-down", outage: NetworkOutage.Down)),
        ("Kakashi-net-hung", () => new KakashiPeer("Kakashi-net-hung", outage: NetworkOutage.Hung)),
        ("Kakashi-syslog-tcp", () => new KakashiSyslogPeer()),
        ("ZLogger", () => new ZLoggerPeer()),
        ("ZLogger-json", () => new ZLoggerPeer(json: true)),
        ("Serilog-clef", () => new SerilogPeer(clef: true)),
        ("MEL", () => new MelPeer()),
        ("Serilog", () => new SerilogPeer()),
        ("NLog", () => new NLogPeer()),
    ];

    /// <summary>Every peer and Kakashi variant a run can name.</summary>
    public static IReadOnlyList<string> Names { get; } = s_peers.Select(p => p.Name).ToArray();

    /// <summary>What a run without --peers races: Kakashi and the peers (the Kakashi-* feature variants only when named).</summary>
    public static IReadOnlyList<string> Defaults { get; } = Names.Where(n => !n.Contains('-', StringComparison.Ordinal)).ToArray();

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
