using System;
using System.Threading.Tasks;
using Confluent.Kafka;
using Kakashi;

namespace Kakashi.Kafka.Tests;

/// <summary>Configuration errors throw at setup, named after the option; a cluster that is not there does not.</summary>
public sealed class AsyncKafkaWriterValidationTests
{
    private static void Build(LogWriter writer)
    {
        var pipeline = new AsyncPipeline(new AsyncPipelineConfig { Writers = [new InMemoryWriter(), writer], FlushOnProcessExit = false });
        pipeline.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    [Theory]
    [InlineData("", "logs", "Writers[1].BootstrapServers")]
    [InlineData("127.0.0.1:9092", "", "Writers[1].Topic")]
    [InlineData("127.0.0.1:9092", "bad topic", "Writers[1].Topic")]
    [InlineData("127.0.0.1:9092", "..", "Writers[1].Topic")]
    public void Bad_names_throw_with_the_option_name(string bootstrap, string topic, string param)
    {
        var e = Assert.ThrowsAny<ArgumentException>(() => Build(new AsyncKafkaWriter(bootstrap, topic)));
        Assert.Equal(param, e.ParamName);
    }

    [Fact]
    public void Bad_options_throw_with_the_option_name()
    {
        Assert.Equal("Writers[1].MessageTimeout", Assert.ThrowsAny<ArgumentException>(() => Build(new AsyncKafkaWriter("127.0.0.1:9092", "logs") { WriteTimeout = TimeSpan.FromSeconds(5), MessageTimeout = TimeSpan.FromSeconds(5) })).ParamName);
        Assert.Equal("Writers[1].Linger", Assert.ThrowsAny<ArgumentException>(() => Build(new AsyncKafkaWriter("127.0.0.1:9092", "logs") { Linger = TimeSpan.FromSeconds(11) })).ParamName);
        Assert.Equal("Writers[1].BatchSize", Assert.ThrowsAny<ArgumentException>(() => Build(new AsyncKafkaWriter("127.0.0.1:9092", "logs") { BatchSize = 10 })).ParamName);
        Assert.Equal("Writers[1].Formatter", Assert.ThrowsAny<ArgumentException>(() => Build(new AsyncKafkaWriter("127.0.0.1:9092", "logs") { Formatter = new JsonFormatter() })).ParamName);
        Assert.Equal("Writers[1].ValueFormatter", Assert.ThrowsAny<ArgumentException>(() => Build(new AsyncKafkaWriter("127.0.0.1:9092", "logs") { ValueFormatter = null! })).ParamName);
        Assert.Equal("Writers[1].DisposeTimeout", Assert.ThrowsAny<ArgumentException>(() => Build(new AsyncKafkaWriter("127.0.0.1:9092", "logs") { DisposeTimeout = TimeSpan.FromHours(1) })).ParamName);
    }

    [Fact]
    public void A_bad_librdkafka_property_throws_at_setup()
    {
        var e = Assert.Throws<ArgumentException>(() => Build(new AsyncKafkaWriter("127.0.0.1:9092", "logs") { Configure = c => c.Set("no.such.property", "1") }));
        Assert.Contains("no.such.property", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Defaults_give_an_idempotent_acks_all_producer_whose_retries_end_inside_one_attempt()
    {
        var writer = new AsyncKafkaWriter("127.0.0.1:9092", "logs") { Configure = c => c.SaslMechanism = SaslMechanism.ScramSha512 };
        var config = writer.BuildProducerConfig();
        Assert.True(config.EnableIdempotence);
        Assert.Equal(Acks.All, config.Acks);
        Assert.Equal(TimeSpan.FromSeconds(30), writer.WriteTimeout);
        Assert.Equal(24_000, config.MessageTimeoutMs); // 80 % of the write timeout
        Assert.Equal(CompressionType.Lz4, config.CompressionType);
        Assert.Equal(1, config.LingerMs);
        Assert.Equal(SaslMechanism.ScramSha512, config.SaslMechanism); // the escape hatch
        Assert.IsType<KafkaRecordFormatter>(writer.Formatter);
        Assert.IsType<JsonFormatter>(writer.ValueFormatter);
        Assert.Same(KafkaKey.None, writer.Key);
    }

    [Fact]
    public async Task A_cluster_that_is_not_there_does_not_stop_the_logger_from_starting()
    {
        int port = FreeTcpPort();
        var writer = new AsyncKafkaWriter($"127.0.0.1:{port}", "logs") { WriteTimeout = TimeSpan.FromSeconds(1), Retry = new RetryOptions { MaxRetries = 0 } };
        var pipeline = new AsyncPipeline(new AsyncPipelineConfig { Writers = [writer], FlushOnProcessExit = false, ShutdownTimeout = TimeSpan.FromSeconds(5) });
        pipeline.CreateLogger("App").OrderFilled(1, 1);
        await KafkaTestHelpers.WaitUntil(() => pipeline.GetMetrics().Writers[0].Failed == 1);
        await pipeline.DisposeAsync();
        KafkaTestHelpers.AssertBooks(pipeline.GetMetrics().Writers[0]);
    }

    private static int FreeTcpPort()
    {
        var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        int port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
