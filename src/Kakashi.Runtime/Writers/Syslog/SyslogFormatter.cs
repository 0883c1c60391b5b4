using System;
using System.Buffers;
using System.Threading;
using Kakashi.Formatting;
using Kakashi.Templates;
using Microsoft.Extensions.Logging;

namespace Kakashi;

/// <summary>The syslog message format a <see cref="SyslogFormatter"/> writes.</summary>
public enum SyslogFormat
{
    /// <summary>RFC 5424: <c>&lt;PRI&gt;1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID [SD] MSG</c> (default).</summary>
    Rfc5424,
    /// <summary>RFC 3164 (BSD syslog), for old relays: <c>&lt;PRI&gt;Mmm dd hh:mm:ss HOSTNAME TAG[pid]: MSG</c>, local time, no structured data.</summary>
    Rfc3164,
}

/// <summary>The syslog facility (RFC 5424 section 6.2.1): PRI = facility × 8 + severity.</summary>
public enum SyslogFacility
{
    /// <summary>Kernel messages.</summary>
    Kernel = 0,
    /// <summary>User-level messages: what applications log as (default).</summary>
    User = 1,
    /// <summary>The mail system.</summary>
    Mail = 2,
    /// <summary>System daemons.</summary>
    Daemon = 3,
    /// <summary>Security and authorization messages.</summary>
    Auth = 4,
    /// <summary>Messages generated internally by syslogd.</summary>
    Syslog = 5,
    /// <summary>The line printer subsystem.</summary>
    Lpr = 6,
    /// <summary>The network news subsystem.</summary>
    News = 7,
    /// <summary>The UUCP subsystem.</summary>
    Uucp = 8,
    /// <summary>The clock daemon (cron).</summary>
    Cron = 9,
    /// <summary>Security and authorization messages (private).</summary>
    AuthPriv = 10,
    /// <summary>The FTP daemon.</summary>
    Ftp = 11,
    /// <summary>The NTP subsystem.</summary>
    Ntp = 12,
    /// <summary>Log audit.</summary>
    Audit = 13,
    /// <summary>Log alert.</summary>
    Alert = 14,
    /// <summary>The second clock daemon facility of RFC 5424.</summary>
    Clock = 15,
    /// <summary>Local use 0 (local0): free for the site to assign.</summary>
    Local0 = 16,
    /// <summary>Local use 1 (local1): free for the site to assign.</summary>
    Local1 = 17,
    /// <summary>Local use 2 (local2): free for the site to assign.</summary>
    Local2 = 18,
    /// <summary>Local use 3 (local3): free for the site to assign.</summary>
    Local3 = 19,
    /// <summary>Local use 4 (local4): free for the site to assign.</summary>
    Local4 = 20,
    /// <summary>Local use 5 (local5): free for the site to assign.</summary>
    Local5 = 21,
    /// <summary>Local use 6 (local6): free for the site to assign.</summary>
    Local6 = 22,
    /// <summary>Local use 7 (local7): free for the site to assign.</summary>
    Local7 = 23,
}

/// <summary>
/// Formats records as syslog messages (RFC 5424 by default, RFC 3164 as an option), without framing: the
/// <see cref="SyslogWriter"/> adds the transport's framing (octet counting, a line feed, one datagram). Nothing is allocated
/// per record in steady state.
/// <list type="bullet">
/// <item>PRI: <see cref="Facility"/> × 8 + the severity of the level: Trace and Debug → 7 (debug), Information → 6
/// (informational), Warning → 4 (warning), Error → 3 (error), Critical → 2 (critical).</item>
/// <item>TIMESTAMP: RFC 3339 UTC with microseconds (<c>2026-12-02T01:02:03.123456Z</c>).</item>
/// <item>HOSTNAME, APP-NAME, PROCID: <see cref="HostName"/>, <see cref="AppName"/>, <see cref="ProcId"/>; MSGID: the
/// record's event name, else its event id when not 0, else <c>-</c> (printable ASCII, others replaced by <c>_</c>, at
/// most 32 characters).</item>
/// <item>STRUCTURED-DATA: one element <c>[<see cref="StructuredDataId"/> name="value" …]</c> holding the template's
/// properties (values rendered as the message renders them) and the enrichers' properties (a template property wins over
/// an enricher's of the same name); <c>"</c>, <c>\</c> and <c>]</c> in values are escaped with <c>\</c>; names are cut
/// to the SD-NAME characters (printable ASCII but <c>=</c>, space, <c>]</c>, <c>"</c>; others become <c>_</c>; at most
/// 32). No property: <c>-</c>.</item>
/// <item>MSG: the rendered message, UTF-8 (with a BOM when <see cref="Utf8Bom"/>), then the exception, if any, as
/// <c> Type: message</c> (<see cref="IncludeException"/>). Line breaks are kept: octet counting and datagrams carry them;
/// the writer escapes them in line-feed framing.</item>
/// </list>
/// </summary>
/// <remarks>One instance may serve several pipelines and threads (its per-template cache is swapped atomically, its
/// scratch space is per thread). Options are read when a record is formatted; set them when building it.</remarks>
public sealed class SyslogFormatter : LogFormatter
{
    /// <summary>The default <see cref="StructuredDataId"/>: <c>kakashi@32473</c>. 32473 is the enterprise number IANA
    /// reserves for documentation examples (RFC 5612); an organisation with its own private enterprise number should use it.</summary>
    public const string DefaultStructuredDataId = "kakashi@32473";

