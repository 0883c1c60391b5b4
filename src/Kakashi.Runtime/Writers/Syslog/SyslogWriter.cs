using System;
using System.Buffers.Text;
using System.IO;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Threading;
using System.Threading.Tasks;

namespace Kakashi;

/// <summary>How a <see cref="SyslogWriter"/> reaches its relay.</summary>
public enum SyslogTransport
{
    /// <summary>RFC 5426: one datagram per record. At most once: nothing tells the writer a datagram was lost.</summary>
    Udp,
    /// <summary>RFC 6587: a TCP stream, octet counting (default) or line-feed framing (<see cref="SyslogWriter.Framing"/>).
    /// At most once across a relay crash: what sat in the kernel's buffers when the relay died is lost.</summary>
    Tcp,
    /// <summary>RFC 5425: TLS over TCP, octet counting. Same guarantee as <see cref="Tcp"/>.</summary>
    Tls,
    /// <summary>RELP (rsyslog's reliable event logging protocol): each record is acknowledged by the relay; at least once.</summary>
    Relp,
}

/// <summary>How records are delimited on a <see cref="SyslogTransport.Tcp"/> stream (RFC 6587).</summary>
public enum SyslogFraming
{
    /// <summary><c>LENGTH SP MESSAGE</c> (default): any byte may appear in a message, line breaks included.</summary>
    OctetCounting,
    /// <summary><c>MESSAGE LF</c>, for relays that only split on new lines: a line feed inside a record is written as
    /// <c>#012</c> (the escape rsyslog itself writes for control characters it receives).</summary>
    LineFeed,
}

/// <summary>
/// Sends records to a syslog relay (rsyslog, syslog-ng, a SIEM's collector) over UDP, TCP, TLS or RELP, formatted by a
/// <see cref="SyslogFormatter"/> (RFC 5424 by default; set <see cref="LogWriter.Formatter"/> to a configured one for the
/// facility, the names, RFC 3164). Connections are made lazily in the write: a relay down when the pipeline starts does not
/// fail it; a broken connection is dropped and the stage's retry reconnects.
/// <para>Delivery: <see cref="SyslogTransport.Udp"/> at most once (a datagram is never split; one longer than
/// <see cref="MaxDatagramBytes"/> is cut at a UTF-8 boundary and ends with <c>…[truncated]</c>, counted in
/// <see cref="TruncatedRecords"/>). <see cref="SyslogTransport.Tcp"/> and <see cref="SyslogTransport.Tls"/>: a write
/// returns once the bytes are handed to the socket; when the relay dies, bytes still in the kernel's buffers are lost and
/// a failed write is retried whole on a new connection (records may then arrive twice). <see cref="SyslogTransport.Relp"/>:
/// a record counts as written only once the relay answered <c>200 OK</c> for it; after a broken connection the
/// unacknowledged records are sent again (at least once: a record the relay took but whose answer was lost arrives twice).</para>
/// </summary>
public sealed class SyslogWriter : LogWriter
{
    /// <summary>Most bytes of one UDP datagram's payload over IPv4.</summary>
    public const int MaxUdpPayload = 65507;

    private static readonly byte[] s_truncated = "…[truncated]"u8.ToArray();
    private const int RelpMaxTxnr = 999_999_999;

    private Socket? _socket;
    private Stream? _stream;
    private SocketAddress? _udpAddress;
    private byte[] _tx = new byte[64 * 1024];
    private byte[] _rx = new byte[16 * 1024];
    private int _rxStart, _rxEnd;
    private X509Certificate2Collection? _caCertificates;
    private long _truncated;
    private long _resent;

    // RELP session and the batch being settled
    private int _txnr;
    private bool _relpOpen;
    private long _batchId = -1;
    private int _settled;
    private int _sentUnsettled;
    private int[] _inflight = [];

    /// <summary>A writer to <paramref name="host"/> (a name or an address) on <paramref name="port"/> (usually 514 for UDP
    /// and TCP, 6514 for TLS, 2514 for RELP).</summary>
    public SyslogWriter(string host, int port)
    {
        Host = host;
        Port = port;
        _own = new SyslogFormatter();
        Formatter = _own;
    }

