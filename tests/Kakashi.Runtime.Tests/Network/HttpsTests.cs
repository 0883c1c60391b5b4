using System;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Kakashi;
using Kakashi.Runtime.Tests.Peers;
using Xunit;

namespace Kakashi.Runtime.Tests.Network;

/// <summary>
/// The HTTP writers over TLS (HttpClient's SocketsHttpHandler) against an HTTPS endpoint in the test: a TCP listener
/// that completes a real TLS handshake (SslStream, a self-signed certificate made here) and answers HTTP/1.1 requests.
/// </summary>
public sealed class HttpsTests : IDisposable
{
    private readonly RSA _key = RSA.Create(2048);
    private readonly X509Certificate2 _certificate;
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private int _requests;
    private int _lines;

    public HttpsTests()
    {
        _certificate = TestCertificate.Create(_key);
        _listener.Start();
        _ = Task.Run(ServeAsync);
    }

    private string Url => $"https://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/ingest";

    private async Task ServeAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception)
            {
                return;
            }
            _ = Task.Run(async () =>
            {
                using (client)
                using (var tls = new SslStream(client.GetStream()))
                {
                    try
                    {
                        await tls.AuthenticateAsServerAsync(_certificate);
                    }
                    catch (Exception)
                    {
                        return; // the client refused the certificate (with TLS 1.3 it may do so after the server is done)
                    }
                    await AnswerAsync(tls);
                }
            });
        }
    }

    /// <summary>One HTTP/1.1 request per connection: headers, a Content-Length body (its lines counted), a 200.</summary>
    private async Task AnswerAsync(Stream stream)
    {
        var buffer = new byte[1 << 16];
        int length = 0, headerEnd;
        while ((headerEnd = buffer.AsSpan(0, length).IndexOf("\r\n\r\n"u8)) < 0)
        {
            int read = await stream.ReadAsync(buffer.AsMemory(length));
            if (read == 0) return;
            length += read;
        }
        string headers = Encoding.ASCII.GetString(buffer, 0, headerEnd);
        int contentLength = int.Parse(headers.Split("\r\n").First(h => h.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase))[15..].Trim());
        var body = new MemoryStream();
        body.Write(buffer, headerEnd + 4, length - headerEnd - 4);
        while (body.Length < contentLength)
        {
            int read = await stream.ReadAsync(buffer);
            if (read == 0) return;
            body.Write(buffer, 0, read);
        }
        Interlocked.Add(ref _lines, body.ToArray().Count(b => b == (byte)'\n'));
        Interlocked.Increment(ref _requests);
        await stream.WriteAsync("HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"u8.ToArray());
        await stream.FlushAsync();
    }

    [Fact]
    public async Task Records_go_over_https_to_a_server_whose_certificate_the_callback_accepts()
    {
        int checkedCertificates = 0;
        var writer = new AsyncNetworkWriter(Url)
        {
            FlushInterval = TimeSpan.FromMilliseconds(50),
            // pin the endpoint's certificate (it is self-signed: the system's trust store would refuse it)
            ServerCertificateValidation = (_, certificate, _, _) =>
            {
                Interlocked.Increment(ref checkedCertificates);
                return certificate is not null && certificate.GetCertHashString() == _certificate.GetCertHashString();
            },
        };
        using var pipeline = AsyncNetworkWriterTests.Pipeline(writer);
        var log = pipeline.CreateLogger("Tls");
        for (int i = 0; i < 25; i++) log.Seq(1, i);
        await ReliabilityTests.WaitUntil(() => pipeline.GetMetrics().Writers[0].Written == 25);
        Assert.Equal(25, Volatile.Read(ref _lines));
        Assert.True(checkedCertificates > 0);
        ReliabilityTests.AssertBooks(pipeline.GetMetrics().Writers[0]);
    }

    [Fact]
    public async Task A_certificate_the_system_does_not_trust_is_refused_and_nothing_is_sent()
    {
        var writer = new AsyncNetworkWriter(Url) { FlushInterval = TimeSpan.Zero, Retry = AsyncNetworkWriterTests.FastRetry };
        var memory = new InMemoryWriter();
        using var pipeline = AsyncNetworkWriterTests.Pipeline(writer, memory);
        pipeline.CreateLogger("Tls").Text("secret");
        await ReliabilityTests.WaitUntil(() => pipeline.GetMetrics().Writers[0].Failed == 1);
        Assert.Equal(0, Volatile.Read(ref _requests)); // refused at the handshake: no request reached the server
        await ReliabilityTests.WaitUntil(() => memory.Records.Any(r => r.IsInternal && r.Text.Contains("SSL", StringComparison.OrdinalIgnoreCase)));
        ReliabilityTests.AssertBooks(pipeline.GetMetrics().Writers[0]);
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
        _certificate.Dispose();
        _key.Dispose();
    }
}
