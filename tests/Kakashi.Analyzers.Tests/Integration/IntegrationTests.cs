using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;

namespace Kakashi.Analyzers.Tests.Integration;

/// <summary>
/// The analyzers against whole projects: the demo and a fixture of every supported shape compile with warnings as errors and
/// no Kakashi diagnostic; a deliberately broken project, built by the real SDK, lists the expected ids.
/// </summary>
public class IntegrationTests
{
    private static string Root => Compiler.RepositoryRoot();

    [Fact]
    public async Task Clean_fixture_has_no_diagnostics()
    {
        var diagnostics = await Compiler.CompileAsync(OutputKind.DynamicallyLinkedLibrary, Path.Combine(Root, "tests", "Kakashi.Analyzers.Tests", "Integration", "Fixtures", "CleanLog.cs"));
        Assert.True(diagnostics.IsEmpty, Compiler.Describe(diagnostics));
    }

    [Fact]
    public async Task Demo_has_no_Kakashi_diagnostics()
    {
        // the demo's log methods and their call sites; errors elsewhere (the runtime API moving under the demo) are the
        // solution build's business, not the analyzers'
        var files = Directory.GetFiles(Path.Combine(Root, "samples", "Kakashi.Demo"), "*.cs");
        var diagnostics = await Compiler.CompileAsync(OutputKind.ConsoleApplication, files);
        var kakashi = diagnostics.Where(d => d.Id.StartsWith("KAK", StringComparison.Ordinal) || d.Id == "CS8795").ToList();
        Assert.True(kakashi.Count == 0, string.Join(Environment.NewLine, kakashi));
    }

    [Fact]
    public async Task Broken_project_build_lists_the_expected_ids()
    {
        string project = Path.Combine(Root, "tests", "Kakashi.Analyzers.Tests", "Integration", "Broken", "Broken.csproj");
#if DEBUG
        const string configuration = "Debug";
#else
        const string configuration = "Release";
#endif
        // the generator/analyzer assembly and the runtime are already built (they are this test project's references);
        // no build server, so the compiler loads the current analyzer assembly
        var start = new ProcessStartInfo("dotnet", ["build", project, "-c", configuration, "-p:BuildProjectReferences=false", "-p:UseSharedCompilation=false", "-nologo", "-v:q", "-clp:NoSummary"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        string output = await stdout + await stderr;

        Assert.NotEqual(0, process.ExitCode);
        string[] expected = ["KAK013", "KAK022", "KAK023", "KAK031", "KAK033", "KAK035", "KAK036", "KAK040", "KAK041", "KAK042",
                             "KAK050", "KAK051", "KAK052", "KAK053", "KAK054", "KAK055", "KAK056", "KAK057",
                             // Stubbed.cs: methods the generator cannot write get a stub, so their reasons are reported too
                             "KAK003", "KAK004", "KAK006", "KAK010", "KAK011", "KAK012", "KAK020", "KAK021", "KAK024", "KAK030", "KAK032", "KAK037"];
        var reported = Ids(output);
        Assert.True(reported.SetEquals(expected), $"expected {string.Join(", ", expected.Order())}{Environment.NewLine}got {string.Join(", ", reported.Order())} in:{Environment.NewLine}{output}");
        // only the analyzers' reasons: no "partial method must have an implementation part" (CS8795) or other compiler error
        Assert.DoesNotMatch(@"error CS\d{4}", output);
    }

    [Fact]
    public async Task Misuses_no_stub_can_fix_get_their_reason_in_the_IDE()
    {
        var diagnostics = await Compiler.CompileAsync(OutputKind.DynamicallyLinkedLibrary, Path.Combine(Root, "tests", "Kakashi.Analyzers.Tests", "Integration", "Fixtures", "Blocking.cs"));
        var kakashi = diagnostics.Where(d => d.Id.StartsWith("KAK", StringComparison.Ordinal)).Select(d => d.Id).ToHashSet();
        string[] expected = ["KAK001", "KAK005"];
        Assert.True(kakashi.SetEquals(expected), $"got {string.Join(", ", kakashi.Order())}{Environment.NewLine}{Compiler.Describe(diagnostics)}");
        // what a command-line build shows for them (and stops at, before analyzers run)
        var compiler = diagnostics.Where(d => d.Id.StartsWith("CS", StringComparison.Ordinal)).Select(d => d.Id).ToHashSet();
        Assert.True(compiler.SetEquals(["CS0501", "CS0751", "CS8795"]), $"got {string.Join(", ", compiler.Order())}{Environment.NewLine}{Compiler.Describe(diagnostics)}");
    }

    [Fact]
    public async Task Misuses_that_stop_the_generator_compile_with_a_stub()
    {
        // Broken/Stubbed.cs in process (as the IDE sees it): the stubs compile, and each misuse has its Kakashi reason
        var diagnostics = await Compiler.CompileAsync(OutputKind.DynamicallyLinkedLibrary, Path.Combine(Root, "tests", "Kakashi.Analyzers.Tests", "Integration", "Broken", "Stubbed.cs"));
        Assert.True(diagnostics.All(d => d.Id.StartsWith("KAK", StringComparison.Ordinal)), Compiler.Describe(diagnostics));
        var kakashi = diagnostics.Select(d => d.Id).ToHashSet();
        string[] expected = ["KAK003", "KAK004", "KAK006", "KAK010", "KAK011", "KAK012", "KAK020", "KAK021", "KAK022", "KAK024", "KAK030", "KAK032", "KAK037", "KAK040"];
        Assert.True(kakashi.SetEquals(expected), $"got {string.Join(", ", kakashi.Order())}{Environment.NewLine}{Compiler.Describe(diagnostics)}");
    }

    private static System.Collections.Generic.HashSet<string> Ids(string output)
        => System.Text.RegularExpressions.Regex.Matches(output, @"(?:error|warning) (KAK\d{3}):").Select(m => m.Groups[1].Value).ToHashSet();
}
