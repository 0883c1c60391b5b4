using System;
using System.IO;
using Confluent.Kafka;
using Xunit.Abstractions;

namespace Kakashi.Kafka.Tests;

/// <summary>Which librdkafka build Confluent.Kafka loads on this machine (docs/writers.md, the Debian 12 note).</summary>
public sealed class NativeLibraryTests(ITestOutputHelper output)
{
    [Fact]
    public void Confluent_loads_a_librdkafka_build_that_runs_here()
    {
        using var cluster = new KafkaMockCluster(1); // loads librdkafka the way Confluent.Kafka does
        string path = KafkaMockCluster.LibraryPath;
        output.WriteLine($"librdkafka {Library.VersionString} loaded from {path}");
        output.WriteLine("builtin.features: " + KafkaMockCluster.BuiltinFeatures());
        Assert.Equal("2.16.0", Library.VersionString);
        Assert.Contains("lz4", KafkaMockCluster.BuiltinFeatures(), StringComparison.Ordinal); // the writer's default compression
        Assert.True(File.Exists(path), path);
        if (OperatingSystem.IsLinux() && File.Exists("/etc/debian_version") && File.ReadAllText("/etc/debian_version").StartsWith("12", StringComparison.Ordinal)
            && !File.Exists("/usr/lib/x86_64-linux-gnu/libsasl2.so.3") && System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture == System.Runtime.InteropServices.Architecture.X64)
        {
            // the default build needs libsasl2.so.3, which Debian 12 lacks (it has .so.2): Confluent.Kafka falls back to the centos8 build
            Assert.EndsWith("centos8-librdkafka.so", path, StringComparison.Ordinal);
        }
    }
}
