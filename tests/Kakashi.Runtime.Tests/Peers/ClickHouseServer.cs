using System;
using System.IO;
using System.Net.Http;
using System.Threading.Tasks;

namespace Kakashi.Runtime.Tests.Peers;

/// <summary>
/// A real clickhouse-server (Debian's 18.16) in a temp folder: its own config and data, the HTTP interface on a free
/// loopback port, queried over HTTP like the writer talks to it. <see cref="Kill"/> and <see cref="StartAsync"/> take it
/// down (SIGKILL) and bring it back on the same port with the same data.
/// </summary>
internal sealed class ClickHouseServer : IAsyncDisposable
{
    public const string Program = "clickhouse-server";

    private readonly string _folder = Path.Combine(Path.GetTempPath(), "kakashi-tests", "clickhouse-" + Guid.NewGuid().ToString("N"));
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(30) };
    private PeerProcess? _process;

    public ClickHouseServer()
    {
        HttpPort = PeerProcess.FreeTcpPort();
        int tcpPort = PeerProcess.FreeTcpPort();
        Directory.CreateDirectory(_folder);
        File.WriteAllText(Path.Combine(_folder, "config.xml"), $"""
            <yandex>
              <logger><level>warning</level><console>1</console></logger>
              <http_port>{HttpPort}</http_port>
              <tcp_port>{tcpPort}</tcp_port>
              <listen_host>127.0.0.1</listen_host>
              <path>{_folder}/data/</path>
              <tmp_path>{_folder}/tmp/</tmp_path>
              <user_files_path>{_folder}/user_files/</user_files_path>
              <format_schema_path>{_folder}/format_schemas/</format_schema_path>
              <users_config>{_folder}/users.xml</users_config>
              <default_profile>default</default_profile>
              <default_database>default</default_database>
              <mark_cache_size>268435456</mark_cache_size>
              <uncompressed_cache_size>268435456</uncompressed_cache_size>
            </yandex>
            """);
        File.WriteAllText(Path.Combine(_folder, "users.xml"), """
            <yandex>
              <profiles><default></default></profiles>
              <users><default><password></password><networks><ip>127.0.0.1</ip></networks><profile>default</profile><quota>default</quota></default></users>
              <quotas><default></default></quotas>
            </yandex>
            """);
    }

    public int HttpPort { get; }

    public string Url => $"http://127.0.0.1:{HttpPort}/";

    public int? ProcessId => _process?.Id;

    public async Task StartAsync()
    {
        var program = PeerProcess.Find(Program) ?? throw new InvalidOperationException("clickhouse-server is not installed");
        _process = PeerProcess.Start(program, $"--config-file={_folder}/config.xml", _folder);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            try
            {
                if ((await _http.GetStringAsync(Url + "ping")).StartsWith("Ok", StringComparison.Ordinal)) return;
            }
            catch (HttpRequestException)
            {
            }
            if (_process.HasExited || DateTime.UtcNow > deadline) throw new InvalidOperationException($"clickhouse-server did not start:\n{_process.Output}");
            await Task.Delay(100);
        }
    }

    /// <summary>Runs a statement or a query over the HTTP interface; returns the answer (TabSeparated).</summary>
    public async Task<string> QueryAsync(string sql)
    {
        using var response = await _http.PostAsync(Url, new StringContent(sql));
        string body = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"ClickHouse answered {(int)response.StatusCode}: {body}");
        return body.TrimEnd('\n');
    }

    /// <summary>SIGKILL: the server dies mid-stream, whatever it was doing.</summary>
    public void Kill()
    {
        _process?.Kill();
        _process?.Dispose();
        _process = null;
    }

    public ValueTask DisposeAsync()
    {
        _process?.Dispose();
        _http.Dispose();
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
        }
        return ValueTask.CompletedTask;
    }
}
