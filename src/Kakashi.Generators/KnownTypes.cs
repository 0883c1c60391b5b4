namespace Kakashi.Generators;

/// <summary>Metadata names of the types the generator (and the analyzers) look for.</summary>
internal static class KnownTypes
{
    public const string KakashiLogAttribute = "Kakashi.KakashiLogAttribute";
    public const string KakashiLogger = "Kakashi.KakashiLogger";
    public const string LogLevel = "Microsoft.Extensions.Logging.LogLevel";
    public const string Exception = "System.Exception";
    public const string Utf8SpanFormattable = "System.IUtf8SpanFormattable";
    public const string SpanFormattable = "System.ISpanFormattable";
    public const string ReadOnlySpan = "System.ReadOnlySpan`1";
    public const string Span = "System.Span`1";
}
