using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace Kakashi.Generators.Tests;

/// <summary>The incremental pipeline caches: an edit that does not touch a log method regenerates nothing.</summary>
public class CachingTests
{
    private const string Source = """
        using Kakashi;
        using Microsoft.Extensions.Logging;
        namespace Demo;
        public static partial class TradeLog
        {
            [KakashiLog(LogLevel.Information, "Order {OrderId} filled {Quantity}")]
            public static partial void OrderFilled(this KakashiLogger logger, int orderId, int quantity);

            [KakashiLog(LogLevel.Information, "Order {OrderId} cancelled by {Trader}")]
            public static partial void OrderCancelled(this KakashiLogger logger, int orderId);
        }
        """;

    [Fact]
    public void Unrelated_edit_is_served_from_the_cache()
    {
        var compilation = GeneratorHarness.Compile(Source, "namespace Demo; public class Other { }");
        var driver = GeneratorHarness.CreateDriver(trackSteps: true).RunGenerators(compilation);

        // edit the other file only
        var other = compilation.SyntaxTrees.Last();
        var edited = compilation.ReplaceSyntaxTree(other, CSharpSyntaxTree.ParseText("namespace Demo; public class Other { public int X; }", GeneratorHarness.ParseOptions, path: other.FilePath));
        driver = driver.RunGenerators(edited);

        var result = driver.GetRunResult().Results.Single();
        var methods = result.TrackedSteps[KakashiLogGenerator.TrackingNames.Methods];
        var generatable = result.TrackedSteps[KakashiLogGenerator.TrackingNames.Generatable];
        var stubs = result.TrackedSteps[KakashiLogGenerator.TrackingNames.Stubs];
        Assert.Equal(2, methods.SelectMany(s => s.Outputs).Count());
        Assert.All(methods.SelectMany(s => s.Outputs), o => Assert.True(o.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, o.Reason.ToString()));
        Assert.Single(generatable.SelectMany(s => s.Outputs));
        Assert.All(generatable.SelectMany(s => s.Outputs), o => Assert.Equal(IncrementalStepRunReason.Cached, o.Reason));
        Assert.Single(stubs.SelectMany(s => s.Outputs));
        Assert.All(stubs.SelectMany(s => s.Outputs), o => Assert.Equal(IncrementalStepRunReason.Cached, o.Reason));
        Assert.NotEmpty(result.TrackedOutputSteps.SelectMany(s => s.Value).SelectMany(s => s.Outputs));
        Assert.All(result.TrackedOutputSteps.SelectMany(s => s.Value).SelectMany(s => s.Outputs), o => Assert.Equal(IncrementalStepRunReason.Cached, o.Reason));
    }

    [Fact]
    public void Editing_the_log_method_regenerates_it()
    {
        var compilation = GeneratorHarness.Compile(Source);
        var driver = GeneratorHarness.CreateDriver(trackSteps: true).RunGenerators(compilation);
        var tree = compilation.SyntaxTrees.Single();
        var edited = compilation.ReplaceSyntaxTree(tree, CSharpSyntaxTree.ParseText(Source.Replace("filled {Quantity}", "filled {Quantity} now", System.StringComparison.Ordinal), GeneratorHarness.ParseOptions, path: tree.FilePath));
        driver = driver.RunGenerators(edited);
        var result = driver.GetRunResult().Results.Single();
        var outputs = result.TrackedSteps[KakashiLogGenerator.TrackingNames.Generatable].SelectMany(s => s.Outputs).ToList();
        Assert.Contains(outputs, o => o.Reason == IncrementalStepRunReason.Modified);
        Assert.Contains("filled {Quantity} now", result.GeneratedSources.Single(s => s.HintName.Contains("OrderFilled", System.StringComparison.Ordinal)).SourceText.ToString(), System.StringComparison.Ordinal);
        // the stub of the other method is left alone
        Assert.All(result.TrackedSteps[KakashiLogGenerator.TrackingNames.Stubs].SelectMany(s => s.Outputs), o => Assert.True(o.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, o.Reason.ToString()));
    }

    [Fact]
    public void Fixing_a_stubbed_method_replaces_its_stub_with_the_generated_body()
    {
        var compilation = GeneratorHarness.Compile(Source);
        var driver = GeneratorHarness.CreateDriver(trackSteps: true).RunGenerators(compilation);
        Assert.Single(driver.GetRunResult().GeneratedTrees, t => t.FilePath.EndsWith(".Stub.g.cs", System.StringComparison.Ordinal));

        var tree = compilation.SyntaxTrees.Single();
        var edited = compilation.ReplaceSyntaxTree(tree, CSharpSyntaxTree.ParseText(Source.Replace("int orderId);", "int orderId, string trader);", System.StringComparison.Ordinal), GeneratorHarness.ParseOptions, path: tree.FilePath));
        driver = driver.RunGenerators(edited);
        var result = driver.GetRunResult().Results.Single();
        Assert.Equal(2, result.GeneratedSources.Length);
        Assert.DoesNotContain(result.GeneratedSources, s => s.HintName.EndsWith(".Stub.g.cs", System.StringComparison.Ordinal));
        Assert.Contains(result.TrackedSteps[KakashiLogGenerator.TrackingNames.Stubs].SelectMany(s => s.Outputs), o => o.Reason == IncrementalStepRunReason.Removed);
    }

    [Fact]
    public void The_model_holds_no_symbols_or_syntax()
    {
        // every property type of the pipeline models must be a value-equatable type (string, primitive, enum or model)
        var modelTypes = typeof(KakashiLogGenerator).Assembly.GetTypes().Where(t => t.Namespace == "Kakashi.Generators.Model").ToList();
        foreach (var type in modelTypes)
        {
            foreach (var property in type.GetProperties())
            {
                var pt = property.PropertyType;
                Assert.False(typeof(ISymbol).IsAssignableFrom(pt) || typeof(SyntaxNode).IsAssignableFrom(pt) || pt == typeof(Compilation) || typeof(SemanticModel).IsAssignableFrom(pt),
                    $"{type.Name}.{property.Name} is a {pt.Name}");
            }
        }
    }
}
