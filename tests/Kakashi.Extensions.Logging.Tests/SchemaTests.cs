using System;
using System.IO;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Text.Json;

namespace Kakashi.Extensions.Logging.Tests;

public class SchemaTests
{
    private static string SchemaPath([CallerFilePath] string here = "") => Path.GetFullPath(Path.Combine(Path.GetDirectoryName(here)!, "../../docs/appsettings.schema.json"));

    /// <summary>
    /// docs/appsettings.schema.json is what the binder binds: regenerated here and compared. On a difference the new schema
    /// is written beside it (.new) and the test fails: review and copy it over (KAKASHI_UPDATE_SCHEMA=1 writes it in place).
    /// </summary>
    [Fact]
    public void The_committed_schema_is_the_one_generated_from_the_binder()
    {
        string generated = KakashiConfigurationSchema.Generate();
        string path = SchemaPath();
        string committed = File.Exists(path) ? File.ReadAllText(path) : "";
        if (committed == generated) return;
        if (Environment.GetEnvironmentVariable("KAKASHI_UPDATE_SCHEMA") == "1")
        {
            File.WriteAllText(path, generated);
            return;
        }
        File.WriteAllText(path + ".new", generated);
        Assert.Fail($"docs/appsettings.schema.json differs from the binder's schema: see {path}.new (or run the test with KAKASHI_UPDATE_SCHEMA=1).");
    }

    [Fact]
    public void The_schema_lists_every_bindable_option_and_each_writer_alias()
    {
        using var schema = JsonDocument.Parse(KakashiConfigurationSchema.Generate());
        var definitions = schema.RootElement.GetProperty("definitions");
        var pipeline = definitions.GetProperty("AsyncPipelineConfig").GetProperty("properties");
        foreach (var name in new[] { "MinLevel", "CategoryLevels", "BufferSize", "Backpressure", "FlushInterval", "Formatter", "Writers", "Enrichers", "Preset", "IncludeScopes", "ShutdownTimeout" })
            Assert.True(pipeline.TryGetProperty(name, out _), name);
        Assert.False(pipeline.TryGetProperty("TimeProvider", out _)); // set in code only
        var writers = definitions.GetProperty("Writer").GetProperty("anyOf").EnumerateArray().Skip(1).ToList();
        var file = writers.Single(w => w.GetProperty("properties").GetProperty("Type").GetProperty("enum").EnumerateArray().Any(e => e.GetString() == "File"));
        foreach (var name in new[] { "Path", "RollingInterval", "FileSizeLimitBytes", "RetainedFileCountLimit", "Formatter", "MinLevel", "WriteTimeout", "Retry", "Spool" })
            Assert.True(file.GetProperty("properties").TryGetProperty(name, out _), name);
        Assert.Equal(["Type", "Path"], file.GetProperty("required").EnumerateArray().Select(e => e.GetString()));
        Assert.False(file.GetProperty("additionalProperties").GetBoolean());
    }
}

public class SchemaValidationTests
{
    private static Json.Schema.JsonSchema Schema() => Json.Schema.JsonSchema.FromText(KakashiConfigurationSchema.Generate());

    private static bool Valid(string json)
    {
        using var document = JsonDocument.Parse(json);
        return Schema().Evaluate(document.RootElement).IsValid;
    }

    [Fact]
    public void The_every_option_sample_is_valid_against_the_schema() => Assert.True(Valid(ConfigurationTests.SampleJson("/var/log/app.json", "/var/spool/app")));

    [Theory]
    [InlineData("""{ "Kakashi": { "MinLevel": "Verbose" } }""")]
    [InlineData("""{ "Kakashi": { "BufferSzie": 1024 } }""")]
    [InlineData("""{ "Kakashi": { "FlushInterval": "soon" } }""")]
    [InlineData("""{ "Kakashi": { "Writers": [ { "Path": "x.log" } ] } }""")]
    [InlineData("""{ "Kakashi": { "Writers": [ { "Type": "File" } ] } }""")]
    [InlineData("""{ "Kakashi": { "Writers": [ { "Type": "File", "Path": "a.log", "RollingInterval": "Weekly" } ] } }""")]
    [InlineData("""{ "Kakashi": { "Writers": [ { "Type": "Console", "Path": "a.log" } ] } }""")]
    public void Mistakes_the_binder_refuses_are_flagged_by_the_schema_too(string json) => Assert.False(Valid(json));
}
