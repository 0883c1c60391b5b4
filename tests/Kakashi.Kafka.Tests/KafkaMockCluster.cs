using System;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using System.Text;
using Confluent.Kafka;

namespace Kakashi.Kafka.Tests;

/// <summary>
/// librdkafka's mock cluster: real Kafka-protocol brokers on loopback, inside librdkafka (the native library Confluent.Kafka
/// ships and loads), with fault injection (request errors, brokers down). Created through librdkafka's C API by P/Invoke,
/// into the very library Confluent.Kafka loaded, so the writer and the test consumer talk to it over TCP like to a real
/// cluster. No broker needs installing: every machine that restores Confluent.Kafka has it.
/// </summary>
internal sealed unsafe class KafkaMockCluster : IDisposable
{
    /// <summary>Kafka protocol request types (ApiKey).</summary>
    public const short ProduceRequest = 0;

    private static readonly Lazy<nint> s_library = new(LoadLibrary);

    private nint _rk;
    private nint _cluster;

    public KafkaMockCluster(int brokers = 3)
    {
        var lib = s_library.Value;
        var confNew = (delegate* unmanaged<nint>)NativeLibrary.GetExport(lib, "rd_kafka_conf_new");
        var confSet = (delegate* unmanaged<nint, byte*, byte*, byte*, nuint, int>)NativeLibrary.GetExport(lib, "rd_kafka_conf_set");
        var kafkaNew = (delegate* unmanaged<int, nint, byte*, nuint, nint>)NativeLibrary.GetExport(lib, "rd_kafka_new");
        var clusterNew = (delegate* unmanaged<nint, int, nint>)NativeLibrary.GetExport(lib, "rd_kafka_mock_cluster_new");
        var bootstraps = (delegate* unmanaged<nint, byte*>)NativeLibrary.GetExport(lib, "rd_kafka_mock_cluster_bootstraps");

        var errstr = stackalloc byte[512];
        nint conf = confNew();
        fixed (byte* name = "log_level\0"u8, value = "0\0"u8) confSet(conf, name, value, errstr, 512); // the handle's own log lines: none
        _rk = kafkaNew(0 /* RD_KAFKA_PRODUCER */, conf, errstr, 512);
        if (_rk == 0) throw new InvalidOperationException("rd_kafka_new failed: " + Marshal.PtrToStringUTF8((nint)errstr));
        _cluster = clusterNew(_rk, brokers);
        if (_cluster == 0) throw new InvalidOperationException("rd_kafka_mock_cluster_new failed");
        BootstrapServers = Marshal.PtrToStringUTF8((nint)bootstraps(_cluster))!;
    }

    /// <summary>The mock brokers' <c>host:port</c> list (loopback, ports the mock chose).</summary>
    public string BootstrapServers { get; }

    /// <summary>The path of the librdkafka build Confluent.Kafka loaded (on Debian 12: the centos8 build, see docs/writers.md).</summary>
    public static string LibraryPath => s_loadedPath ?? throw new InvalidOperationException("not loaded");

    private static string? s_loadedPath;

    /// <summary>librdkafka's <c>builtin.features</c> (compression codecs, SASL mechanisms, SSL…) of the loaded build.</summary>
    public static string BuiltinFeatures()
    {
        var lib = s_library.Value;
        var confNew = (delegate* unmanaged<nint>)NativeLibrary.GetExport(lib, "rd_kafka_conf_new");
        var confGet = (delegate* unmanaged<nint, byte*, byte*, nuint*, int>)NativeLibrary.GetExport(lib, "rd_kafka_conf_get");
        var confDestroy = (delegate* unmanaged<nint, void>)NativeLibrary.GetExport(lib, "rd_kafka_conf_destroy");
        nint conf = confNew();
        var buffer = stackalloc byte[1024];
        nuint size = 1024;
        fixed (byte* name = "builtin.features\0"u8) confGet(conf, name, buffer, &size);
        confDestroy(conf);
        return Marshal.PtrToStringUTF8((nint)buffer)!;
    }