    private static readonly string[] s_months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

    [ThreadStatic] private static ArrayBufferWriter<byte>? t_scratch;

    private readonly TemplateCache<TemplateSyslog> _templates = new();
    private Header? _header;
    internal bool _utf8Bom;
    internal bool _includeException = true;
    internal bool _includeStructuredData = true;
    internal string _structuredDataId = DefaultStructuredDataId;
    internal string? _procId;
    internal string? _appName;
    internal string? _hostName;
    internal SyslogFacility _facility = SyslogFacility.User;
    internal SyslogFormat _messageFormat = SyslogFormat.Rfc5424;

    /// <summary>RFC 5424 (default) or RFC 3164.</summary>
    public SyslogFormat MessageFormat { get => _messageFormat; init => _messageFormat = value; }

    /// <summary>The facility. Default <see cref="SyslogFacility.User"/> (1, user-level messages, what RFC 5424 gives
    /// applications); <c>Local0</c>–<c>Local7</c> are the usual choice to route an application apart at the relay.</summary>
    public SyslogFacility Facility { get => _facility; init => _facility = value; }

    /// <summary>HOSTNAME. Default <see cref="Environment.MachineName"/>. Printable ASCII (others become <c>_</c>), at most 255
    /// characters; empty writes <c>-</c>.</summary>
    public string? HostName { get => _hostName; init => _hostName = value; }

    /// <summary>APP-NAME (the TAG in RFC 3164). Default the entry assembly's name, else the process name. Printable ASCII
    /// (others become <c>_</c>), at most 48 characters (32 in RFC 3164, where only letters, digits, <c>-</c>, <c>_</c> and
    /// <c>.</c> are kept); empty writes <c>-</c>.</summary>
    public string? AppName { get => _appName; init => _appName = value; }

    /// <summary>PROCID. Default the process id. Printable ASCII, at most 128 characters.</summary>
    public string? ProcId { get => _procId; init => _procId = value; }

    /// <summary>The SD-ID of the structured-data element. Default <see cref="DefaultStructuredDataId"/>. An SD-NAME: 1 to 32
    /// printable ASCII characters but <c>=</c>, space, <c>]</c> and <c>"</c>; a private one must hold an <c>@</c>
    /// followed by an enterprise number.</summary>
    public string StructuredDataId { get => _structuredDataId; init => _structuredDataId = value; }

    /// <summary>Writes the properties as structured data (RFC 5424 only). Default true; false writes <c>-</c>.</summary>
    public bool IncludeStructuredData { get => _includeStructuredData; init => _includeStructuredData = value; }

    /// <summary>Appends the exception to MSG as <c> Type: message</c> (no stack trace: one record stays one short line).
    /// Default true.</summary>
    public bool IncludeException { get => _includeException; init => _includeException = value; }

    /// <summary>Starts MSG with a UTF-8 byte order mark, as RFC 5424 recommends to mark MSG as UTF-8. Default false: most
    /// receivers then show the BOM as part of the message.</summary>
    public bool Utf8Bom { get => _utf8Bom; init => _utf8Bom = value; }

