using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Kakashi.Extensions.Logging.Tests;

/// <summary>A service whose last records are logged while the host stops.</summary>
internal sealed class StoppingService(ILogger<StoppingService> logger, KakashiLogger<StoppingService> native, IHostApplicationLifetime lifetime) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        lifetime.ApplicationStopping.Register(() => logger.LogInformation("Stopping {Phase}", "ApplicationStopping"));
        lifetime.ApplicationStopped.Register(() => logger.LogInformation("Stopped {Phase}", "ApplicationStopped"));
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await Task.Yield();
        for (int i = 0; i < 1000; i++) logger.LogInformation("Draining {Index}", i);
        native.Native(1000);
    }
}

public sealed class HostingTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("kakashi-host-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static HostApplicationBuilder Builder(Dictionary<string, string?> settings)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, EnvironmentName = "Production" });
        builder.Configuration.AddInMemoryCollection(settings);
        return builder;
    }

    [Fact]
    public async Task Records_logged_while_the_host_stops_are_written()
    {
        string path = Path.Combine(_dir, "app.json");
        var builder = Builder(new()
        {
            ["Kakashi:Writers:0:Type"] = "File",
            ["Kakashi:Writers:0:Path"] = path,
            ["Kakashi:Writers:0:Formatter"] = "Json",
        });
        builder.Logging.ClearProviders();
        builder.Logging.AddKakashi();
        builder.Services.AddHostedService<StoppingService>();
        using (var host = builder.Build())
        {
            await host.StartAsync();
            host.Services.GetRequiredService<ILogger<HostingTests>>().LogInformation("Started {Ok}", true);
            await host.StopAsync();
        }
        var lines = File.ReadAllLines(path).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        var messages = lines.Select(l => l.GetProperty("Message").GetString()).ToList();
        Assert.Contains("Started True", messages);
        Assert.Contains("Stopping ApplicationStopping", messages);
        Assert.Contains("Stopped ApplicationStopped", messages);
        Assert.Equal(1000, messages.Count(m => m!.StartsWith("Draining ", StringComparison.Ordinal)));
        Assert.Contains("Native 1000", messages);
        Assert.Equal("Kakashi.Extensions.Logging.Tests.StoppingService", lines.First(l => l.GetProperty("Message").GetString() == "Native 1000").GetProperty("Category").GetString());
    }

    [Fact]
    public async Task The_pipeline_is_a_host_singleton_and_KakashiLog_methods_use_injected_loggers()
    {
        var builder = Builder(new() { ["Kakashi:Preset"] = "testing" });
        builder.Services.AddKakashi(c => c.Name = "injected");
        using var host = builder.Build();
        await host.StartAsync();
        var pipeline = host.Services.GetRequiredService<AsyncPipeline>();
        Assert.Equal("injected", pipeline.Name);
        Assert.Same(pipeline, host.Services.GetServices<ILoggerProvider>().OfType<KakashiLoggerProvider>().Single().Pipeline);
        var typed = host.Services.GetRequiredService<KakashiLogger<HostingTests>>();
        Assert.Same(typed, host.Services.GetRequiredService<KakashiLogger<HostingTests>>());
        typed.Native(7);
        host.Services.GetRequiredService<IKakashiLoggerFactory>().CreateLogger("Factory.Made").Native(8);
        host.Services.GetRequiredService<IKakashiLoggerFactory>().CreateLogger<HostingTests>().Native(9);
        await pipeline.FlushAllAsync();
        var memory = (InMemoryWriter)pipeline.Config.Writers[0];
        Assert.Equal(
            ["INF Kakashi.Extensions.Logging.Tests.HostingTests: Native 7", "INF Factory.Made: Native 8", "INF Kakashi.Extensions.Logging.Tests.HostingTests: Native 9"],
            memory.Lines.Select(l => l.TrimEnd('\n')).Where(l => !l.StartsWith("INF Microsoft.Hosting", StringComparison.Ordinal)));
        await host.StopAsync();
    }

    [Fact]
    public async Task A_bad_configuration_fails_the_start_naming_the_key()
    {
        var builder = Builder(new()
        {
            ["Kakashi:Writers:0:Type"] = "File",
            ["Kakashi:Writers:0:Path"] = Path.Combine(_dir, "x.log"),
            ["Kakashi:Writers:0:WriteTimeout"] = "00:00:00",
        });
        builder.Logging.AddKakashi();
        var error = await Assert.ThrowsAsync<KakashiConfigurationException>(async () =>
        {
            using var host = builder.Build();
            await host.StartAsync();
        });
        Assert.Equal("Kakashi:Writers:0:WriteTimeout", error.Key);
        Assert.StartsWith("Kakashi:Writers:0:WriteTimeout: ", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_host_adds_scopes_and_the_activity_ids_to_ILogger_records()
    {
        string path = Path.Combine(_dir, "activity.json");
        var builder = Builder(new()
        {
            ["Kakashi:Writers:0:Type"] = "File",
            ["Kakashi:Writers:0:Path"] = path,
            ["Kakashi:Writers:0:Formatter"] = "Json",
        });
        builder.Logging.ClearProviders();
        builder.Logging.AddKakashi();
        string traceId, spanId;
        using (var host = builder.Build())
        {
            await host.StartAsync();
            var logger = host.Services.GetRequiredService<ILogger<HostingTests>>();
            using var activity = new System.Diagnostics.Activity("request").Start();
            traceId = activity.TraceId.ToHexString();
            spanId = activity.SpanId.ToHexString();
            using (logger.BeginScope(new Dictionary<string, object?> { ["CorrelationId"] = "c-1" }))
                logger.LogInformation("In a request {N}", 1);
            activity.Stop();
            await host.StopAsync();
        }
        var record = File.ReadAllLines(path).Select(l => JsonDocument.Parse(l).RootElement).Single(r => r.GetProperty("Message").GetString() == "In a request 1");
        var properties = record.GetProperty("Properties");
        Assert.Equal("c-1", properties.GetProperty("CorrelationId").GetString());
        Assert.Equal(traceId, properties.GetProperty("TraceId").GetString());
        Assert.Equal(spanId, properties.GetProperty("SpanId").GetString());
    }

    [Fact]
    public async Task LoggerFactory_Create_works_outside_a_host()
    {
        var memory = new InMemoryWriter();
        await using var pipeline = new AsyncPipeline(new AsyncPipelineConfig { Writers = [memory], Formatter = new TextFormatter("{Category}|{Message}") });
        using (var factory = LoggerFactory.Create(b => b.AddProvider(new KakashiLoggerProvider(pipeline))))
        {
            factory.CreateLogger("Standalone").LogInformation("Hello {Name}", "world");
        }
        await pipeline.FlushAllAsync();
        Assert.Equal(["Standalone|Hello world"], memory.Lines);
    }
}
