using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Threading.Tasks;
using Kakashi.Runtime.Tests.Peers;

namespace Kakashi.Runtime.Tests.Syslog;

/// <summary>
/// A fact that needs a real peer: when the peer is not installed the test is skipped with a message naming what is missing
/// and how to get it (xUnit 2.9 has no dynamic skip, so the check runs when the tests are discovered). CI installs the
/// peers (.ci/run), so there they run.
/// </summary>
public sealed class RequiresPeerFactAttribute : FactAttribute
{
    public RequiresPeerFactAttribute(string peer)
    {
        if (SyslogPeers.Missing(peer) is { } reason) Skip = reason;
    }
}

internal static class SyslogPeers
{
    private static readonly string[] s_moduleFolders = ["/usr/lib/x86_64-linux-gnu/rsyslog", "/usr/lib/aarch64-linux-gnu/rsyslog", "/usr/lib/rsyslog", "/usr/lib64/rsyslog"];

    public static string? Rsyslogd => PeerProcess.Find("rsyslogd");

    /// <summary>The syslog-ng wrapper .ci/install-syslog-ng.sh extracts (KAKASHI_SYSLOG_NG: another folder).</summary>
    public static string? SyslogNg
    {
        get
        {
            string folder = Environment.GetEnvironmentVariable("KAKASHI_SYSLOG_NG") ?? "/opt/syslog-ng";
            string wrapper = Path.Combine(folder, "run-syslog-ng");
            return File.Exists(wrapper) ? wrapper : null;
        }
    }

    private static bool HasModule(string name) => s_moduleFolders.Any(f => File.Exists(Path.Combine(f, name + ".so")));

    /// <summary>Null when <paramref name="peer"/> can run here, else why not.</summary>
    public static string? Missing(string peer)
    {
        if (!OperatingSystem.IsLinux()) return $"{peer}: the real-peer syslog tests run on Linux only.";
        const string install = "install it with: apt-get install -y rsyslog rsyslog-relp rsyslog-gnutls (as .ci/run does)";
        switch (peer)
        {
            case "rsyslogd":
                return Rsyslogd is null ? $"rsyslogd not found: {install}" : null;
            case "rsyslogd-relp":
                return Rsyslogd is null ? $"rsyslogd not found: {install}" : !HasModule("imrelp") ? $"rsyslog's imrelp module not found: {install}" : null;
            case "rsyslogd-tls":
                return Rsyslogd is null ? $"rsyslogd not found: {install}" : !HasModule("lmnsd_gtls") ? $"rsyslog's gtls driver not found: {install}" : null;
            case "syslog-ng":
                return SyslogNg is null ? "syslog-ng not found in /opt/syslog-ng (or $KAKASHI_SYSLOG_NG): run .ci/install-syslog-ng.sh" : null;
            default:
                return $"unknown peer {peer}";
        }
    }
}

/// <summary>One record as the peer parsed it (its output template writes these fields).</summary>
internal sealed record ParsedSyslog(string Pri, string Timestamp, string Host, string App, string ProcId, string MsgId, string StructuredData, string Msg);

/// <summary>
/// rsyslogd in a temp folder on loopback ports the test picked: imtcp (octet counting is detected per frame), imudp, imrelp
/// and an imtcp TLS listener (gtls, anonymous clients, a self-signed certificate made here), writing the parsed fields of
/// every record to out.log, one record per line (rsyslog escapes control characters it receives as #ooo). The main queue
/// is direct: a record is in the file (the page cache) before imrelp acknowledges it, so a SIGKILL loses nothing acknowledged.
/// </summary>
internal sealed class RsyslogPeer : IDisposable
{
    public const string Separator = "|~|";
    private readonly TempFolder _folder = new();
    private PeerProcess? _process;

