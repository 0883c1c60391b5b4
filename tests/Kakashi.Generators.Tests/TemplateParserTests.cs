using Kakashi.Shared;
using System.Linq;

namespace Kakashi.Generators.Tests;

public class TemplateParserTests
{
    private static string Describe(string template)
    {
        var result = TemplateParser.Parse(template);
        if (result.Error is not null) return "error: " + result.Error;
        return string.Join("|", result.Segments.Select(s => s is string text ? "'" + text + "'" : Hole((TemplateParser.Hole)s)));
        static string Hole(TemplateParser.Hole h) => "{" + h.Name + (h.Alignment != 0 ? "," + h.Alignment : "") + (h.Format is null ? "" : ":" + h.Format) + "}";
    }

    [Theory]
    [InlineData("Order {OrderId} filled", "'Order '|{OrderId}|' filled'")]
    [InlineData("{A,5}{B,-3:F2}{C:yyyy-MM-dd HH:mm}", "{A,5}|{B,-3:F2}|{C:yyyy-MM-dd HH:mm}")]
    [InlineData("{{literal}} {A}", "'{literal} '|{A}")]
    [InlineData("{{{A}}}", "'{'|{A}|'}'")]
    [InlineData("no holes {{at}} all", "'no holes {{at}} all'")] // MEL writes a template without holes verbatim
    [InlineData("{{at}} {A}", "'{at} '|{A}")]
    [InlineData("{ Spaced , 4 }", "{Spaced,4}")]
    [InlineData("{A}{B}", "{A}|{B}")]
    [InlineData("", "")]
    [InlineData("unclosed {A", "'unclosed {A'")] // no complete hole: MEL renders it verbatim (the analyzer flags it)
    public void Parses_like_Microsoft_Extensions_Logging(string template, string expected)
        => Assert.Equal(expected, Describe(template));

    [Theory]
    [InlineData("{}")]
    [InlineData("{A,x}")]
    [InlineData("{A} then unclosed {B")]
    [InlineData("stray } brace {A}")]
    public void Reports_malformed_templates(string template)
        => Assert.StartsWith("error:", Describe(template), System.StringComparison.Ordinal);
}