    /// <summary>Checks the options; the writer calls it at setup.</summary>
    internal void Validate(string property)
    {
        if (!Enum.IsDefined(MessageFormat)) throw new ArgumentOutOfRangeException(property + "." + nameof(MessageFormat), MessageFormat, "Unknown SyslogFormat.");
        if (!Enum.IsDefined(Facility)) throw new ArgumentOutOfRangeException(property + "." + nameof(Facility), Facility, "Unknown SyslogFacility: 0 to 23.");
        if (StructuredDataId is null || StructuredDataId.Length is < 1 or > 32 || !IsSdName(StructuredDataId))
            throw new ArgumentException($"{property}.{nameof(StructuredDataId)} must be 1 to 32 printable ASCII characters but '=', ' ', ']' and '\"' (\"{StructuredDataId}\").", property + "." + nameof(StructuredDataId));
        CheckAscii(property, nameof(HostName), HostName, 255);
        CheckAscii(property, nameof(AppName), AppName, 48);
        CheckAscii(property, nameof(ProcId), ProcId, 128);
    }

    private static void CheckAscii(string property, string name, string? value, int max)
    {
        if (value is null) return;
        if (value.Length > max) throw new ArgumentOutOfRangeException(property + "." + name, value, $"{property}.{name} must be at most {max} characters.");
        foreach (char c in value)
        {
            if (c is < '!' or > '~') throw new ArgumentException($"{property}.{name} must be printable ASCII without spaces (\"{value}\").", property + "." + name);
        }
    }

    private static bool IsSdName(string name)
    {
        foreach (char c in name) if (!IsSdNameChar(c)) return false;
        return true;
    }

    private static bool IsSdNameChar(int c) => c is >= '!' and <= '~' and not ('=' or ']' or '"');

    /// <inheritdoc/>
    public override void Format(in LogRecord record, ref Utf8Writer output)
    {
        var header = _header ??= new Header(this);
        var template = Template(record.Template);
        int severity = Severity(record.Level);
        output.Write((byte)'<');
        MessageRenderer.WriteUInt64(ref output, (ulong)((int)Facility * 8 + severity));
        output.Write((byte)'>');
        if (MessageFormat == SyslogFormat.Rfc3164)
        {
            Write3164Timestamp(record.Timestamp, ref output);
            output.Write((byte)' ');
            output.Write(header.Host);
            output.Write((byte)' ');
            output.Write(header.Tag3164);
            output.Write((byte)'[');
            output.Write(header.ProcId);
            output.Write("]: "u8);
            WriteMsg(in record, ref output, bom: false);
            return;
        }
        output.Write("1 "u8);
        WriteTimestamp(record.Timestamp, ref output);
        output.Write((byte)' ');
        output.Write(header.Host);
        output.Write((byte)' ');
        output.Write(header.App);
        output.Write((byte)' ');
        output.Write(header.ProcId);
        output.Write((byte)' ');
        output.Write(template.MsgId);
        output.Write((byte)' ');
        if (!IncludeStructuredData || !WriteStructuredData(in record, template, header, ref output)) output.Write((byte)'-');
        output.Write((byte)' ');
        WriteMsg(in record, ref output, Utf8Bom);
    }

    /// <summary>The syslog severity of a level (RFC 5424 table 2).</summary>
    public static int Severity(LogLevel level) => level switch
    {
        LogLevel.Trace or LogLevel.Debug => 7,
        LogLevel.Information => 6,
        LogLevel.Warning => 4,
        LogLevel.Error => 3,
        LogLevel.Critical => 2,
        _ => 6,
    };

    private void WriteMsg(in LogRecord record, ref Utf8Writer output, bool bom)
    {
        if (bom) output.Write("\uFEFF"u8);
        MessageRenderer.Render(in record, ref output);
        if (IncludeException && record.ExceptionObject is { } exception)
        {
            output.Write((byte)' ');
            if (exception is ExceptionInfo info)
            {
                output.Write(info.Type.AsSpan());
                output.Write(": "u8);
                output.Write(info.Message.AsSpan());
            }
            else
            {
                var type = exception.GetType();
                output.Write((type.FullName ?? type.Name).AsSpan());
                output.Write(": "u8);
                string message;
                try { message = ((Exception)exception).Message; }
                catch (Exception failure) { FormatFailures.Count(); message = "(Message failed: " + failure.GetType().Name + ")"; }
                output.Write(message.AsSpan());
            }
        }
    }