    public void CreateTopic(string topic, int partitions, int replication = 3)
    {
        var create = (delegate* unmanaged<nint, byte*, int, int, int>)Export("rd_kafka_mock_topic_create");
        fixed (byte* name = Utf8(topic)) Check(create(_cluster, name, partitions, replication), "rd_kafka_mock_topic_create");
    }

    /// <summary>The next requests of type <paramref name="apiKey"/> (to any broker) fail with these errors, in order.</summary>
    public void PushRequestErrors(short apiKey, params ErrorCode[] errors)
    {
        var push = (delegate* unmanaged<nint, short, nuint, int*, void>)Export("rd_kafka_mock_push_request_errors_array");
        var codes = errors.Select(e => (int)e).ToArray();
        fixed (int* p = codes) push(_cluster, apiKey, (nuint)codes.Length, p);
    }

    public void ClearRequestErrors(short apiKey)
    {
        var clear = (delegate* unmanaged<nint, short, void>)Export("rd_kafka_mock_clear_request_errors");
        clear(_cluster, apiKey);
    }

    /// <summary>Disconnects the broker (-1: every broker) and refuses new connections; leadership does not move.</summary>
    public void SetBrokerDown(int brokerId) => Check(((delegate* unmanaged<nint, int, int>)Export("rd_kafka_mock_broker_set_down"))(_cluster, brokerId), "rd_kafka_mock_broker_set_down");

    public void SetBrokerUp(int brokerId) => Check(((delegate* unmanaged<nint, int, int>)Export("rd_kafka_mock_broker_set_up"))(_cluster, brokerId), "rd_kafka_mock_broker_set_up");

    /// <summary>The topic's metadata answers with <paramref name="error"/> (NoError to clear).</summary>
    public void SetTopicError(string topic, ErrorCode error)
    {
        var set = (delegate* unmanaged<nint, byte*, int, void>)Export("rd_kafka_mock_topic_set_error");
        fixed (byte* name = Utf8(topic)) set(_cluster, name, (int)error);
    }

    public void SetPartitionLeader(string topic, int partition, int brokerId)
    {
        var set = (delegate* unmanaged<nint, byte*, int, int, int>)Export("rd_kafka_mock_partition_set_leader");
        fixed (byte* name = Utf8(topic)) Check(set(_cluster, name, partition, brokerId), "rd_kafka_mock_partition_set_leader");
    }

    public void Dispose()
    {
        if (_cluster != 0) ((delegate* unmanaged<nint, void>)Export("rd_kafka_mock_cluster_destroy"))(_cluster);
        if (_rk != 0) ((delegate* unmanaged<nint, void>)Export("rd_kafka_destroy"))(_rk);
        _cluster = 0;
        _rk = 0;
    }

    private static nint Export(string name) => NativeLibrary.GetExport(s_library.Value, name);

    private static void Check(int error, string call)
    {
        if (error != 0) throw new InvalidOperationException($"{call} failed: {(ErrorCode)error}");
    }

    private static byte[] Utf8(string s) => Encoding.UTF8.GetBytes(s + "\0");

    /// <summary>Lets Confluent.Kafka load librdkafka its own way, then opens the same file (dlopen hands back the loaded library).</summary>
    private static nint LoadLibrary()
    {
        Library.Load();
        _ = Library.VersionString;
        string? path = null;
        if (OperatingSystem.IsLinux())
        {
            path = File.ReadLines("/proc/self/maps")
                .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
                .Where(parts => parts.Length >= 6 && parts[^1].EndsWith("librdkafka.so", StringComparison.Ordinal))
                .Select(parts => parts[^1])
                .FirstOrDefault();
        }
        path ??= Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", "librdkafka.so");
        s_loadedPath = path;
        return NativeLibrary.Load(path);
    }
}