    private readonly SyslogFormatter _own;

    // the message options, forwarded to the writer's own formatter (they do not apply when Formatter is set to another one)

    /// <summary>RFC 5424 (default) or RFC 3164 (<see cref="SyslogFormatter.MessageFormat"/>).</summary>
    public SyslogFormat Format { get => _own.MessageFormat; init => _own._messageFormat = value; }

    /// <summary>The facility. Default <see cref="SyslogFacility.User"/> (<see cref="SyslogFormatter.Facility"/>).</summary>
    public SyslogFacility Facility { get => _own.Facility; init => _own._facility = value; }

    /// <summary>HOSTNAME. Default <see cref="Environment.MachineName"/> (<see cref="SyslogFormatter.HostName"/>).</summary>
    public string? HostName { get => _own.HostName; init => _own._hostName = value; }

    /// <summary>APP-NAME. Default the entry assembly's name (<see cref="SyslogFormatter.AppName"/>).</summary>
    public string? AppName { get => _own.AppName; init => _own._appName = value; }

    /// <summary>PROCID. Default the process id (<see cref="SyslogFormatter.ProcId"/>).</summary>
    public string? ProcId { get => _own.ProcId; init => _own._procId = value; }

    /// <summary>The SD-ID of the structured data. Default <c>kakashi@32473</c> (<see cref="SyslogFormatter.StructuredDataId"/>).</summary>
    public string StructuredDataId { get => _own.StructuredDataId; init => _own._structuredDataId = value; }

    /// <summary>Writes the properties as structured data. Default true (<see cref="SyslogFormatter.IncludeStructuredData"/>).</summary>
    public bool IncludeStructuredData { get => _own.IncludeStructuredData; init => _own._includeStructuredData = value; }

    /// <summary>Appends the exception (<c> Type: message</c>) to MSG. Default true (<see cref="SyslogFormatter.IncludeException"/>).</summary>
    public bool IncludeException { get => _own.IncludeException; init => _own._includeException = value; }

    /// <summary>Starts MSG with a UTF-8 BOM. Default false (<see cref="SyslogFormatter.Utf8Bom"/>).</summary>
    public bool Utf8Bom { get => _own.Utf8Bom; init => _own._utf8Bom = value; }

    /// <summary>The relay's host name or address.</summary>
    public string Host { get; }

    /// <summary>The relay's port, 1 to 65535.</summary>
    public int Port { get; }

    /// <summary>The transport. Default <see cref="SyslogTransport.Tcp"/>.</summary>
    public SyslogTransport Transport { get; init; } = SyslogTransport.Tcp;

    /// <summary>The framing on <see cref="SyslogTransport.Tcp"/>. Default <see cref="SyslogFraming.OctetCounting"/>
    /// (TLS and RELP always count octets; line-feed framing is accepted with TCP only).</summary>
    public SyslogFraming Framing { get; init; } = SyslogFraming.OctetCounting;

    /// <summary>Longest UDP datagram, 480 to <see cref="MaxUdpPayload"/>. Default 2048 (RFC 5426: receivers must accept 480
    /// bytes and should accept 2048). Longer records are truncated.</summary>
    public int MaxDatagramBytes { get; init; } = 2048;

    /// <summary>TLS: the name the relay's certificate must carry (and the SNI sent). Default <see cref="Host"/>.</summary>
    public string? TlsServerName { get; init; }

    /// <summary>TLS: a PEM file of the certificate authorities the relay's certificate must chain to (instead of the
    /// system's store). The name must still match.</summary>
    public string? TlsCaCertificateFile { get; init; }

    /// <summary>TLS: decides whether the relay's certificate is accepted (replaces both the system's checks and
    /// <see cref="TlsCaCertificateFile"/>).</summary>
    public RemoteCertificateValidationCallback? TlsCertificateValidation { get; init; }

