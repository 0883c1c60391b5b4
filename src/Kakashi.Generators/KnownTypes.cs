namespace Kakashi.Generators;

/// <summary>Metadata names of the types the generator and the analyzers look for: the one place they are spelled out.</summary>
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
    public const string TimeSpan = "System.TimeSpan";
    public const string GeneratedCodeAttribute = "System.CodeDom.Compiler.GeneratedCodeAttribute";

    // configuration the analyzers check (Analyzers/ConfigurationRules.cs has the ranges); a type that does not exist yet
    // is simply not found, so a rule starts working when its type lands in the runtime
    public const string AsyncPipelineConfig = "Kakashi.AsyncPipelineConfig";
    public const string BackpressureConfig = "Kakashi.BackpressureConfig";
    public const string LogWriter = "Kakashi.LogWriter";
    public const string AsyncFileWriter = "Kakashi.AsyncFileWriter";
    public const string RetryOptions = "Kakashi.RetryOptions";
    public const string CircuitBreakerOptions = "Kakashi.CircuitBreakerOptions";
    public const string FsyncPolicy = "Kakashi.FsyncPolicy";
    public const string DropStrategy = "Kakashi.DropStrategy";
    public const string KakashiLogging = "Kakashi.KakashiLogging";
}
