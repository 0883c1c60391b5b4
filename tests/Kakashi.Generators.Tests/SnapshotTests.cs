using System;
using System.IO;
using System.Linq;

namespace Kakashi.Generators.Tests;

/// <summary>
/// The generated code of each supported method shape, compared with approved files in Snapshots/. When the generator
/// changes on purpose, run the tests with <c>KAKASHI_ACCEPT_SNAPSHOTS=1</c>, review the diff of Snapshots/ and commit it.
/// </summary>
public class SnapshotTests
{
    private const string Usings = "using System;\nusing Kakashi;\nusing Microsoft.Extensions.Logging;\n";

    public static TheoryData<string, string> Shapes => new()
    {
        { "StaticExtension", Usings + """
            namespace Demo;
            public static partial class TradeLog
            {
                [KakashiLog(LogLevel.Information, "Order {OrderId} filled {Quantity} at {Price} for {Symbol}", EventId = 1001)]
                public static partial void OrderFilled(this KakashiLogger logger, int orderId, int quantity, double price, string symbol);
            }
            """ },
        { "InstancePrimaryConstructor", Usings + """
            namespace Demo;
            public partial class MatchingEngine(KakashiLogger log)
            {
                [KakashiLog(LogLevel.Debug, "Tick {Bid}/{Ask}")]
                private partial void Tick(decimal bid, decimal ask);
            }
            """ },
        { "InstanceField", Usings + """
            namespace Demo;
            public partial struct Session
            {
                private readonly KakashiLogger _logger;
                public Session(KakashiLogger logger) => _logger = logger;
                [KakashiLog(LogLevel.Warning, "Session {Id} idle for {Idle:c}")]
                internal partial void Idle(Guid id, TimeSpan idle);
            }
            """ },
        { "NestedGenericRecord", Usings + """
            namespace Demo.Deep;
            public partial class Outer<T> where T : class
            {
                internal partial record struct Inner(KakashiLogger Logger)
                {
                    [KakashiLog(LogLevel.Error, "Failed {Operation} after {Attempts} attempts")]
                    public partial void Failed(string operation, int attempts, Exception? error);
                }
            }
            """ },
        { "LevelParameterAndKeywords", Usings + """
            public static partial class GlobalLog
            {
                [KakashiLog("Event {Event} in {Class,-10} at {When:yyyy-MM-dd}", EventName = "Evt")]
                public static partial void Event(KakashiLogger logger, LogLevel level, string @event, int @class, DateTime when);
            }
            """ },
        { "AllEncodings", Usings + """
            namespace Demo;
            public enum Side { Buy, Sell }
            public readonly struct Tag(string s) : IUtf8SpanFormattable
            {
                public bool TryFormat(Span<byte> d, out int w, ReadOnlySpan<char> f, IFormatProvider? p) => System.Text.Unicode.Utf8.FromUtf16(s, d, out _, out w) == System.Buffers.OperationStatus.Done;
            }
            public static partial class Encodings
            {
                [KakashiLog(LogLevel.Information, "{A} {B} {C} {D} {E} {F} {G} {H} {I:X}")]
                public static partial void All(this KakashiLogger logger, in decimal a, int? b, Side c, Side? d, ReadOnlySpan<char> e, Tag f, object? g, ref readonly DateTimeOffset h, Tag i);
            }
            """ },
        // methods the generator cannot write: a stub that compiles, does nothing and points at the KAK diagnostics
        { "StubGenericExtension", Usings + """
            using System.Collections.Generic;
            namespace Demo;
            public static partial class Lookups
            {
                [KakashiLog(LogLevel.Information, "Found {Key}")]
                public static partial bool TryFind<TKey, TValue>(this KakashiLogger logger, TKey key, out TValue? value, params IEnumerable<TValue> candidates)
                    where TKey : notnull, IComparable<TKey>
                    where TValue : class, new();
            }
            """ },
        { "StubInstanceNested", Usings + """
            namespace Demo.Deep;
            public partial class Outer<T> where T : struct
            {
                internal readonly partial struct Inner
                {
                    [KakashiLog(LogLevel.Debug, "Tick {Bid}")]
                    private partial ref readonly T Tick(scoped in T bid, ref int count);
                }
            }
            """ },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Generated_code_matches_the_approved_snapshot(string name, string source)
    {
        var (sources, diagnostics) = GeneratorHarness.Run(source);
        Assert.Empty(diagnostics); // the generated code compiles cleanly with warnings
        var generated = Assert.Single(sources);
        string received = generated.SourceText.ToString().Replace("\r\n", "\n", StringComparison.Ordinal);

        string approvedPath = Path.Combine(GeneratorHarness.SnapshotFolder(), name + ".g.cs");
        string receivedPath = Path.Combine(GeneratorHarness.SnapshotFolder(), name + ".received.cs");
        if (Environment.GetEnvironmentVariable("KAKASHI_ACCEPT_SNAPSHOTS") == "1")
        {
            File.WriteAllText(approvedPath, received);
            if (File.Exists(receivedPath)) File.Delete(receivedPath);
            return;
        }
        string approved = File.Exists(approvedPath) ? File.ReadAllText(approvedPath).Replace("\r\n", "\n", StringComparison.Ordinal) : "";
        if (approved != received)
        {
            File.WriteAllText(receivedPath, received);
            Assert.Fail($"Generated code for {name} differs from {approvedPath}; see {receivedPath}. If the change is intended, rerun with KAKASHI_ACCEPT_SNAPSHOTS=1 and commit Snapshots/.");
        }
    }

    [Fact]
    public void Every_snapshot_file_belongs_to_a_shape()
    {
        var names = Shapes.Select(row => (string)row[0]).ToHashSet();
        foreach (var file in Directory.GetFiles(GeneratorHarness.SnapshotFolder(), "*.g.cs"))
        {
            Assert.Contains(Path.GetFileName(file)[..^".g.cs".Length], names);
        }
    }
}
