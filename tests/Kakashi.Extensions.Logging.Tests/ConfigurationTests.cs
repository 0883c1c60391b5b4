using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Kakashi.Extensions.Logging.Tests;

public sealed class ConfigurationTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("kakashi-config-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static IConfigurationSection Section(string json)
    {
        var configuration = new ConfigurationBuilder().AddJsonStream(new MemoryStream(Encoding.UTF8.GetBytes(json))).Build();
        return configuration.GetSection("Kakashi");
    }

    /// <summary>appsettings.json with every option (SchemaTests validates it against docs/appsettings.schema.json).</summary>
    internal static string SampleJson(string log, string spool) => $$"""
        {
          "Kakashi": {
            "Name": "orders",
            "MinLevel": "Debug",
            "CategoryLevels": { "Microsoft": "Warning", "Orders.Book": "Trace" },
            "BufferSize": 2097152,
            "BackpressureLimit": 8388608,
            "FlushInterval": "00:00:00.250",
            "ShutdownTimeout": "00:00:07",
            "ObjectSlots": 2048,
            "WaitStrategy": "Spin",
            "MaxBatchRecords": 4096,
            "Synchronous": false,
            "WarmUp": false,
            "FlushOnProcessExit": false,
            "Backpressure": { "DropStrategy": "DropOldest", "WarningThreshold": 70, "DropThreshold": 90 },
            "Formatter": { "Type": "Text", "Template": "{Level:u3} {Message}{NewLine}", "EscapeControlCharacters": false },
            "Enrichers": [ "Thread", "MachineName", { "Type": "Application", "Name": "orders-api", "Version": "1.2.3" } ],
            "Writers": [
              { "Type": "File", "Path": "{{log}}", "Formatter": "Ecs", "RollingInterval": "Hour", "UseLocalTime": true,
                "FileSizeLimitBytes": 10485760, "RollOnFileSizeLimit": true, "RetainedFileCountLimit": 5,
                "RetainedFileTimeLimit": "2.00:00:00", "CompressRolledFiles": true, "ReopenOnSigHup": true, "BatchSize": 65536,
                "Fsync": "Interval", "FsyncInterval": "00:00:02", "MinLevel": "Information", "QueueLimit": 1048576,
                "Backpressure": "Block", "WriteTimeout": "00:00:03",
                "Retry": { "MaxRetries": 5, "InitialDelay": "00:00:00.050", "MaxDelay": "00:00:02", "Jitter": false },
                "CircuitBreaker": { "FailureThreshold": 3, "BreakDuration": "00:00:10", "SamplingWindow": "00:00:20" } },
              { "Type": "Console", "MinLevel": "Warning", "Colors": "Never", "StandardErrorFromLevel": "Error", "Formatter": "Clef" },
              { "Type": "Seq", "Endpoint": "http://127.0.0.1:5341", "Format": "SeqClef", "BatchSize": 500, "BatchBytes": 1000000,
                "FlushInterval": "00:00:02", "Timeout": "00:00:04", "MaxRetries": 2, "Gzip": true,
                "Headers": { "X-Seq-ApiKey": "secret" }, "Spool": { "Directory": "{{spool}}", "MaxBytes": 1048576, "FlushToDisk": true } },
              { "Type": "Elasticsearch", "Endpoint": "http://127.0.0.1:9200", "Index": "logs-{0:yyyy.MM.dd}" },
              { "Type": "Syslog", "Host": "127.0.0.1", "Port": 6514, "Transport": "Udp", "Format": "Rfc3164", "Facility": "Local3", "AppName": "orders" },
              { "Type": "Otlp", "Endpoint": "http://127.0.0.1:4318/v1/logs", "BatchSize": 256, "Compression": "Gzip" },
              { "Type": "Memory", "Capacity": 10 }
            ]
          }
        }
        """;

    private static string Escape(string path) => path.Replace("\\", "\\\\", StringComparison.Ordinal);

    [Fact]
    public void Every_option_binds_from_appsettings_json()
    {
        string log = Escape(Path.Combine(_dir, "app.json"));
        string spool = Escape(Path.Combine(_dir, "spool"));
        var config = KakashiConfiguration.Load(Section(SampleJson(log, spool)));
        Assert.Equal("orders", config.Name);
        Assert.Equal(LogLevel.Debug, config.MinLevel);
        Assert.Equal(LogLevel.Warning, config.CategoryLevels["Microsoft"]);
        Assert.Equal(LogLevel.Trace, config.CategoryLevels["Orders.Book"]);
        Assert.Equal(2097152, config.BufferSize);
        Assert.Equal(8388608, config.BackpressureLimit);
        Assert.Equal(TimeSpan.FromMilliseconds(250), config.FlushInterval);
        Assert.Equal(TimeSpan.FromSeconds(7), config.ShutdownTimeout);
        Assert.Equal(2048, config.ObjectSlots);
        Assert.Equal(DrainWaitStrategy.Spin, config.WaitStrategy);
        Assert.Equal(4096, config.MaxBatchRecords);
        Assert.False(config.WarmUp);
        Assert.False(config.FlushOnProcessExit);
        Assert.Equal(DropStrategy.DropOldest, config.Backpressure.DropStrategy);
        Assert.Equal(70, config.Backpressure.WarningThreshold);
        Assert.Equal(90, config.Backpressure.DropThreshold);
        var text = Assert.IsType<TextFormatter>(config.Formatter);
        Assert.Equal("{Level:u3} {Message}{NewLine}", text.Template);
        Assert.False(text.EscapeControlCharacters);
        Assert.IsType<ThreadEnricher>(config.Enrichers[0]);
        Assert.IsType<MachineNameEnricher>(config.Enrichers[1]);
        Assert.IsType<ApplicationEnricher>(config.Enrichers[2]);

        Assert.Equal(7, config.Writers.Count);
        var file = Assert.IsType<AsyncFileWriter>(config.Writers[0]);
        Assert.Equal(Path.Combine(_dir, "app.json"), file.Path);
        Assert.Equal(JsonFieldSet.Ecs, Assert.IsType<JsonFormatter>(file.Formatter).Fields);
        Assert.Equal(RollingInterval.Hour, file.RollingInterval);
        Assert.True(file.UseLocalTime);
        Assert.Equal(10485760, file.FileSizeLimitBytes);
        Assert.True(file.RollOnFileSizeLimit);
        Assert.Equal(5, file.RetainedFileCountLimit);
        Assert.Equal(TimeSpan.FromDays(2), file.RetainedFileTimeLimit);
        Assert.True(file.CompressRolledFiles);
        Assert.True(file.ReopenOnSigHup);
        Assert.Equal(65536, file.BatchSize);
        Assert.Equal(FsyncPolicy.Interval, file.Fsync);
        Assert.Equal(TimeSpan.FromSeconds(2), file.FsyncInterval);
        Assert.Equal(LogLevel.Information, file.MinLevel);
        Assert.Equal(1048576, file.QueueLimit);
        Assert.Equal(DropStrategy.Block, file.Backpressure);
        Assert.Equal(TimeSpan.FromSeconds(3), file.WriteTimeout);
        Assert.Equal(5, file.Retry.MaxRetries);
        Assert.Equal(TimeSpan.FromMilliseconds(50), file.Retry.InitialDelay);
        Assert.False(file.Retry.Jitter);
        Assert.Equal(3, file.CircuitBreaker.FailureThreshold);
        Assert.Equal(TimeSpan.FromSeconds(20), file.CircuitBreaker.SamplingWindow);

        var console = Assert.IsType<ConsoleWriter>(config.Writers[1]);
        Assert.Equal(LogLevel.Warning, console.MinLevel);
        Assert.Equal(ConsoleColorMode.Never, console.Colors);
        Assert.Equal(LogLevel.Error, console.StandardErrorFromLevel);
        Assert.Equal(JsonFieldSet.Clef, Assert.IsType<JsonFormatter>(console.Formatter).Fields);

        var seq = Assert.IsType<AsyncNetworkWriter>(config.Writers[2]);
        Assert.Equal(NetworkFormat.SeqClef, seq.Format);
        Assert.Equal(500, seq.BatchSize);
        Assert.Equal(1000000, seq.BatchBytes);
        Assert.Equal(TimeSpan.FromSeconds(4), seq.Timeout);
        Assert.Equal(2, seq.MaxRetries);
        Assert.True(seq.Gzip);
        Assert.Equal("secret", seq.Headers["X-Seq-ApiKey"]);
        Assert.Equal(Path.Combine(_dir, "spool"), seq.Spool!.Directory);
        Assert.Equal(1048576, seq.Spool.MaxBytes);
        Assert.True(seq.Spool.FlushToDisk);

        Assert.IsType<AsyncElasticsearchWriter>(config.Writers[3]);
        var syslog = Assert.IsType<SyslogWriter>(config.Writers[4]);
        Assert.Equal(SyslogTransport.Udp, syslog.Transport);
        Assert.Equal(SyslogFormat.Rfc3164, syslog.Format);
        Assert.Equal(SyslogFacility.Local3, syslog.Facility);
        Assert.Equal("orders", syslog.AppName);
        var otlp = Assert.IsType<OtlpWriter>(config.Writers[5]);
        Assert.Equal(256, otlp.BatchSize);
        Assert.Equal(OtlpCompression.Gzip, otlp.Compression);
        Assert.Equal(10, Assert.IsType<InMemoryWriter>(config.Writers[6]).Capacity);
    }

    [Fact]
    public void A_preset_is_the_starting_point_and_the_section_overrides_it()
    {
        var config = KakashiConfiguration.Load(Section("""{ "Kakashi": { "Preset": "web-server", "MinLevel": "Warning", "CategoryLevels": { "Orders": "Debug" } } }"""));
        Assert.Equal("web-server", config.Name);
        Assert.Equal(LogLevel.Warning, config.MinLevel);
        Assert.Equal(LogLevel.Debug, config.CategoryLevels["Orders"]);
        Assert.Equal(LogLevel.Warning, config.CategoryLevels["Microsoft"]); // merged with the preset's
        Assert.Equal(2, config.Writers.Count); // the preset's writers, since the section names none
    }

    [Theory]
    [InlineData("""{ "Kakashi": { "MinLevel": "Verbose" } }""", "Kakashi:MinLevel", "Trace, Debug, Information, Warning, Error, Critical, None")]
    [InlineData("""{ "Kakashi": { "BufferSize": "big" } }""", "Kakashi:BufferSize", "whole number")]
    [InlineData("""{ "Kakashi": { "FlushInterval": "soon" } }""", "Kakashi:FlushInterval", "duration")]
    [InlineData("""{ "Kakashi": { "BufferSzie": 1024 } }""", "Kakashi:BufferSzie", "BufferSize")]
    [InlineData("""{ "Kakashi": { "Preset": "staging" } }""", "Kakashi:Preset", "production")]
    [InlineData("""{ "Kakashi": { "Writers": [ { "Path": "x.log" } ] } }""", "Kakashi:Writers:0:Type", "File, Console")]
    [InlineData("""{ "Kakashi": { "Writers": [ { "Type": "Carrier-pigeon" } ] } }""", "Kakashi:Writers:0:Type", "not a writer type")]
    [InlineData("""{ "Kakashi": { "Writers": [ { "Type": "Kafka", "BootstrapServers": "b:9092", "Topic": "t" } ] } }""", "Kakashi:Writers:0:Type", "Kakashi.Kafka package")]
    [InlineData("""{ "Kakashi": { "Writers": [ { "Type": "File" } ] } }""", "Kakashi:Writers:0", "needs Path")]
    [InlineData("""{ "Kakashi": { "Writers": [ { "Type": "File", "Path": "a.log", "RollingInterval": "Weekly" } ] } }""", "Kakashi:Writers:0:RollingInterval", "Infinite")]
    [InlineData("""{ "Kakashi": { "Writers": [ { "Type": "File", "Path": "a.log", "Rolling": "Day" } ] } }""", "Kakashi:Writers:0:Rolling", "RollingInterval")]
    [InlineData("""{ "Kakashi": { "Writers": [ { "Type": "File", "Path": "a.log", "Formatter": "Yaml" } ] } }""", "Kakashi:Writers:0:Formatter", "Text, Json")]
    [InlineData("""{ "Kakashi": { "Writers": [ { "Type": "Network", "Endpoint": "http://x", "Handler": "h" } ] } }""", "Kakashi:Writers:0:Handler", "in code")]
    public void Bad_values_name_the_key_and_what_is_allowed(string json, string key, string hint)
    {
        var error = Assert.Throws<KakashiConfigurationException>(() => KakashiConfiguration.Load(Section(json)));
        Assert.Equal(key, error.Key);
        Assert.Contains(hint, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Kakashi:BufferSize", "1000", "power of two")]
    [InlineData("Kakashi:Writers:0:WriteTimeout", "00:00:00", "WriteTimeout")]
    [InlineData("Kakashi:Writers:0:QueueLimit", "5", "QueueLimit")]
    [InlineData("Kakashi:Preset", "staging", "production")]
    public async Task Out_of_range_values_are_refused_at_start_naming_the_key(string key, string value, string hint)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Kakashi:Writers:0:Type"] = "Memory",
            [key] = value,
        });
        builder.Services.AddKakashi();
        // the host's logging is built with the host: the pipeline (and its validation) comes with it, before anything runs
        var error = await Assert.ThrowsAsync<KakashiConfigurationException>(async () =>
        {
            using var host = builder.Build();
            await host.StartAsync();
        });
        Assert.Equal(key, error.Key);
        Assert.Contains(hint, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Logging_LogLevel_sets_the_pipeline_levels_when_the_Kakashi_section_does_not()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Logging:LogLevel:Default"] = "Debug",
            ["Logging:LogLevel:Noisy"] = "Error",
            ["Kakashi:Writers:0:Type"] = "Memory",
        });
        builder.Logging.ClearProviders();
        builder.Logging.AddKakashi();
        using var host = builder.Build();
        await host.StartAsync();
        var pipeline = host.Services.GetRequiredService<AsyncPipeline>();
        Assert.Equal(LogLevel.Debug, pipeline.CreateLogger("Any").MinLevel);
        Assert.Equal(LogLevel.Error, pipeline.CreateLogger("Noisy.Thing").MinLevel);
        await host.StopAsync();
    }

    /// <summary>
    /// The real thing: appsettings.json on disk with reloadOnChange, rewritten while four threads log. Each rewrite flips
    /// the minimum level between Information and Debug; no record is lost, and the level reaches every logger.
    /// </summary>
    [Fact]
    public async Task Levels_reload_live_from_appsettings_json_under_load_and_lose_nothing()
    {
        string settings = Path.Combine(_dir, "appsettings.json");
        static string Json(string level) => $$"""{ "Kakashi": { "MinLevel": "{{level}}", "CategoryLevels": { "Quiet": "Error" }, "Writers": [ { "Type": "Memory", "Capacity": 1000000, "Backpressure": "Block" } ] } }""";
        File.WriteAllText(settings, Json("Information"));
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, ContentRootPath = _dir });
        builder.Configuration.AddJsonFile(settings, optional: false, reloadOnChange: true);
        builder.Logging.ClearProviders();
        builder.Logging.SetMinimumLevel(LogLevel.Trace);
        builder.Logging.AddKakashi();
        using var host = builder.Build();
        await host.StartAsync();
        var pipeline = host.Services.GetRequiredService<AsyncPipeline>();
        var mel = host.Services.GetRequiredService<ILogger<ConfigurationTests>>();
        var native = host.Services.GetRequiredService<KakashiLogger<ConfigurationTests>>();
        Assert.False(native.IsEnabled(LogLevel.Debug));

        using var stop = new CancellationTokenSource();
        var counts = new long[4];
        var producers = Enumerable.Range(0, 4).Select(t => Task.Run(() =>
        {
            long i = 0;
            while (!stop.IsCancellationRequested)
            {
                if (t % 2 == 0) mel.LogInformation("Thread {Thread} record {Index}", t, i);
                else native.Native((int)i);
                mel.LogDebug("debug {Index}", i);
                i++;
                if (i % 5 == 0) Thread.Sleep(1); // a steady load, not a flood the in-memory writer would have to evict
            }
            counts[t] = i;
        })).ToArray();

        foreach (var level in new[] { "Debug", "Information", "Debug" })
        {
            File.WriteAllText(settings, Json(level));
            var expected = Enum.Parse<LogLevel>(level);
            var deadline = DateTime.UtcNow.AddSeconds(20);
            while (native.MinLevel != expected && DateTime.UtcNow < deadline) await Task.Delay(20);
            Assert.Equal(expected, native.MinLevel);
            Assert.Equal(expected, pipeline.CreateLogger("Other.Category").MinLevel);
            Assert.Equal(LogLevel.Error, pipeline.CreateLogger("Quiet.Part").MinLevel);
            await Task.Delay(200);
        }
        stop.Cancel();
        await Task.WhenAll(producers);
        await pipeline.FlushAllAsync();
        var metrics = pipeline.GetMetrics();
        var memory = (InMemoryWriter)pipeline.Config.Writers[0];
        var lines = memory.Lines;
        // every Information record of every thread is there, once, in order
        for (int t = 0; t < 4; t++)
        {
            string prefix = t % 2 == 0 ? $"Thread {t} record " : null!;
            if (t % 2 == 0)
            {
                var indexes = lines.Where(l => l.Contains(prefix, StringComparison.Ordinal)).Select(l => ParseAfter(l, prefix)).ToList();
                Assert.Equal(counts[t], indexes.Count);
                Assert.True(indexes.SequenceEqual(Enumerable.Range(0, (int)counts[t]).Select(i => (long)i)), $"thread {t}: records missing or out of order");
            }
        }
        Assert.Equal(counts[1] + counts[3], lines.Count(l => l.Contains("Native ", StringComparison.Ordinal)));
        Assert.True(lines.Any(l => l.Contains("\"Message\":\"debug ", StringComparison.Ordinal)), "no Debug record while Debug was on");
        Assert.Equal(0, metrics.LogsDropped);
        Assert.Equal(0, metrics.LogsLost);
        Assert.Equal(0, memory.Evicted);
        await host.StopAsync();
    }

    [Fact]
    public async Task A_bad_level_in_a_reload_is_reported_and_the_levels_in_force_stay()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Kakashi:MinLevel"] = "Warning", ["Kakashi:Writers:0:Type"] = "Memory" });
        builder.Services.AddKakashi();
        using var host = builder.Build();
        await host.StartAsync();
        var pipeline = host.Services.GetRequiredService<AsyncPipeline>();
        var logger = pipeline.CreateLogger("Reloaded");
        var root = (IConfigurationRoot)builder.Configuration;
        root["Kakashi:MinLevel"] = "Loud";
        root.Reload();
        Assert.Equal(LogLevel.Warning, logger.MinLevel);
        Assert.Equal(1, pipeline.GetMetrics().LoggingErrors);
        root["Kakashi:MinLevel"] = "Error";
        root.Reload();
        Assert.Equal(LogLevel.Error, logger.MinLevel);
        root["Kakashi:MinLevel"] = null;
        root.Reload();
        Assert.Equal(LogLevel.Information, logger.MinLevel); // no longer configured: the preset's (production)
        await host.StopAsync();
    }

    private static long ParseAfter(string line, string prefix)
    {
        int start = line.IndexOf(prefix, StringComparison.Ordinal) + prefix.Length;
        int end = start;
        while (end < line.Length && char.IsAsciiDigit(line[end])) end++;
        return long.Parse(line.AsSpan(start, end - start), System.Globalization.CultureInfo.InvariantCulture);
    }
}
