using System.Threading.Tasks;
using Kakashi.Analyzers.Tests.Infrastructure;
using Kakashi.CodeFixes;
using Kakashi.Generators.Analyzers;

namespace Kakashi.Analyzers.Tests;

public class PresetAnalyzerTests
{
    private static string Wrap(string body) => Verify.Usings + Stubs.KakashiLogging + """
        public static class Program
        {
            public static void Main(string variable)
            {
        """ + body + """
            }
        }
        """;

    [Fact]
    public Task Known_and_non_constant_presets_report_nothing() => Verify.AnalyzerAsync<PresetAnalyzer>(Wrap("""
                KakashiLogging.Setup("production", asyncLogging: true);
                KakashiLogging.Setup("web-server", false);
                KakashiLogging.Setup(variable, true);
                KakashiLogging.Setup("Production"); // ASP.NET Core's environment names: any case
        """));

    [Fact]
    public Task KAK059_unknown_preset() => Verify.AnalyzerAsync<PresetAnalyzer>(Wrap("""
                KakashiLogging.Setup({|KAK059:"prod"|}, true);
                KakashiLogging.Setup({|KAK059:"Prod"|}, true);
                KakashiLogging.Setup(asyncLogging: false, environment: {|KAK059:"webserver"|});
        """));

    [Fact]
    public Task Fix_uses_the_closest_preset() => Verify.CodeFixAsync<PresetAnalyzer, PresetCodeFixProvider>(
        Wrap("""
                KakashiLogging.Setup({|KAK059:"developement"|}, true);
        """),
        Wrap("""
                KakashiLogging.Setup("development", true);
        """));
}
