using System;
using System.Collections.Generic;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Xml.Linq;

namespace Kakashi.Packaging.Tests;

/// <summary>What <c>dotnet pack</c> of the solution makes: exactly the three library packages and the tool package, each with
/// its symbols, README, license and metadata (the libraries with XML docs), the generator and the code fixes inside Kakashi,
/// and only the dependencies each must have; the tool a DotnetTool package whose command is <c>kakashi</c>.</summary>
[Collection(PackagesCollection.Name)]
public sealed class PackageTests(PackagesFixture packages)
{
    [Fact]
    public void Pack_of_the_solution_makes_exactly_the_four_packages_and_their_symbols()
    {
        var files = Directory.GetFiles(packages.Feed).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToArray();
        var expected = PackagesFixture.PackageIds.SelectMany(id => new[] { $"{id}.{packages.Version}.nupkg", $"{id}.{packages.Version}.snupkg" })
            .Order(StringComparer.Ordinal).ToArray();
        Assert.True(expected.SequenceEqual(files), $"expected {string.Join(", ", expected)}{Environment.NewLine}got {string.Join(", ", files)}{Environment.NewLine}{packages.Pack}");
    }

    [Fact]
    public void Kakashi_carries_the_runtime_the_generator_and_the_code_fixes()
    {
        var entries = Entries("Kakashi");
        foreach (string path in new[] { "lib/net10.0/Kakashi.dll", "lib/net10.0/Kakashi.xml", "analyzers/dotnet/cs/Kakashi.Generators.dll",
                                        "analyzers/dotnet/cs/Kakashi.CodeFixes.dll", "README.md" })
            Assert.True(entries.Contains(path), $"{path} is not in the package: {string.Join(", ", entries.Order())}");
        // no other assembly rides along (the generator's Roslyn is the compiler's own)
        Assert.Equal(3, entries.Count(e => e.EndsWith(".dll", StringComparison.Ordinal)));
        Assert.Contains("<member name=\"T:Kakashi.AsyncPipeline\">", Read("Kakashi", "lib/net10.0/Kakashi.xml"), StringComparison.Ordinal);
        Assert.Contains("lib/net10.0/Kakashi.pdb", Entries("Kakashi", symbols: true));
    }

    [Theory]
    [InlineData("Kakashi", "Kakashi.dll")]
    [InlineData("Kakashi.Extensions.Logging", "Kakashi.Extensions.Logging.dll")]
    [InlineData("Kakashi.Kafka", "Kakashi.Kafka.dll")]
    public void Each_package_has_its_metadata_readme_docs_and_symbols(string id, string assembly)
    {
        var entries = Entries(id);
        Assert.Contains($"lib/net10.0/{assembly}", entries);
        Assert.Contains($"lib/net10.0/{Path.ChangeExtension(assembly, ".xml")}", entries);
        Assert.Contains($"lib/net10.0/{Path.ChangeExtension(assembly, ".pdb")}", Entries(id, symbols: true));
        Assert.DoesNotContain($"lib/net10.0/{Path.ChangeExtension(assembly, ".pdb")}", entries);

        var metadata = Nuspec(id).Root!.Elements().Single(e => e.Name.LocalName == "metadata");
        string Field(string name) => metadata.Elements().SingleOrDefault(e => e.Name.LocalName == name)?.Value ?? "";
        Assert.Equal(id, Field("id"));
        Assert.Equal(packages.Version, Field("version"));
        Assert.Equal("MIT", Field("license"));
        Assert.Equal("expression", metadata.Elements().Single(e => e.Name.LocalName == "license").Attribute("type")?.Value);
        Assert.Equal("README.md", Field("readme"));
        Assert.False(string.IsNullOrWhiteSpace(Field("authors")));
        Assert.True(Field("description").Length > 40, Field("description"));
        Assert.Contains("logging", Field("tags").Split(' '));
        // the package README is the package's own, not the repository's
        Assert.StartsWith($"# {id}", Read(id, "README.md"), StringComparison.Ordinal);

        // SourceLink: the commit the package was built from (the URL too, where the clone has an origin remote)
        var repository = metadata.Elements().Single(e => e.Name.LocalName == "repository");
        Assert.Equal("git", repository.Attribute("type")?.Value);
        if (Directory.Exists(Path.Combine(PackagesFixture.RepositoryRoot, ".git")) || File.Exists(Path.Combine(PackagesFixture.RepositoryRoot, ".git")))
            Assert.Matches("^[0-9a-f]{40}$", repository.Attribute("commit")?.Value ?? "");
    }

