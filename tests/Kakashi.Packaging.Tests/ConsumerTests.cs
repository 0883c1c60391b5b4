using System;
using System.IO;
using System.Linq;
using System.Text.Json;
using System.Threading.Tasks;

namespace Kakashi.Packaging.Tests;

/// <summary>
/// Brand-new projects (Consumers/, copied to a temp folder outside the repository) that get Kakashi only from the packed
/// packages, through a nuget.config naming the folder feed: no project reference, none of this repository's build settings.
/// </summary>
[Collection(PackagesCollection.Name)]
public sealed class ConsumerTests(PackagesFixture packages)
{
    [Fact]
    public async Task A_KakashiLog_method_compiles_from_the_package_and_logs_to_a_file()
    {
        string project = packages.CopyConsumer("FileLogging");
        var build = await packages.BuildAsync(project);
        Assert.True(build.ExitCode == 0, build.ToString());
        AssertRestoredFromTheFeed(project, "Kakashi", "Kakashi.Kafka");
        // the generator and the analyzers came from the package, under analyzers/dotnet/cs
        string analyzers = Path.Combine(packages.PackagesFolder, "kakashi", packages.Version.ToLowerInvariant(), "analyzers", "dotnet", "cs");
        Assert.True(File.Exists(Path.Combine(analyzers, "Kakashi.Generators.dll")), $"no generator in {analyzers}");

        string log = Path.Combine(project, "logs", "app.log");
        var run = await packages.RunAsync(project, log);
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("kafka writer: kafka", run.StandardOutput, StringComparison.Ordinal);
        Assert.True(File.Exists(log), $"no log file at {log}; {run}");
        string[] lines = await File.ReadAllLinesAsync(log);
        // the Debug call is below the minimum level: one line, rendered as Microsoft.Extensions.Logging renders it
        Assert.Equal(new[] { "INF Trading 1001: Order 12345 filled 100 at 101.25 for MSFT" }, lines);
    }

    [Fact]
    public async Task A_misused_log_method_fails_the_build_with_its_KAK_diagnostic()
    {
        string project = packages.CopyConsumer("Misuse");
        var build = await packages.BuildAsync(project);
        Assert.True(build.ExitCode != 0, $"the build should have failed; {build}");
        AssertRestoredFromTheFeed(project, "Kakashi");
        // the Kakashi reason, at the method, and the warning for the unused parameter (a default project keeps warnings as
        // warnings); no compiler error in front of them (the generator wrote a stub, so no CS8795)
        Assert.Matches(@"Orders\.cs\(\d+,\d+\): error KAK021:", build.Output);
        Assert.Matches(@"Orders\.cs\(\d+,\d+\): warning KAK022:", build.Output);
        Assert.DoesNotMatch(@"error CS\d{4}", build.Output);
    }

    [Fact]
    public async Task An_ILogger_host_with_AddKakashi_writes_structured_records()
    {
        string project = packages.CopyConsumer("Hosting");
        var build = await packages.BuildAsync(project);
        Assert.True(build.ExitCode == 0, build.ToString());
        AssertRestoredFromTheFeed(project, "Kakashi.Extensions.Logging", "Kakashi");

        string log = Path.Combine(project, "logs", "app.json");
        var run = await packages.RunAsync(project, log);
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.True(File.Exists(log), $"no log file at {log}; {run}");
        string[] lines = (await File.ReadAllLinesAsync(log)).Where(l => l.Length > 0).ToArray();
        var records = lines.Select(l => JsonDocument.Parse(l).RootElement).ToArray();
        string all = string.Join(Environment.NewLine, lines);

        // ILogger<Shipping>.LogInformation: the template's properties with their JSON types, the call's event id
        var shipped = records.SingleOrDefault(r => r.TryGetProperty("MessageTemplate", out var t) && t.GetString() == "Order {OrderId} shipped to {City}, {Weight} kg");
        Assert.True(shipped.ValueKind == JsonValueKind.Object, $"no ILogger record in:{Environment.NewLine}{all}");
        Assert.Equal("Information", shipped.GetProperty("Level").GetString());
        Assert.Equal("Shipping", shipped.GetProperty("Category").GetString());
        Assert.Equal(7, shipped.GetProperty("EventId").GetInt32());
        Assert.Equal("Order 42 shipped to Oslo, 12.5 kg", shipped.GetProperty("Message").GetString());
        var properties = shipped.GetProperty("Properties");
        Assert.Equal(JsonValueKind.Number, properties.GetProperty("OrderId").ValueKind);
        Assert.Equal(42, properties.GetProperty("OrderId").GetInt32());
        Assert.Equal("Oslo", properties.GetProperty("City").GetString());
        Assert.Equal(12.5, properties.GetProperty("Weight").GetDouble());

        // a [KakashiLog] method (its generator came through Kakashi.Extensions.Logging's dependency) on an injected logger
        var packed = records.SingleOrDefault(r => r.TryGetProperty("MessageTemplate", out var t) && t.GetString() == "Order {OrderId} packed");
        Assert.True(packed.ValueKind == JsonValueKind.Object, $"no [KakashiLog] record in:{Environment.NewLine}{all}");
        Assert.Equal("Warning", packed.GetProperty("Level").GetString());
        Assert.Equal("Shipping", packed.GetProperty("Category").GetString());
        Assert.Equal(43, packed.GetProperty("Properties").GetProperty("OrderId").GetInt32());

        Assert.DoesNotContain("below the default minimum level", all, StringComparison.Ordinal);
    }

    /// <summary>The consumer's restore took these packages, at the packed version, from the feed into its own packages folder.</summary>
    private void AssertRestoredFromTheFeed(string project, params string[] ids)
    {
        string assets = File.ReadAllText(Path.Combine(project, "obj", "project.assets.json"));
        using var json = JsonDocument.Parse(assets);
        var libraries = json.RootElement.GetProperty("libraries");
        foreach (string id in ids)
        {
            Assert.True(libraries.TryGetProperty($"{id}/{packages.Version}", out var library), $"{id} {packages.Version} is not in the restore of {project}");
            Assert.Equal("package", library.GetProperty("type").GetString());
            Assert.True(Directory.Exists(Path.Combine(packages.PackagesFolder, id.ToLowerInvariant(), packages.Version.ToLowerInvariant())), $"{id} was not restored into {packages.PackagesFolder}");
        }
        Assert.DoesNotContain("\"type\": \"project\"", assets, StringComparison.Ordinal);
    }
}

