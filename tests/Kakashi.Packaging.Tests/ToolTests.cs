using System;
using System.Collections.Generic;
using System.IO;
using System.Threading.Tasks;

namespace Kakashi.Packaging.Tests;

/// <summary>The <c>kakashi</c> tool as users get it: <c>dotnet tool install</c> from the packed Kakashi.Cli, then run by its command name.</summary>
[Collection(PackagesCollection.Name)]
public sealed class ToolTests(PackagesFixture packages)
{
    [Fact]
    public async Task The_kakashi_tool_installs_from_its_package_and_decodes_what_a_packaged_consumer_logged()
    {
        // a user's app (Kakashi from the feed) writing the same records as text and as .klog
        string project = packages.CopyConsumer("FileLogging", "FileLoggingForTool");
        var build = await packages.BuildAsync(project);
        Assert.True(build.ExitCode == 0, build.ToString());
        string text = Path.Combine(project, "logs", "app.log"), klog = Path.Combine(project, "logs", "app.klog");
        var run = await packages.RunAsync(project, text, klog);
        Assert.True(run.ExitCode == 0, run.ToString());

        string tools = Path.Combine(packages.WorkDirectory, "tools");
        var install = await DotNet.RunAsync(packages.ConsumersDirectory, packages.ChildEnvironment, TimeSpan.FromMinutes(4),
            "tool", "install", "Kakashi.Cli", "--tool-path", tools, "--version", packages.Version, "--configfile", Path.Combine(packages.ConsumersDirectory, "nuget.config"));
        Assert.True(install.ExitCode == 0, install.ToString());
        string kakashi = Path.Combine(tools, OperatingSystem.IsWindows() ? "kakashi.exe" : "kakashi");
        Assert.True(File.Exists(kakashi), $"no kakashi command in {tools}: {install}");

        // the command's apphost finds the runtime the tests run on
        var environment = new Dictionary<string, string?>(packages.ChildEnvironment);
        if (Path.IsPathRooted(DotNet.Host)) environment["DOTNET_ROOT"] = Path.GetDirectoryName(DotNet.Host);
        var version = await DotNet.RunProcessAsync(kakashi, project, environment, TimeSpan.FromMinutes(1), "--version");
        Assert.True(version.ExitCode == 0, version.ToString());
        // the assembly's version is the solution build's (the fixture packs --no-build with a suffix of its own): the prefix
        string prefix = packages.Version.Split('-')[0];
        Assert.Matches($@"^kakashi {System.Text.RegularExpressions.Regex.Escape(prefix)}(-\S+)? \(reads \.klog format version 1\)\n$", version.StandardOutput);

        var decode = await DotNet.RunProcessAsync(kakashi, project, environment, TimeSpan.FromMinutes(1),
            "decode", "--template", "{Level:u3} {Category} {EventId}: {Message}{NewLine}", klog);
        Assert.True(decode.ExitCode == 0, decode.ToString());
        Assert.Equal(await File.ReadAllTextAsync(text), decode.StandardOutput);
        Assert.Equal("INF Trading 1001: Order 12345 filled 100 at 101.25 for MSFT\n", decode.StandardOutput);

        var missing = await DotNet.RunProcessAsync(kakashi, project, environment, TimeSpan.FromMinutes(1), "stats", klog + ".missing");
        Assert.Equal(2, missing.ExitCode);
    }
}