    public RsyslogPeer(bool tls = false, bool relp = false)
    {
        Directory.CreateDirectory(Folder);
        TcpPort = PeerProcess.FreeTcpPort();
        UdpPort = PeerProcess.FreeUdpPort();
        RelpPort = relp ? PeerProcess.FreeTcpPort() : 0;
        TlsPort = tls ? PeerProcess.FreeTcpPort() : 0;
        if (tls) WriteCertificate(Folder);
        File.WriteAllText(ConfPath, Configuration(Folder, TcpPort, UdpPort, TlsPort, RelpPort));
    }

    public string Folder => _folder.Path;
    public string ConfPath => Path.Combine(Folder, "rsyslog.conf");
    public string OutPath => Path.Combine(Folder, "out.log");
    public string CaFile => Path.Combine(Folder, "cert.pem");
    public int TcpPort { get; }
    public int UdpPort { get; }
    public int TlsPort { get; }
    public int RelpPort { get; }
    public int Pid => _process?.Id ?? 0;

    /// <summary>The configuration docs/writers.md shows (the user's ports and paths in place of the test's).</summary>
    public static string Configuration(string folder, int tcp, int udp, int tls, int relp)
    {
        var conf = new System.Text.StringBuilder();
        conf.Append($"global(workDirectory=\"{folder}\" maxMessageSize=\"64k\"");
        if (tls > 0) conf.Append($"\n  defaultNetstreamDriverCAFile=\"{folder}/cert.pem\" defaultNetstreamDriverCertFile=\"{folder}/cert.pem\" defaultNetstreamDriverKeyFile=\"{folder}/key.pem\"");
        conf.AppendLine(")");
        conf.AppendLine("main_queue(queue.type=\"Direct\")");
        conf.AppendLine("module(load=\"imtcp\")");
        conf.AppendLine("module(load=\"imudp\")");
        if (relp > 0) conf.AppendLine("module(load=\"imrelp\")");
        conf.AppendLine($"template(name=\"fields\" type=\"string\" string=\"%pri%{Separator}%timereported:::date-rfc3339%{Separator}%hostname%{Separator}%app-name%{Separator}%procid%{Separator}%msgid%{Separator}%structured-data%{Separator}%msg%\\n\")");
        conf.AppendLine($"input(type=\"imtcp\" address=\"127.0.0.1\" port=\"{tcp}\")");
        conf.AppendLine($"input(type=\"imudp\" address=\"127.0.0.1\" port=\"{udp}\")");
        if (tls > 0) conf.AppendLine($"input(type=\"imtcp\" address=\"127.0.0.1\" port=\"{tls}\" streamDriver.name=\"gtls\" streamDriver.mode=\"1\" streamDriver.authMode=\"anon\")");
        if (relp > 0) conf.AppendLine($"input(type=\"imrelp\" address=\"127.0.0.1\" port=\"{relp}\")");
        conf.AppendLine($"if $programname != \"rsyslogd\" then action(type=\"omfile\" file=\"{folder}/out.log\" template=\"fields\")");
        return conf.ToString();
    }

    private static void WriteCertificate(string folder)
    {
        using var key = RSA.Create(2048);
        using var certificate = Kakashi.Runtime.Tests.Peers.TestCertificate.Create(key);
        File.WriteAllText(Path.Combine(folder, "cert.pem"), certificate.ExportCertificatePem() + "\n");
        File.WriteAllText(Path.Combine(folder, "key.pem"), key.ExportPkcs8PrivateKeyPem() + "\n");
    }

    public async Task StartAsync()
    {
        _process = PeerProcess.Start(SyslogPeers.Rsyslogd!, $"-n -f {ConfPath} -i {Path.Combine(Folder, "rsyslogd.pid")}", Folder);
        await _process.WaitForTcpAsync(TcpPort, TimeSpan.FromSeconds(30));
        if (RelpPort > 0) await _process.WaitForTcpAsync(RelpPort, TimeSpan.FromSeconds(30));
        if (TlsPort > 0) await _process.WaitForTcpAsync(TlsPort, TimeSpan.FromSeconds(30));
    }