    /// <summary>TLS: the client certificate (with its private key) for a relay that authenticates its clients.</summary>
    public X509Certificate2? TlsClientCertificate { get; init; }

    /// <summary>RELP: most records sent and not yet acknowledged, 1 to 1024. Default 128 (librelp's default window).</summary>
    public int RelpWindow { get; init; } = 128;

    /// <summary>UDP records cut to <see cref="MaxDatagramBytes"/>.</summary>
    public long TruncatedRecords => Interlocked.Read(ref _truncated);

    /// <summary>RELP records sent again after a broken connection (they may arrive twice).</summary>
    public long ResentRecords => Interlocked.Read(ref _resent);

    /// <inheritdoc/>
    public override string Name => "syslog";

    /// <inheritdoc/>
    protected internal override bool ConfirmsDelivery => Transport == SyslogTransport.Relp;

    /// <inheritdoc/>
    protected internal override void Validate(string property)
    {
        if (string.IsNullOrWhiteSpace(Host)) throw new ArgumentException($"{property}.{nameof(Host)} must be a host name or an address.", property + "." + nameof(Host));
        if (Port is < 1 or > 65535) throw new ArgumentOutOfRangeException(property + "." + nameof(Port), Port, $"{property}.{nameof(Port)} must be from 1 to 65535.");
        if (!Enum.IsDefined(Transport)) throw new ArgumentOutOfRangeException(property + "." + nameof(Transport), Transport, "Unknown SyslogTransport.");
        if (!Enum.IsDefined(Framing)) throw new ArgumentOutOfRangeException(property + "." + nameof(Framing), Framing, "Unknown SyslogFraming.");
        if (Framing == SyslogFraming.LineFeed && Transport != SyslogTransport.Tcp)
            throw new ArgumentException($"{property}.{nameof(Framing)}: line-feed framing is for the TCP transport only (TLS, RELP and UDP have their own).", property + "." + nameof(Framing));
        if (MaxDatagramBytes is < 480 or > MaxUdpPayload)
            throw new ArgumentOutOfRangeException(property + "." + nameof(MaxDatagramBytes), MaxDatagramBytes, $"{property}.{nameof(MaxDatagramBytes)} must be from 480 to {MaxUdpPayload}.");
        if (RelpWindow is < 1 or > 1024) throw new ArgumentOutOfRangeException(property + "." + nameof(RelpWindow), RelpWindow, $"{property}.{nameof(RelpWindow)} must be from 1 to 1024.");
        if (TlsCaCertificateFile is not null && !File.Exists(TlsCaCertificateFile))
            throw new ArgumentException($"{property}.{nameof(TlsCaCertificateFile)}: no file {TlsCaCertificateFile}.", property + "." + nameof(TlsCaCertificateFile));
        if (TlsClientCertificate is not null && !TlsClientCertificate.HasPrivateKey)
            throw new ArgumentException($"{property}.{nameof(TlsClientCertificate)} must have its private key.", property + "." + nameof(TlsClientCertificate));
        if (Formatter is SyslogFormatter syslog) syslog.Validate(ReferenceEquals(syslog, _own) ? property : property + "." + nameof(Formatter)); // the writer's own options are named as its own
    }

    /// <inheritdoc/>
    protected internal override void Open(WriterContext context)
    {
        Context = context;
        if (TlsCaCertificateFile is not null)
        {
            var certificates = new X509Certificate2Collection();
            certificates.ImportFromPemFile(TlsCaCertificateFile);
            if (certificates.Count == 0) throw new ArgumentException($"{context.Property}.{nameof(TlsCaCertificateFile)}: no certificate in {TlsCaCertificateFile}.", context.Property + "." + nameof(TlsCaCertificateFile));
            _caCertificates = certificates;
        }
        _inflight = new int[RelpWindow];
        // nothing is connected here: a relay that is down now must not stop the application from starting
    }