    /// <summary>Writes the SD element; false (nothing written) when the record has no property.</summary>
    private static bool WriteStructuredData(in LogRecord record, TemplateSyslog template, Header header, ref Utf8Writer output)
    {
        var properties = record.Properties;
        if (!template.HasProperties && properties.IsEmpty) return false;
        output.Write((byte)'[');
        output.Write(header.SdId);
        var args = record.Template.Args;
        var scratch = Scratch();
        for (int i = 0; i < args.Length; i++)
        {
            if (template.ParamNames[i] is not { } name) continue;
            output.Write((byte)' ');
            output.Write(name);
            output.Write("=\""u8);
            var arg = args[i];
            var data = record.GetArgData(i);
            if (arg.CanBeNull && arg.Codec.IsNull(data))
            {
                output.Write("(null)"u8);
            }
            else
            {
                scratch.ResetWrittenCount();
                var text = new Utf8Writer(scratch);
                bool ok;
                try
                {
                    ok = MessageRenderer.WriteArg(ref text, arg.Codec, data, 0, template.Formats[i]);
                }
                catch (Exception)
                {
                    ok = false;
                }
                text.Commit();
                if (ok)
                {
                    WriteParamValue(ref output, scratch.WrittenSpan);
                }
                else
                {
                    FormatFailures.Count();
                    output.Write("(format failed)"u8);
                }
            }
            output.Write((byte)'"');
        }
        foreach (var property in properties)
        {
            if (template.Defines(property.Name)) continue; // the template's own value wins
            output.Write((byte)' ');
            WriteParamName(ref output, property.Name);
            output.Write("=\""u8);
            WriteParamValue(ref output, property.Value);
            output.Write((byte)'"');
        }
        output.Write((byte)']');
        return true;
    }

    /// <summary>A PARAM-VALUE: UTF-8 with <c>"</c>, <c>\</c> and <c>]</c> escaped by a backslash (RFC 5424 section 6.3.3).</summary>
    internal static void WriteParamValue(ref Utf8Writer output, ReadOnlySpan<byte> value)
    {
        while (true)
        {
            int i = value.IndexOfAny((byte)'"', (byte)'\\', (byte)']');
            if (i < 0)
            {
                output.Write(value);
                return;
            }
            output.Write(value[..i]);
            output.Write((byte)'\\');
            output.Write(value[i]);
            value = value[(i + 1)..];
        }
    }

    /// <summary>A PARAM-NAME: SD-NAME characters only (others become <c>_</c>), at most 32; empty becomes <c>_</c>.</summary>
    internal static void WriteParamName(ref Utf8Writer output, ReadOnlySpan<byte> name)
    {
        int n = Math.Min(name.Length, 32);
        if (n == 0)
        {
            output.Write((byte)'_');
            return;
        }
        var dest = output.GetSpan(n);
        for (int i = 0; i < n; i++) dest[i] = IsSdNameChar(name[i]) ? name[i] : (byte)'_';
        output.Advance(n);
    }