    [Fact]
    public void The_core_package_depends_only_on_what_it_must_and_the_others_bring_its_analyzers()
    {
        Assert.Equal(new[] { "Microsoft.Extensions.Logging.Abstractions", "Polly.Core" }, Dependencies("Kakashi").Keys.Order(StringComparer.Ordinal));

        foreach (string id in new[] { "Kakashi.Kafka", "Kakashi.Extensions.Logging" })
        {
            var dependencies = Dependencies(id);
            Assert.True(dependencies.TryGetValue("Kakashi", out var kakashi), $"{id} does not depend on Kakashi: {string.Join(", ", dependencies.Keys)}");
            Assert.Equal(packages.Version, kakashi.Version);
            // NuGet's default for a project reference writes exclude="Build,Analyzers": the package would then tell clients
            // to leave the [KakashiLog] generator out of a project that references only this package
            Assert.DoesNotContain("Analyzers", (kakashi.Exclude ?? "").Split(','), StringComparer.OrdinalIgnoreCase);
        }
        Assert.Contains("Confluent.Kafka", Dependencies("Kakashi.Kafka").Keys);
        Assert.DoesNotContain(Dependencies("Kakashi.Extensions.Logging").Keys, k => k.StartsWith("Confluent", StringComparison.Ordinal));
    }

    [Fact]
    public void Kakashi_Cli_is_a_dotnet_tool_package_whose_command_is_kakashi_with_the_runtime_inside()
    {
        var metadata = Nuspec("Kakashi.Cli").Root!.Elements().Single(e => e.Name.LocalName == "metadata");
        string Field(string name) => metadata.Elements().SingleOrDefault(e => e.Name.LocalName == name)?.Value ?? "";
        Assert.Equal("Kakashi.Cli", Field("id"));
        Assert.Equal(packages.Version, Field("version"));
        Assert.Equal("MIT", Field("license"));
        Assert.Equal("README.md", Field("readme"));
        Assert.Contains(".klog", Field("description"), StringComparison.Ordinal);
        Assert.Equal(["DotnetTool"], metadata.Descendants().Where(e => e.Name.LocalName == "packageType").Select(e => e.Attribute("name")?.Value));
        // a tool carries what it runs on: no package dependencies
        Assert.Empty(Dependencies("Kakashi.Cli"));
        Assert.StartsWith("# Kakashi.Cli", Read("Kakashi.Cli", "README.md"), StringComparison.Ordinal);

        var settings = XDocument.Parse(Read("Kakashi.Cli", "tools/net10.0/any/DotnetToolSettings.xml"));
        var command = settings.Descendants().Single(e => e.Name.LocalName == "Command");
        Assert.Equal("kakashi", command.Attribute("Name")?.Value);
        Assert.Equal("Kakashi.Cli.dll", command.Attribute("EntryPoint")?.Value);
        var entries = Entries("Kakashi.Cli");
        foreach (string file in new[] { "Kakashi.Cli.dll", "Kakashi.Cli.runtimeconfig.json", "Kakashi.dll", "Microsoft.Extensions.Logging.Abstractions.dll", "Polly.Core.dll" })
            Assert.Contains($"tools/net10.0/any/{file}", entries);
        // no generator in a tool (it decodes; it compiles nothing), and no XML docs
        Assert.DoesNotContain(entries, e => e.StartsWith("tools/", StringComparison.Ordinal)
            && (e.Contains("Generators", StringComparison.Ordinal) || e.EndsWith(".xml", StringComparison.Ordinal) && !e.EndsWith("/DotnetToolSettings.xml", StringComparison.Ordinal)));
        Assert.Contains("tools/net10.0/any/Kakashi.Cli.pdb", Entries("Kakashi.Cli", symbols: true));
    }

    private string PackagePath(string id, bool symbols = false) => Path.Combine(packages.Feed, $"{id}.{packages.Version}.{(symbols ? "snupkg" : "nupkg")}");

    private HashSet<string> Entries(string id, bool symbols = false)
    {
        using var zip = ZipFile.OpenRead(PackagePath(id, symbols));
        return zip.Entries.Select(e => e.FullName).ToHashSet(StringComparer.Ordinal);
    }

    private string Read(string id, string entry)
    {
        using var zip = ZipFile.OpenRead(PackagePath(id));
        using var reader = new StreamReader(zip.GetEntry(entry)!.Open());
        return reader.ReadToEnd();
    }

    private XDocument Nuspec(string id) => XDocument.Parse(Read(id, $"{id}.nuspec"));

    private Dictionary<string, (string Version, string? Exclude)> Dependencies(string id)
        => Nuspec(id).Descendants().Where(e => e.Name.LocalName == "dependency")
            .ToDictionary(e => e.Attribute("id")!.Value, e => (e.Attribute("version")!.Value, e.Attribute("exclude")?.Value));
}
