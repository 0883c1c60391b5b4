using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Text.RegularExpressions;
using System.Threading.Tasks;

namespace Kakashi.Packaging.Tests;

/// <summary>
/// Packs the repository's packages once for the packaging tests: <c>dotnet pack</c> of the solution, without building (the
/// solution build that ran before the tests built them: this project references them), into a folder feed in a fresh
/// temp folder, with a version of its own (<c>0.11.0-test.&lt;ticks&gt;</c>). The consumers restore with their own,
/// empty packages folder (<c>NUGET_PACKAGES</c>), reading the machine's packages folder as a fallback for everything else:
/// a package of an earlier run, or one in the machine's cache, can never stand in for the one just packed, and nothing
/// that is already on the machine is downloaded again.
/// </summary>
public sealed class PackagesFixture : IAsyncLifetime
{
    public static readonly string[] PackageIds = ["Kakashi", "Kakashi.Extensions.Logging", "Kakashi.Kafka", "Kakashi.Cli"];

    public static string RepositoryRoot { get; } = Metadata("RepositoryRoot");
    public static string Configuration { get; } = Metadata("Configuration");

    public string WorkDirectory { get; } = Path.Combine(Path.GetTempPath(), $"kakashi-packaging-{Environment.ProcessId}-{Stopwatch.GetTimestamp():x}");
    public string Feed => Path.Combine(WorkDirectory, "feed");
    public string PackagesFolder => Path.Combine(WorkDirectory, "packages");
    public string ConsumersDirectory => Path.Combine(WorkDirectory, "consumers");
    public string VersionSuffix { get; } = $"test.{DateTime.UtcNow.Ticks}";
    public string Version { get; private set; } = "";
    public ProcessResult Pack { get; private set; } = null!;

    /// <summary>The environment of every child dotnet: the isolated packages folder, no build server, no node reuse.</summary>
    public IReadOnlyDictionary<string, string?> ChildEnvironment { get; private set; } = new Dictionary<string, string?>();

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(Feed);
        Directory.CreateDirectory(PackagesFolder);
        Directory.CreateDirectory(ConsumersDirectory);
        // stop MSBuild's search for Directory.Build.*/Directory.Packages.props above the temp folder
        foreach (string name in new[] { "Directory.Build.props", "Directory.Build.targets", "Directory.Packages.props" })
            await File.WriteAllTextAsync(Path.Combine(WorkDirectory, name), "<Project />\n");

        ChildEnvironment = new Dictionary<string, string?>
        {
            ["NUGET_PACKAGES"] = PackagesFolder,
            ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
            ["DOTNET_NOLOGO"] = "1",
            ["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1",
            ["DOTNET_CLI_USE_MSBUILD_SERVER"] = "0",
            ["MSBUILDDISABLENODEREUSE"] = "1",
            ["UseSharedCompilation"] = "false",
        };

        // the machine's restore settings (its NuGet.Config sources) apply as they are; the feed is added beside them
        string machinePackages = Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } p
            ? p
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        await File.WriteAllTextAsync(Path.Combine(ConsumersDirectory, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <add key="kakashi-packed" value="{Feed}" />
              </packageSources>
              <fallbackPackageFolders>
                <add key="machine" value="{machinePackages}" />
              </fallbackPackageFolders>
            </configuration>
            """);

        Pack = await DotNet.RunAsync(RepositoryRoot, ChildEnvironment, TimeSpan.FromMinutes(4),
            "pack", Path.Combine(RepositoryRoot, "Kakashi.sln"), "-c", Configuration, "--no-build", "-nologo", "-v:m",
            $"-p:PackageOutputPath={Feed}/", $"-p:NuspecOutputPath={Path.Combine(WorkDirectory, "nuspec")}/", $"-p:VersionSuffix={VersionSuffix}");
        if (Pack.ExitCode != 0) throw new InvalidOperationException($"packing failed: {Pack}");
        // Kakashi.<prefix>-<suffix>.nupkg: the version the projects computed from their VersionPrefix and this suffix
        var kakashi = Directory.GetFiles(Feed, "*.nupkg").Select(f => Regex.Match(Path.GetFileName(f), $@"^Kakashi\.(\d+\.\d+\.\d+-{Regex.Escape(VersionSuffix)})\.nupkg$"))
            .SingleOrDefault(m => m.Success) ?? throw new InvalidOperationException($"no Kakashi package in {Feed}: {Pack}");
        Version = kakashi.Groups[1].Value;
    }

    public Task DisposeAsync()
    {
        if (Environment.GetEnvironmentVariable("KAKASHI_KEEP_PACKAGING") != "1")
        {
            try { Directory.Delete(WorkDirectory, recursive: true); }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
        return Task.CompletedTask;
    }

    /// <summary>Copies Consumers/<paramref name="name"/> into the temp folder (a new project, outside the repository), as <paramref name="copyName"/> if given.</summary>
    public string CopyConsumer(string name, string? copyName = null)
    {
        string source = Path.Combine(RepositoryRoot, "tests", "Kakashi.Packaging.Tests", "Consumers", name);
        string target = Path.Combine(ConsumersDirectory, copyName ?? name);
        Directory.CreateDirectory(target);
        foreach (string file in Directory.GetFiles(source))
        {
            // a copy under another name is a project of that name (its assembly too)
            string fileName = copyName is not null && Path.GetFileName(file) == name + ".csproj" ? copyName + ".csproj" : Path.GetFileName(file);
            File.Copy(file, Path.Combine(target, fileName), overwrite: true);
        }
        return target;
    }

    /// <summary><c>dotnet build</c> of a consumer against the packed version.</summary>
    public Task<ProcessResult> BuildAsync(string project)
        => DotNet.RunAsync(project, ChildEnvironment, TimeSpan.FromMinutes(4),
            "build", "-nologo", "-v:q", "-clp:NoSummary", "-nodeReuse:false", "-p:UseSharedCompilation=false", $"-p:KakashiVersion={Version}");

    /// <summary>Runs a consumer that was built (Debug, the default), with its arguments.</summary>
    public Task<ProcessResult> RunAsync(string project, params string[] arguments)
        => DotNet.RunAsync(project, ChildEnvironment, TimeSpan.FromMinutes(1),
            [Path.Combine(project, "bin", "Debug", "net10.0", Path.GetFileName(project) + ".dll"), .. arguments]);

    private static string Metadata(string key)
        => typeof(PackagesFixture).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == key).Value!;
}

[CollectionDefinition(Name)]
public sealed class PackagesCollection : ICollectionFixture<PackagesFixture>
{
    public const string Name = "packages";
}
