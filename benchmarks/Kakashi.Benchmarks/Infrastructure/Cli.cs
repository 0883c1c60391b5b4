using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Kakashi.Benchmarks.Peers;

namespace Kakashi.Benchmarks.Infrastructure;

/// <summary>"--name value" options; what is not recognised is kept (BenchmarkDotNet gets it).</summary>
public sealed class Cli
{
    private readonly Dictionary<string, string> _values = new(StringComparer.OrdinalIgnoreCase);

    public Cli(IEnumerable<string> args, IEnumerable<string> known)
    {
        var knownSet = new HashSet<string>(known, StringComparer.OrdinalIgnoreCase);
        var list = args.ToList();
        for (int i = 0; i < list.Count; i++)
        {
            string arg = list[i];
            if (arg.StartsWith("--", StringComparison.Ordinal) && knownSet.Contains(arg[2..]))
            {
                if (i + 1 >= list.Count) throw new ArgumentException($"Option {arg} needs a value.");
                _values[arg[2..]] = list[++i];
            }
            else
            {
                Rest.Add(arg);
            }
        }
    }

    /// <summary>Arguments that are not options of this harness.</summary>
    public List<string> Rest { get; } = new();

    public string? Get(string name) => _values.TryGetValue(name, out var v) ? v : null;

    public string Get(string name, string fallback) => Get(name) ?? fallback;

    public int GetInt(string name, int fallback)
    {
        var v = Get(name);
        if (v is null) return fallback;
        v = v.Replace("_", "", StringComparison.Ordinal).Replace(",", "", StringComparison.Ordinal);
        return int.Parse(v, NumberStyles.Integer, CultureInfo.InvariantCulture);
    }

    public int[] GetInts(string name, int[] fallback)
    {
        var v = Get(name);
        if (v is null) return fallback;
        return v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(s => int.Parse(s, NumberStyles.Integer, CultureInfo.InvariantCulture)).ToArray();
    }

    /// <summary>--peers a,b,c (default: all, Kakashi first).</summary>
    public string[] GetPeers()
    {
        var v = Get("peers");
        if (v is null) return PeerCatalog.Defaults.ToArray();
        return v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(PeerCatalog.Canonical).ToArray();
    }
}
