using Microsoft.CodeAnalysis;

namespace Kakashi.Generators.Analyzers;

/// <summary>Builds descriptors the same way for every analyzer: id, help link to docs/diagnostics.md, enabled by default.</summary>
internal static class Rule
{
    public const string MethodShape = "Kakashi.MethodShape";
    public const string LoggerSource = "Kakashi.LoggerSource";
    public const string Template = "Kakashi.Template";
    public const string Levels = "Kakashi.Levels";
    public const string HotPath = "Kakashi.HotPath";
    public const string Configuration = "Kakashi.Configuration";

    public static DiagnosticDescriptor Create(string id, string category, DiagnosticSeverity severity, string title, string message, string description, params string[] customTags)
        => new(id, title, message, category, severity, isEnabledByDefault: true, description, DiagnosticIds.HelpLink(id), customTags);
}