    private static byte[] ParamName(string name)
    {
        var buffer = new ArrayBufferWriter<byte>();
        var writer = new Utf8Writer(buffer);
        WriteParamName(ref writer, System.Text.Encoding.UTF8.GetBytes(name));
        writer.Commit();
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>RFC 3339, UTC, microseconds: <c>2026-12-02T01:02:03.123456Z</c>.</summary>
    internal static void WriteTimestamp(DateTime utc, ref Utf8Writer output)
    {
        if (utc.Kind == DateTimeKind.Local) utc = utc.ToUniversalTime();
        var dest = output.GetSpan(27);
        Digits(dest, 0, utc.Year, 4);
        dest[4] = (byte)'-';
        Digits(dest, 5, utc.Month, 2);
        dest[7] = (byte)'-';
        Digits(dest, 8, utc.Day, 2);
        dest[10] = (byte)'T';
        Digits(dest, 11, utc.Hour, 2);
        dest[13] = (byte)':';
        Digits(dest, 14, utc.Minute, 2);
        dest[16] = (byte)':';
        Digits(dest, 17, utc.Second, 2);
        dest[19] = (byte)'.';
        Digits(dest, 20, (int)(utc.Ticks % TimeSpan.TicksPerSecond / 10), 6);
        dest[26] = (byte)'Z';
        output.Advance(27);
    }

    /// <summary>RFC 3164: <c>Mmm dd hh:mm:ss</c>, local time, the day padded with a space.</summary>
    private static void Write3164Timestamp(DateTime utc, ref Utf8Writer output)
    {
        var local = utc.Kind == DateTimeKind.Local ? utc : DateTime.SpecifyKind(utc, DateTimeKind.Utc).ToLocalTime();
        var dest = output.GetSpan(15);
        var month = s_months[local.Month - 1];
        dest[0] = (byte)month[0];
        dest[1] = (byte)month[1];
        dest[2] = (byte)month[2];
        dest[3] = (byte)' ';
        dest[4] = local.Day < 10 ? (byte)' ' : (byte)('0' + local.Day / 10);
        dest[5] = (byte)('0' + local.Day % 10);
        dest[6] = (byte)' ';
        Digits(dest, 7, local.Hour, 2);
        dest[9] = (byte)':';
        Digits(dest, 10, local.Minute, 2);
        dest[12] = (byte)':';
        Digits(dest, 13, local.Second, 2);
        output.Advance(15);
    }

    private static void Digits(Span<byte> dest, int at, int value, int count)
    {
        for (int i = count - 1; i >= 0; i--)
        {
            dest[at + i] = (byte)('0' + value % 10);
            value /= 10;
        }
    }

    private static ArrayBufferWriter<byte> Scratch()
    {
        var scratch = t_scratch ??= new ArrayBufferWriter<byte>(4096);
        scratch.ResetWrittenCount();
        return scratch;
    }

    /// <summary>Printable ASCII of at most <paramref name="max"/> characters; non-printable become <c>_</c>; empty is <c>-</c>.</summary>
    internal static byte[] HeaderField(string? value, int max, bool tag = false)
    {
        if (string.IsNullOrEmpty(value)) return "-"u8.ToArray();
        int n = Math.Min(value.Length, max);
        var bytes = new byte[n];
        for (int i = 0; i < n; i++)
        {
            char c = value[i];
            bool ok = tag ? char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' : c is >= '!' and <= '~';
            bytes[i] = ok ? (byte)c : (byte)'_';
        }
        return bytes;
    }

    internal static string DefaultAppName()
    {
        string? name = System.Reflection.Assembly.GetEntryAssembly()?.GetName().Name;
        if (string.IsNullOrEmpty(name))
        {
            try { name = System.Diagnostics.Process.GetCurrentProcess().ProcessName; }
            catch (Exception) { name = null; }
        }
        return string.IsNullOrEmpty(name) ? "-" : name;
    }

    /// <summary>The header fields, encoded once.</summary>
    private sealed class Header(SyslogFormatter f)
    {
        public readonly byte[] Host = HeaderField(f.HostName ?? Environment.MachineName, 255);
        public readonly byte[] App = HeaderField(f.AppName ?? DefaultAppName(), 48);
        public readonly byte[] Tag3164 = HeaderField(f.AppName ?? DefaultAppName(), 32, tag: true);
        public readonly byte[] ProcId = HeaderField(f.ProcId ?? Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture), 128);
        public readonly byte[] SdId = System.Text.Encoding.ASCII.GetBytes(f.StructuredDataId);
    }

    private TemplateSyslog Template(LogTemplate template) => _templates.Get(template, static t => new TemplateSyslog(t));

    /// <summary>A template's syslog pieces: MSGID, parameter names, the holes' formats.</summary>
    private sealed class TemplateSyslog
    {
        private readonly byte[]?[] _namesUtf8;

        public TemplateSyslog(LogTemplate template)
        {
            MsgId = !string.IsNullOrEmpty(template.EventName) ? HeaderField(template.EventName, 32)
                : template.EventId != 0 ? HeaderField(template.EventId.ToString(System.Globalization.CultureInfo.InvariantCulture), 32)
                : "-"u8.ToArray();
            var args = template.Args;
            ParamNames = new byte[]?[args.Length];
            Formats = new string?[args.Length];
            _namesUtf8 = new byte[]?[args.Length];
            for (int i = 0; i < args.Length; i++)
            {
                if (args[i].IsException) continue;
                string name = args[i].Name;
                foreach (var segment in template.Segments)
                {
                    if (!segment.IsLiteral && segment.ArgIndex == i && segment.Text is { Length: > 0 } hole)
                    {
                        name = hole;
                        Formats[i] = segment.Format;
                        break;
                    }
                }
                ParamNames[i] = ParamName(name);
                _namesUtf8[i] = System.Text.Encoding.UTF8.GetBytes(name);
                HasProperties = true;
            }
        }

        public byte[] MsgId { get; }
        public byte[]?[] ParamNames { get; }
        public string?[] Formats { get; }
        public bool HasProperties { get; }

        public bool Defines(ReadOnlySpan<byte> name)
        {
            foreach (var own in _namesUtf8)
            {
                if (own is not null && name.SequenceEqual(own)) return true;
            }
            return false;
        }
    }
}
