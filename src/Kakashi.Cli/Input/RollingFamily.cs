using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Text.RegularExpressions;

namespace Kakashi.Cli.Input;

/// <summary>One file of a rolling family, with what orders it among the others.</summary>
internal readonly record struct FamilyMember(string Path, string Period, int Sequence) : IComparable<FamilyMember>
{
    public int CompareTo(FamilyMember other)
    {
        int c = Period.Length != other.Period.Length ? Period.Length.CompareTo(other.Period.Length) : string.CompareOrdinal(Period, other.Period);
        return c != 0 ? c : Sequence.CompareTo(other.Sequence);
    }
}

/// <summary>
/// The files a rolling <c>AsyncFileWriter</c>/<c>BinaryLogWriter</c> writes from one base path (Serilog's names): the base
/// name, the period (<c>yyyy</c>, <c>yyyyMM</c>, <c>yyyyMMdd</c>, <c>yyyyMMddHH</c> or <c>yyyyMMddHHmm</c>; none for no interval),
/// <c>_NNN</c> from a period's second file on, the extension — <c>app.klog</c>, <c>app_001.klog</c>, <c>app20261202.klog</c>,
/// <c>app20261202_001.klog</c>. Files are ordered by period, then sequence. Given one of them, or the base path itself, the
/// family is every file of that pattern in the folder (compressed <c>.gz</c> ones are not followed).
/// </summary>
internal sealed class RollingFamily
{
    private readonly Regex _pattern;

    private RollingFamily(string folder, string prefix, string extension)
    {
        Folder = folder;
        Prefix = prefix;
        Extension = extension;
        var options = RegexOptions.CultureInvariant | RegexOptions.ExplicitCapture | (OperatingSystem.IsWindows() || OperatingSystem.IsMacOS() ? RegexOptions.IgnoreCase : 0);
        _pattern = new Regex("^" + Regex.Escape(prefix) + @"(?<period>[0-9]{12}|[0-9]{10}|[0-9]{8}|[0-9]{6}|[0-9]{4})?(?:_(?<seq>[0-9]{3,9}))?" + Regex.Escape(extension) + "$", options);
    }

    public string Folder { get; }
    public string Prefix { get; }
    public string Extension { get; }

    /// <summary>The family of <paramref name="path"/>: a rolled file's name, or the writer's base path.</summary>
    public static RollingFamily For(string path)
    {
        string full = System.IO.Path.GetFullPath(path);
        string folder = System.IO.Path.GetDirectoryName(full) ?? ".";
        string extension = System.IO.Path.GetExtension(full);
        string stem = System.IO.Path.GetFileNameWithoutExtension(full);
        var m = Regex.Match(stem, @"^(?<prefix>.*?)(?<period>[0-9]{12}|[0-9]{10}|[0-9]{8}|[0-9]{6}|[0-9]{4})?(?:_[0-9]{3,9})?$", RegexOptions.CultureInvariant | RegexOptions.ExplicitCapture);
        string prefix = m.Success && m.Groups["prefix"].Length > 0 ? m.Groups["prefix"].Value : stem;
        return new RollingFamily(folder, prefix, extension);
    }

    /// <summary>Where <paramref name="path"/> stands in the family; null when it is not one of its names.</summary>
    public FamilyMember? MemberOf(string path)
    {
        string full = System.IO.Path.GetFullPath(path);
        if (!string.Equals(System.IO.Path.GetDirectoryName(full) ?? ".", Folder, StringComparison.Ordinal)) return null;
        var m = _pattern.Match(System.IO.Path.GetFileName(full));
        if (!m.Success) return null;
        var seq = m.Groups["seq"];
        return new FamilyMember(full, m.Groups["period"].Value, seq.Success ? int.Parse(seq.ValueSpan, CultureInfo.InvariantCulture) : 0);
    }

    /// <summary>The family's files now on disk, oldest first.</summary>
    public List<FamilyMember> List()
    {
        var members = new List<FamilyMember>();
        if (!Directory.Exists(Folder)) return members;
        foreach (string path in Directory.EnumerateFiles(Folder))
        {
            if (MemberOf(path) is { } member) members.Add(member);
        }
        members.Sort();
        return members;
    }

    /// <summary>The newest file of the family, or null.</summary>
    public FamilyMember? Latest()
    {
        var list = List();
        return list.Count == 0 ? null : list[^1];
    }

    /// <summary>The first file that comes after <paramref name="current"/>, or null.</summary>
    public FamilyMember? After(FamilyMember current)
    {
        foreach (var member in List())
            if (member.CompareTo(current) > 0) return member;
        return null;
    }

    /// <summary>The files before <paramref name="current"/>, newest first.</summary>
    public List<FamilyMember> Before(FamilyMember current)
    {
        var list = List().FindAll(m => m.CompareTo(current) < 0);
        list.Reverse();
        return list;
    }
}