    /// <summary>SIGKILL: the relay dies mid-stream.</summary>
    public void Kill()
    {
        _process?.Kill();
        _process?.Dispose();
        _process = null;
    }

    public string Output => _process?.Output ?? "";

    /// <summary>The whole lines of out.log so far (a line being written is left for the next read).</summary>
    public List<string> Lines()
    {
        if (!File.Exists(OutPath)) return [];
        string text;
        using (var stream = new FileStream(OutPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete))
        using (var reader = new StreamReader(stream))
            text = reader.ReadToEnd();
        int end = text.LastIndexOf('\n');
        return end < 0 ? [] : text[..end].Split('\n').ToList();
    }

    public List<ParsedSyslog> Records(string app) => Lines().Select(Parse).Where(r => r.App == app).ToList();

    public static ParsedSyslog Parse(string line)
    {
        var f = line.Split(Separator, 8);
        if (f.Length < 8) throw new FormatException($"not a record line: {line}");
        return new ParsedSyslog(f[0], f[1], f[2], f[3], f[4], f[5], f[6], f[7]);
    }

    public void Dispose()
    {
        _process?.Dispose();
        _folder.Dispose();
    }
}

/// <summary>
/// syslog-ng (extracted by .ci/install-syslog-ng.sh), a second independent parser: a syslog() source on TCP (RFC 6587
/// octet counting), writing the parsed fields and the unescaped structured-data values, one record per <c>|#|</c> + LF
/// (a message's own line breaks are kept).
/// </summary>
internal sealed class SyslogNgPeer : IDisposable
{
    public const string End = "|#|\n";
    private readonly TempFolder _folder = new();
    private PeerProcess? _process;

    public SyslogNgPeer(string sdId, params string[] sdNames)
    {
        Directory.CreateDirectory(Folder);
        Port = PeerProcess.FreeTcpPort();
        File.WriteAllText(ConfPath, Configuration(Folder, Port, sdId, sdNames));
    }

    public string Folder => _folder.Path;
    public string ConfPath => Path.Combine(Folder, "syslog-ng.conf");
    public string OutPath => Path.Combine(Folder, "out.log");
    public int Port { get; }

    public static string Configuration(string folder, int port, string sdId, string[] sdNames)
    {
        string sd = string.Concat(sdNames.Select(n => $"{RsyslogPeer.Separator}${{.SDATA.{sdId}.{n}}}"));
        return $$"""
            @version: 3.38
            options { keep-hostname(yes); frac-digits(6); };
            source s_kakashi { syslog(ip("127.0.0.1") port({{port}}) transport("tcp")); };
            destination d_fields { file("{{folder}}/out.log" template("${PRI}{{RsyslogPeer.Separator}}${ISODATE}{{RsyslogPeer.Separator}}${HOST}{{RsyslogPeer.Separator}}${PROGRAM}{{RsyslogPeer.Separator}}${PID}{{RsyslogPeer.Separator}}${MSGID}{{RsyslogPeer.Separator}}${MSG}{{sd}}|#|\n")); };
            log { source(s_kakashi); destination(d_fields); };

            """;
    }

    public async Task StartAsync()
    {
        _process = PeerProcess.Start(SyslogPeers.SyslogNg!,
            $"-F -f {ConfPath} --no-caps -p {Folder}/syslog-ng.pid -R {Folder}/syslog-ng.persist -c {Folder}/syslog-ng.ctl", Folder);
        await _process.WaitForTcpAsync(Port, TimeSpan.FromSeconds(30));
    }

    public List<string[]> Records()
    {
        if (!File.Exists(OutPath)) return [];
        string text = File.ReadAllText(OutPath);
        int end = text.LastIndexOf(End, StringComparison.Ordinal);
        return end < 0 ? [] : text[..end].Split(End).Select(r => r.Split(RsyslogPeer.Separator)).ToList();
    }

    public string Output => _process?.Output ?? "";

    public void Dispose()
    {
        _process?.Dispose();
        _folder.Dispose();
    }
}
