namespace Kakashi.Analyzers.Tests.Infrastructure;

/// <summary>
/// Stand-ins for runtime types that do not exist yet (the analyzers key on metadata names and base types, so they work as
/// soon as the real types land). A stub is only added while the runtime lacks the type.
/// </summary>
internal static class Stubs
{
    private static bool Missing(string metadataName) => typeof(Kakashi.KakashiLogger).Assembly.GetType(metadataName) is null;

    /// <summary><c>KakashiLogging.Setup(string preset, bool asyncLogging)</c>, from the presets issue.</summary>
    public static string KakashiLogging => Missing("Kakashi.KakashiLogging") ? """
        namespace Kakashi
        {
            public static class KakashiLogging
            {
                public static void Setup(string environment, bool asyncLogging = true) { }
            }
        }

        """ : "";

    /// <summary>Network writers (HTTP batches, syslog), from the network writers issue: a LogWriter with an endpoint.</summary>
    public static string NetworkWriters => """
        public sealed class HttpBatchWriter(string endpoint) : LogWriter
        {
            public string Endpoint { get; init; } = endpoint;
            public int BatchSize { get; init; } = 65536;
        }
        public sealed class SyslogWriter(string endpoint) : LogWriter
        {
        }

        """;
}