    /// <inheritdoc/>
    protected internal override ValueTask WriteAsync(LogBatch batch, CancellationToken cancellationToken) => Transport switch
    {
        SyslogTransport.Udp => WriteUdp(batch),
        SyslogTransport.Relp => WriteRelpAsync(batch, cancellationToken),
        _ => WriteStreamAsync(batch, cancellationToken),
    };

    /// <inheritdoc/>
    protected internal override ValueTask FlushAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask; // every write ends flushed

    /// <inheritdoc/>
    public override async ValueTask DisposeAsync()
    {
        if (Transport == SyslogTransport.Relp && _relpOpen && _stream is not null)
        {
            try
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                int txnr = NextTxnr();
                int n = WriteRelpHeader(_tx, 0, txnr, "close"u8, 0);
                _tx[n++] = (byte)'\n';
                await _stream.WriteAsync(_tx.AsMemory(0, n), timeout.Token).ConfigureAwait(false);
                await _stream.FlushAsync(timeout.Token).ConfigureAwait(false);
                while (true)
                {
                    var frame = await ReadRelpFrameAsync(timeout.Token).ConfigureAwait(false);
                    if (frame.Txnr == txnr || frame.Txnr == 0) break;
                }
            }
            catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException or LogWriteException)
            {
                // the relay went away first: nothing left to close politely
            }
        }
        if (_stream is SslStream ssl)
        {
            try
            {
                await ssl.ShutdownAsync().WaitAsync(TimeSpan.FromSeconds(2)).ConfigureAwait(false); // close_notify: the relay sees a clean end
            }
            catch (Exception e) when (e is IOException or SocketException or TimeoutException or ObjectDisposedException or InvalidOperationException)
            {
            }
        }
        Disconnect();
    }

    // UDP -------------------------------------------------------------------------------------------------------------

    private ValueTask WriteUdp(LogBatch batch)
    {
        try
        {
            if (_socket is null)
            {
                var address = Resolve(Host, Port);
                _socket = new Socket(address.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
                _udpAddress = address.Serialize();
            }
            for (int i = 0; i < batch.Count; i++)
            {
                var record = Trim(batch.RecordBytes(i).Span);
                if (record.Length > MaxDatagramBytes)
                {
                    record = _tx.AsSpan(0, Truncate(record, _tx, MaxDatagramBytes));
                    Interlocked.Increment(ref _truncated);
                }
                _socket.SendTo(record, SocketFlags.None, _udpAddress!); // an unconnected socket: no ICMP errors come back
            }
            return ValueTask.CompletedTask;
        }
        catch (SocketException)
        {
            Disconnect(); // resolved again on the retry
            throw;
        }
    }

    /// <summary>
    /// Cuts <paramref name="record"/> to <paramref name="max"/> bytes into <paramref name="destination"/>, ending with the
    /// truncation marker, never inside a UTF-8 sequence. An RFC 5424 record whose structured data would be cut keeps its
    /// header and loses its structured data (<c>-</c>) instead, so the datagram still parses; its message is then cut.
    /// </summary>
    internal static int Truncate(ReadOnlySpan<byte> record, Span<byte> destination, int max)
    {
        int keep = max - s_truncated.Length;
        if (StructuredData(record, out int sdStart, out int sdEnd) && sdEnd > keep - 1 && sdStart + 2 <= keep)
        {
            // header, "-", then as much of " MSG" as fits
            record[..sdStart].CopyTo(destination);
            destination[sdStart] = (byte)'-';
            int at = sdStart + 1;
            var rest = record[sdEnd..];
            int room = Math.Min(rest.Length, keep - at);
            while (room > 0 && room < rest.Length && (rest[room] & 0xC0) == 0x80) room--;
            rest[..room].CopyTo(destination[at..]);
            at += room;
            s_truncated.CopyTo(destination[at..]);
            return at + s_truncated.Length;
        }
        while (keep > 0 && (record[keep] & 0xC0) == 0x80) keep--; // never cut a UTF-8 sequence
        record[..keep].CopyTo(destination);
        s_truncated.CopyTo(destination[keep..]);
        return keep + s_truncated.Length;
    }

    /// <summary>Where an RFC 5424 record's STRUCTURED-DATA starts and ends (the index after it); false for anything else.</summary>
    internal static bool StructuredData(ReadOnlySpan<byte> record, out int start, out int end)
    {
        start = end = 0;
        int gt = record.IndexOf((byte)'>');
        if (record.Length < 4 || record[0] != '<' || gt < 0 || gt + 2 >= record.Length || record[gt + 1] != '1' || record[gt + 2] != ' ') return false;
        int at = gt + 3;
        for (int field = 0; field < 5; field++) // TIMESTAMP HOSTNAME APP-NAME PROCID MSGID
        {
            int space = record[at..].IndexOf((byte)' ');
            if (space < 0) return false;
            at += space + 1;
        }
        if (at >= record.Length) return false;
        start = at;
        if (record[at] == '-')
        {
            end = at + 1;
            return true;
        }
        bool quoted = false;
        for (int i = at; i < record.Length; i++)
        {
            byte b = record[i];
            if (quoted)
            {
                if (b == '\\') i++;
                else if (b == '"') quoted = false;
            }
            else if (b == '"')
            {
                quoted = true;
            }
            else if (b == ']' && (i + 1 >= record.Length || record[i + 1] != '['))
            {
                end = i + 1;
                return true;
            }
        }
        end = record.Length;
        return true;
    }

    // TCP and TLS -----------------------------------------------------------------------------------------------------

    private async ValueTask WriteStreamAsync(LogBatch batch, CancellationToken cancellationToken)
    {
        try
        {
            if (_stream is not null && PeerClosed()) Disconnect(); // the relay closed (restarted): do not write into a dead connection
            var stream = _stream ?? await ConnectAsync(cancellationToken).ConfigureAwait(false);
            int index = 0;
            while (index < batch.Count)
            {
                int length = FillFrames(batch, ref index);
                await stream.WriteAsync(_tx.AsMemory(0, length), cancellationToken).ConfigureAwait(false);
            }
            await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not LogWriteException)
        {
            Disconnect();
            throw;
        }
    }

    /// <summary>Frames records from <paramref name="index"/> into the send buffer until it is full (at least one record); returns its length.</summary>
    private int FillFrames(LogBatch batch, ref int index)
    {
        bool lineFeed = Framing == SyslogFraming.LineFeed && Transport == SyslogTransport.Tcp;
        int length = 0;
        for (; index < batch.Count; index++)
        {
            var record = Trim(batch.RecordBytes(index).Span);
            int needed = record.Length + 12;
            if (lineFeed) needed += 3 * record.Count((byte)'\n');
            if (length > 0 && length + needed > _tx.Length) break;
            if (needed > _tx.Length) _tx = new byte[Math.Max(needed, _tx.Length * 2)];
            length = lineFeed ? AppendLine(_tx, length, record) : AppendCounted(_tx, length, record);
        }
        return length;
    }

    /// <summary>True when the relay closed its end (a read would return end of stream): checked before each write.</summary>
    private bool PeerClosed()
    {
        try
        {
            return _socket is null || (_socket.Poll(0, SelectMode.SelectRead) && _socket.Available == 0);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            return true;
        }
    }

    private static int AppendCounted(byte[] buffer, int at, ReadOnlySpan<byte> record)
    {
        Utf8Formatter.TryFormat(record.Length, buffer.AsSpan(at), out int digits);
        at += digits;
        buffer[at++] = (byte)' ';
        record.CopyTo(buffer.AsSpan(at));
        return at + record.Length;
    }

    private static int AppendLine(byte[] buffer, int at, ReadOnlySpan<byte> record)
    {
        while (true)
        {
            int lf = record.IndexOf((byte)'\n');
            var part = lf < 0 ? record : record[..lf];
            part.CopyTo(buffer.AsSpan(at));
            at += part.Length;
            if (lf < 0) break;
            "#012"u8.CopyTo(buffer.AsSpan(at));
            at += 4;
            record = record[(lf + 1)..];
        }
        buffer[at++] = (byte)'\n';
        return at;
    }

    /// <summary>A record without the final line feed a text formatter may end it with: the writer frames it itself.</summary>
    private static ReadOnlySpan<byte> Trim(ReadOnlySpan<byte> record) => record.Length > 0 && record[^1] == '\n' ? record[..^1] : record;

    private async ValueTask<Stream> ConnectAsync(CancellationToken cancellationToken)
    {
        Disconnect();
        var addresses = IPAddress.TryParse(Host, out var literal) ? [literal] : await Dns.GetHostAddressesAsync(Host, cancellationToken).ConfigureAwait(false);
        if (addresses.Length == 0) throw new SocketException((int)SocketError.HostNotFound);
        var socket = new Socket(addresses[0].AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(addresses, Port, cancellationToken).ConfigureAwait(false);
            Stream stream = new NetworkStream(socket, ownsSocket: true);
            if (Transport == SyslogTransport.Tls)
            {
                var ssl = new SslStream(stream, leaveInnerStreamOpen: false);
                stream = ssl;
                var options = new SslClientAuthenticationOptions
                {
                    TargetHost = TlsServerName ?? Host,
                    EnabledSslProtocols = SslProtocols.None, // the system's choice: TLS 1.2 and 1.3
                    RemoteCertificateValidationCallback = TlsCertificateValidation ?? (_caCertificates is not null ? ValidateWithCa : null),
                };
                if (TlsClientCertificate is not null) options.ClientCertificates = [TlsClientCertificate];
                await ssl.AuthenticateAsClientAsync(options, cancellationToken).ConfigureAwait(false);
            }
            _socket = socket;
            _stream = stream;
            _rxStart = _rxEnd = 0;
            return stream;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Accepts the relay's certificate when it chains to one of <see cref="TlsCaCertificateFile"/>'s and its name matches.</summary>
    private bool ValidateWithCa(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (certificate is null || (errors & (SslPolicyErrors.RemoteCertificateNotAvailable | SslPolicyErrors.RemoteCertificateNameMismatch)) != 0) return false;
        using var custom = new X509Chain();
        custom.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        custom.ChainPolicy.CustomTrustStore.AddRange(_caCertificates!);
        custom.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (chain is not null)
        {
            foreach (var element in chain.ChainElements) custom.ChainPolicy.ExtraStore.Add(element.Certificate);
        }
        return custom.Build(certificate as X509Certificate2 ?? new X509Certificate2(certificate));
    }

    private static IPEndPoint Resolve(string host, int port)
    {
        if (IPAddress.TryParse(host, out var address)) return new IPEndPoint(address, port);
        var addresses = Dns.GetHostAddresses(host);
        if (addresses.Length == 0) throw new SocketException((int)SocketError.HostNotFound);
        return new IPEndPoint(addresses[0], port);
    }

    private void Disconnect()
    {
        _relpOpen = false;
        try { _stream?.Dispose(); }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException) { }
        try { _socket?.Dispose(); }
        catch (Exception e) when (e is SocketException or ObjectDisposedException) { }
        _stream = null;
        _socket = null;
        _udpAddress = null;
        _rxStart = _rxEnd = 0;
    }

    // RELP ------------------------------------------------------------------------------------------------------------

    private async ValueTask WriteRelpAsync(LogBatch batch, CancellationToken cancellationToken)
    {
        if (batch.Id != _batchId)
        {
            _batchId = batch.Id;
            _settled = 0;
            _sentUnsettled = 0;
        }
        else if (_sentUnsettled > 0)
        {
            Interlocked.Add(ref _resent, _sentUnsettled); // a retry of the batch: these were sent and never acknowledged
            _sentUnsettled = 0;
        }
        int count = batch.Count;
        int delivered = 0;
        try
        {
            if (_stream is not null && (!_relpOpen || PeerClosed())) Disconnect();
            if (_stream is null)
            {
                await ConnectAsync(cancellationToken).ConfigureAwait(false);
                await OpenRelpAsync(cancellationToken).ConfigureAwait(false);
            }
            var stream = _stream!;
            int next = _settled; // the next record to send
            int head = 0, inflight = 0; // the ring of txnrs sent and not answered
            while (_settled < count)
            {
                // fill the window
                int length = 0;
                while (next < count && inflight < _inflight.Length)
                {
                    var record = Trim(batch.RecordBytes(next).Span);
                    int needed = record.Length + 40;
                    if (length > 0 && length + needed > _tx.Length) break;
                    if (needed > _tx.Length) _tx = new byte[Math.Max(needed, _tx.Length * 2)];
                    int txnr = NextTxnr();
                    length = WriteRelpHeader(_tx, length, txnr, "syslog"u8, record.Length);
                    if (record.Length > 0)
                    {
                        _tx[length++] = (byte)' ';
                        record.CopyTo(_tx.AsSpan(length));
                        length += record.Length;
                    }
                    _tx[length++] = (byte)'\n';
                    _inflight[(head + inflight) % _inflight.Length] = txnr;
                    inflight++;
                    next++;
                }
                if (length > 0)
                {
                    _sentUnsettled = inflight;
                    await stream.WriteAsync(_tx.AsMemory(0, length), cancellationToken).ConfigureAwait(false);
                    await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
                }
                // take the answers that arrived (at least one), in order
                do
                {
                    var frame = await ReadRelpFrameAsync(cancellationToken).ConfigureAwait(false);
                    if (frame.Txnr == 0 && frame.IsServerClose) throw new IOException("The RELP server closed the session (serverclose).");
                    if (!frame.IsResponse) throw new LogWriteException($"RELP: unexpected command from the server (txnr {frame.Txnr}).");
                    int expected = _inflight[head];
                    if (frame.Txnr != expected) throw new LogWriteException($"RELP: answer for txnr {frame.Txnr}, expected {expected}.");
                    if (frame.Code != 200)
                    {
                        // the relay did not take it: settle what came before, then fail the write; the retry sends it again
                        Settle(ref delivered);
                        throw new LogWriteException($"RELP server answered {frame.Code} for a record.");
                    }
                    head = (head + 1) % _inflight.Length;
                    inflight--;
                    _sentUnsettled = inflight;
                    _settled++;
                    delivered++;
                }
                while (inflight > 0 && _rxEnd - _rxStart > 0);
                Settle(ref delivered);
            }
        }
        catch (Exception)
        {
            Settle(ref delivered);
            Disconnect();
            throw;
        }
    }

    private void Settle(ref int delivered)
    {
        if (delivered == 0) return;
        Context?.Delivered(delivered);
        delivered = 0;
    }

    private int NextTxnr()
    {
        int txnr = _txnr;
        _txnr = txnr >= RelpMaxTxnr ? 1 : txnr + 1;
        return txnr;
    }

    private async ValueTask OpenRelpAsync(CancellationToken cancellationToken)
    {
        _txnr = 1;
        var offers = "relp_version=0\nrelp_software=kakashi\ncommands=syslog"u8;
        int txnr = NextTxnr();
        int n = WriteRelpHeader(_tx, 0, txnr, "open"u8, offers.Length);
        _tx[n++] = (byte)' ';
        offers.CopyTo(_tx.AsSpan(n));
        n += offers.Length;
        _tx[n++] = (byte)'\n';
        await _stream!.WriteAsync(_tx.AsMemory(0, n), cancellationToken).ConfigureAwait(false);
        await _stream.FlushAsync(cancellationToken).ConfigureAwait(false);
        var frame = await ReadRelpFrameAsync(cancellationToken).ConfigureAwait(false);
        if (!frame.IsResponse || frame.Txnr != txnr) throw new LogWriteException("RELP: the server did not answer the open command.");
        if (frame.Code != 200) throw new LogWriteException($"RELP: the server refused the session ({frame.Code}).");
        _relpOpen = true;
    }

    private static int WriteRelpHeader(byte[] buffer, int at, int txnr, ReadOnlySpan<byte> command, int dataLength)
    {
        Utf8Formatter.TryFormat(txnr, buffer.AsSpan(at), out int n);
        at += n;
        buffer[at++] = (byte)' ';
        command.CopyTo(buffer.AsSpan(at));
        at += command.Length;
        buffer[at++] = (byte)' ';
        Utf8Formatter.TryFormat(dataLength, buffer.AsSpan(at), out n);
        return at + n;
    }

    private readonly record struct RelpFrame(int Txnr, bool IsResponse, bool IsServerClose, int Code);

    /// <summary>Reads one frame from the server: <c>TXNR SP COMMAND SP DATALEN [SP DATA] LF</c>.</summary>
    private async ValueTask<RelpFrame> ReadRelpFrameAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            if (TryParseFrame(out var frame, out int consumed))
            {
                _rxStart += consumed;
                if (_rxStart == _rxEnd) _rxStart = _rxEnd = 0;
                return frame;
            }
            if (_rxStart > 0)
            {
                Buffer.BlockCopy(_rx, _rxStart, _rx, 0, _rxEnd - _rxStart);
                _rxEnd -= _rxStart;
                _rxStart = 0;
            }
            if (_rxEnd == _rx.Length) Array.Resize(ref _rx, _rx.Length * 2);
            int read = await _stream!.ReadAsync(_rx.AsMemory(_rxEnd), cancellationToken).ConfigureAwait(false);
            if (read == 0) throw new IOException("The RELP server closed the connection.");
            _rxEnd += read;
        }
    }

    private bool TryParseFrame(out RelpFrame frame, out int consumed)
    {
        frame = default;
        consumed = 0;
        var data = _rx.AsSpan(_rxStart, _rxEnd - _rxStart);
        int sp1 = data.IndexOf((byte)' ');
        if (sp1 < 0) return Incomplete(data);
        if (!Utf8Parser.TryParse(data[..sp1], out int txnr, out int used) || used != sp1) throw new LogWriteException("RELP: a malformed frame from the server.");
        var rest = data[(sp1 + 1)..];
        int sp2 = rest.IndexOf((byte)' ');
        if (sp2 < 0) return Incomplete(data);
        var command = rest[..sp2];
        rest = rest[(sp2 + 1)..];
        int lengthEnd = rest.IndexOfAny((byte)' ', (byte)'\n');
        if (lengthEnd < 0) return Incomplete(data);
        if (!Utf8Parser.TryParse(rest[..lengthEnd], out int dataLength, out used) || used != lengthEnd || dataLength < 0) throw new LogWriteException("RELP: a malformed frame length from the server.");
        int header = sp1 + 1 + sp2 + 1 + lengthEnd;
        ReadOnlySpan<byte> payload = default;
        int end;
        if (dataLength == 0)
        {
            end = header; // DATALEN LF (some servers write DATALEN SP LF)
            if (rest[lengthEnd] == ' ')
            {
                if (data.Length < header + 2) return false;
                end = header + 1;
            }
        }
        else
        {
            if (rest[lengthEnd] != ' ') throw new LogWriteException("RELP: a malformed frame from the server.");
            if (data.Length < header + 1 + dataLength + 1) return false;
            payload = data.Slice(header + 1, dataLength);
            end = header + 1 + dataLength;
        }
        if (data.Length <= end) return false;
        if (data[end] != '\n') throw new LogWriteException("RELP: a frame without its trailer from the server.");
        consumed = end + 1;
        bool response = command.SequenceEqual("rsp"u8);
        int code = 0;
        if (response && (payload.Length < 3 || !Utf8Parser.TryParse(payload[..3], out code, out _))) code = 0;
        frame = new RelpFrame(txnr, response, command.SequenceEqual("serverclose"u8), code);
        return true;
    }

    private static bool Incomplete(ReadOnlySpan<byte> data)
    {
        if (data.Length > 64) throw new LogWriteException("RELP: a malformed frame header from the server.");
        return false;
    }
}
