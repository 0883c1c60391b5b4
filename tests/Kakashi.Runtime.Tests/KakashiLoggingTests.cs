using System;
using System.IO;
using System.Linq;
using System.Text.Json;
using System.Threading.Tasks;
using Kakashi;
using Microsoft.Extensions.Logging;
using Xunit;

namespace Kakashi.Runtime.Tests;

/// <summary>The one-line start. One class: <see cref="KakashiLogging"/> holds process-wide state (the default pipeline, the folder).</summary>
public class KakashiLoggingTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public KakashiLoggingTests() => KakashiLogging.LogFolder = _folder.Path;

    public void Dispose()
    {
        GC.SuppressFinalize(this);
        KakashiLogging.Shutdown();
        KakashiLogging.LogFolder = null!;
        _folder.Dispose();
    }

    [Fact]
    public void An_unknown_preset_throws_at_setup_with_the_known_names()
    {
        string unknown = Environment.GetEnvironmentVariable("KAKASHI_NO_SUCH_VARIABLE") ?? "prod"; // not a constant: KAK059 reports the constant case at compile time
        var e = Assert.Throws<ArgumentException>(() => KakashiLogging.Setup(unknown));
        Assert.Equal("environment", e.ParamName);
        foreach (var name in new[] { "production", "development", "web-server", "analytics", "testing" }) Assert.Contains(name, e.Message);
        Assert.Null(KakashiLogging.Default);
        Assert.Throws<InvalidOperationException>(() => KakashiLogging.CreateLogger("x")); // no default yet: said clearly
    }

    [Fact]
    public async Task Production_writes_json_lines_to_a_daily_rolling_0640_file_and_warnings_to_the_console()
    {
        var pipeline = KakashiLogging.Setup("Production"); // ASP.NET Core's spelling works too
        Assert.Same(pipeline, KakashiLogging.Default);
        Assert.False(pipeline.IsSynchronous);
        var config = pipeline.Config;
        Assert.Equal(LogLevel.Information, config.MinLevel);
        Assert.Equal(DropStrategy.Block, config.Backpressure.DropStrategy);
        Assert.Equal(4 * 1024 * 1024, config.BufferSize);
        var file = Assert.Single(config.Writers.OfType<AsyncFileWriter>());
        Assert.Equal(RollingInterval.Day, file.RollingInterval);
        Assert.Equal(31, file.RetainedFileCountLimit);
        var console = Assert.Single(config.Writers.OfType<ConsoleWriter>());
        Assert.Equal(LogLevel.Warning, console.MinLevel);

        var logger = KakashiLogging.CreateLogger("Orders");
        logger.OrderFilled(1, 2, 3.5, "MSFT");
        logger.DebugValue(5); // below Information
        await pipeline.FlushAllAsync();
        string path = file.CurrentPath;
        Assert.StartsWith(_folder.Path, path);
        Assert.Matches(@"\d{8}\.log$", path); // app20261201.log: rolled daily
        var lines = File.ReadAllLines(path).Select(l => JsonDocument.Parse(l).RootElement).Where(e => e.GetProperty("Category").GetString() == "Orders").ToArray();
        var line = Assert.Single(lines);
        Assert.Equal(1, line.GetProperty("Properties").GetProperty("OrderId").GetInt32());
        Assert.Equal(Environment.MachineName, line.GetProperty("Properties").GetProperty("MachineName").GetString());
        if (!OperatingSystem.IsWindows())
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead, File.GetUnixFileMode(path) & (UnixFileMode)0b111_111_111);
        var m = pipeline.GetMetrics();
        Assert.Equal(0, m.Writers[1].Written); // the console saw no Warning+
        Assert.Equal(1, m.Writers[1].Filtered);
    }

    [Fact]
    public void Development_is_a_colored_console_at_debug_with_text()
    {
        var config = KakashiLogging.CreateConfig("development");
        Assert.Equal(LogLevel.Debug, config.MinLevel);
        Assert.IsType<TextFormatter>(config.Formatter);
        var console = Assert.IsType<ConsoleWriter>(Assert.Single(config.Writers));
        Assert.Equal(ConsoleColorMode.Auto, console.Colors);
    }

    [Fact]
    public async Task Web_server_and_analytics_are_the_reference_configurations()
    {
        var web = KakashiLogging.CreateConfig("web-server");
        Assert.Equal(256 * 1024, web.BufferSize);
        Assert.Equal(TimeSpan.FromMilliseconds(100), web.FlushInterval);
        Assert.Equal(10_000 * 128, web.BackpressureLimit);
        Assert.IsType<JsonFormatter>(web.Formatter);
        Assert.Contains(web.Enrichers, e => e is ActivityEnricher);
        Assert.Contains(web.Enrichers, e => e is ScopeEnricher);
        Assert.Contains(web.Filters, f => f is RateLimitFilter);

        var analytics = KakashiLogging.CreateConfig("analytics");
        Assert.Equal(LogLevel.Debug, analytics.MinLevel);
        Assert.Equal(16 * 1024, analytics.BufferSize);
        Assert.Equal(TimeSpan.FromMilliseconds(50), analytics.FlushInterval);
        Assert.Empty(analytics.Filters);
        Assert.IsType<JsonFormatter>(analytics.Formatter);
        Assert.Contains(analytics.Enrichers, e => e is ScopeEnricher);
        Assert.Equal(DropStrategy.Block, analytics.Backpressure.DropStrategy);
        // both build and run
        foreach (var name in new[] { "web-server", "analytics", "development" })
        {
            var pipeline = KakashiLogging.Setup(name);
            KakashiLogging.CreateLogger("x").OrderFilled(1, 1, 1, "x");
            await pipeline.FlushAllAsync().WaitAsync(TimeSpan.FromSeconds(10));
        }
    }

    [Fact]
    public void Testing_with_synchronous_logging_asserts_right_after_the_call()
    {
        var pipeline = KakashiLogging.Setup("testing", asyncLogging: false);
        Assert.True(pipeline.IsSynchronous);
        var logger = KakashiLogging.CreateLogger<KakashiLoggingTests>();
        logger.OrderFilled(7, 8, 9.5, "ABC");
        var memory = KakashiLogging.Memory!;
        Assert.Equal("INF Kakashi.Runtime.Tests.KakashiLoggingTests: Order 7 filled 8 at 9.5 for ABC", Assert.Single(memory.Lines));
        Assert.Equal(LogLevel.Information, memory.Records.Single(r => !r.IsInternal).Level);
        logger.DebugValue(3); // testing logs everything
        Assert.Equal("DBG Kakashi.Runtime.Tests.KakashiLoggingTests: Debug 3", memory.Lines[1]);
    }

    [Fact]
    public void Configure_runs_on_the_preset_and_setup_again_replaces_and_closes_the_default()
    {
        var first = KakashiLogging.Setup("testing", configure: c => c.MinLevel = LogLevel.Warning);
        Assert.Equal(LogLevel.Warning, first.Config.MinLevel);
        var second = KakashiLogging.Setup("testing");
        Assert.Same(second, KakashiLogging.Default);
        Assert.False(first.IsAccepting); // flushed and closed
        var bad = Assert.Throws<ArgumentOutOfRangeException>(() => KakashiLogging.Setup("testing", configure: c => c.BufferSize = 1000));
        Assert.Contains("BufferSize", bad.ParamName);
        Assert.Same(second, KakashiLogging.Default); // a failed setup leaves the default as it was
    }

    [Fact]
    public void The_preset_list_is_the_one_the_analyzer_checks()
        => Assert.Equal(["production", "development", "web-server", "analytics", "testing"], KakashiLogging.Presets);
}
