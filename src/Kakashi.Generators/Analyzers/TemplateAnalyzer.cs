using Kakashi.Shared;
using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace Kakashi.Generators.Analyzers;

/// <summary>
/// The message template: well formed (Microsoft.Extensions.Logging's rules, parsed by the generator's own
/// <see cref="TemplateParser"/>), every hole bound to a parameter and every parameter shown by a hole.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class TemplateAnalyzer : DiagnosticAnalyzer
{
    /// <summary>Diagnostic property: the hole's name as written (code fixes read it).</summary>
    public const string HoleProperty = "Hole";
    /// <summary>Diagnostic property: the hole's position in the message (code fixes read it).</summary>
    public const string HoleStartProperty = "HoleStart";
    /// <summary>Diagnostic property: the parameter a hole could be renamed to.</summary>
    public const string SuggestionProperty = "Suggestion";

    public static readonly DiagnosticDescriptor Malformed = Rule.Create(
        DiagnosticIds.MalformedTemplate, Rule.Template, DiagnosticSeverity.Error,
        "Malformed message template",
        "The message template of '{0}' is malformed: {1}",
        "Holes are {Name}, {Name,alignment}, {Name:format} or {Name,alignment:format} (Microsoft.Extensions.Logging's syntax); literal braces are written {{ and }}.");

    public static readonly DiagnosticDescriptor HoleWithoutParameter = Rule.Create(
        DiagnosticIds.HoleWithoutParameter, Rule.Template, DiagnosticSeverity.Error,
        "Template hole has no matching parameter",
        "Hole '{{{0}}}' of '{1}' matches no parameter{2}",
        "Each hole binds to the parameter of the same name (ignoring case); a hole without one cannot be filled.");

    public static readonly DiagnosticDescriptor ParameterNotInTemplate = Rule.Create(
        DiagnosticIds.ParameterNotInTemplate, Rule.Template, DiagnosticSeverity.Warning,
        "Parameter is not used by the template",
        "Parameter '{0}' of '{1}' is not used by any hole of the message: it is copied into every record and never shown",
        "Every argument is copied into the ring; one that no hole shows costs bytes and time for nothing. The logger, the level and exceptions are exempt.");

    public static readonly DiagnosticDescriptor DifferOnlyByCase = Rule.Create(
        DiagnosticIds.HolesDifferOnlyByCase, Rule.Template, DiagnosticSeverity.Error,
        "Template holes differ only by case",
        "Holes '{{{0}}}' and '{{{1}}}' of '{2}' differ only by case but bind to different parameters",
        "Structured outputs (JSON, OpenTelemetry) name properties after holes, case-insensitively: two such holes would collide.");

    public static readonly DiagnosticDescriptor NullMessage = Rule.Create(
        DiagnosticIds.NullMessage, Rule.Template, DiagnosticSeverity.Error,
        "Message must be a string constant",
        "The message of '{0}' is null: give a message template",
        "The message template is parsed at compile time; null has nothing to parse.");

    public static readonly DiagnosticDescriptor EmptyMessage = Rule.Create(
        DiagnosticIds.EmptyMessage, Rule.Template, DiagnosticSeverity.Warning,
        "Message is empty",
        "The message of '{0}' is empty: records will carry no text",
        "An empty message makes a record that says nothing but its level and event.");

    public static readonly DiagnosticDescriptor LevelPrefix = Rule.Create(
        DiagnosticIds.RedundantLevelPrefix, Rule.Template, DiagnosticSeverity.Info,
        "Message repeats the level",
        "The message of '{0}' starts with the level ('{1}'): the output template writes the level already",
        "Formatters write the level of every record ({Level}); a level in the message shows it twice and may contradict it.");

    public static readonly DiagnosticDescriptor ExceptionInTemplate = Rule.Create(
        DiagnosticIds.ExceptionInTemplate, Rule.Levels, DiagnosticSeverity.Warning,
        "Exception used as a template hole",
        "Hole '{{{0}}}' of '{1}' shows exception '{2}' in the message: it is rendered after the message already ({{Exception}}), and formatting it here calls ToString on the drain",
        "An Exception parameter is kept by reference and written after the message by the output template; showing it in the message renders it twice.");

    public static readonly DiagnosticDescriptor LoggerInTemplate = Rule.Create(
        DiagnosticIds.LoggerInTemplate, Rule.Levels, DiagnosticSeverity.Error,
        "Logger used as a template hole",
        "Hole '{{{0}}}' of '{1}' binds to the logger '{2}': the generator cannot write a logger into a record",
        "The logger selects where the record goes; it is not a value of the record (the generator skips such a method).");

    public static readonly DiagnosticDescriptor InvalidFormat = Rule.Create(
        DiagnosticIds.InvalidFormat, Rule.Template, DiagnosticSeverity.Error,
        "Format the argument's type rejects",
        "Hole '{{{0}}}' of '{3}' has format '{1}', which {2} rejects: every record would show a format-failure marker instead of the value",
        "The drain formats values with their type's own format parser; a format it rejects (a standard format letter the type does not know, a lone '%') can never render the value.");

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } =
        ImmutableArray.Create(Malformed, HoleWithoutParameter, ParameterNotInTemplate, DifferOnlyByCase, NullMessage, EmptyMessage, LevelPrefix, ExceptionInTemplate, LoggerInTemplate, InvalidFormat);

    // words that name a level at the start of a message, followed by ':', ' -' or inside [ ] / < >
    private static readonly string[] LevelWords =
    {
        "TRACE", "TRC", "VERBOSE", "DEBUG", "DBG", "INFORMATION", "INFO", "INF", "WARNING", "WARN", "WRN",
        "ERROR", "ERR", "CRITICAL", "CRIT", "CRT", "FATAL", "FTL",
    };

    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterCompilationStartAction(start =>
        {
            var symbols = KakashiSymbols.Create(start.Compilation);
            if (symbols is null) return;
            start.RegisterSymbolAction(c => LogMethod.ForEach(c, symbols, log => Analyze(c, symbols, log)), SymbolKind.NamedType);
        });
    }

    private static void Analyze(SymbolAnalysisContext context, KakashiSymbols symbols, LogMethod log)
    {
        var method = log.Symbol;
        string name = method.Name;

        if (log.Message is null)
        {
            if (log.MessageIsNull) context.ReportDiagnostic(Diagnostic.Create(NullMessage, log.MessageLocation, name));
            return;
        }
        string message = log.Message;
        if (message.Trim().Length == 0)
        {
            context.ReportDiagnostic(Diagnostic.Create(EmptyMessage, log.MessageLocation, name));
        }
        else if (LevelPrefixLength(message, out int prefixStart) is int prefixLength and > 0)
        {
            context.ReportDiagnostic(Diagnostic.Create(LevelPrefix, log.MessagePartLocation(prefixStart, prefixLength), name, message.Substring(prefixStart, prefixLength)));
        }

        var template = log.Template!;
        if (template.Error is not null)
        {
            context.ReportDiagnostic(Diagnostic.Create(Malformed, log.MessagePartLocation(template.ErrorStart, template.ErrorLength), name, template.Error));
            return;
        }
        if (template.Holes.Count == 0)
        {
            // MEL writes a template without holes verbatim, so the generator accepts it; a lone brace is still a mistake
            int stray = StrayBrace(message);
            if (stray >= 0)
                context.ReportDiagnostic(Diagnostic.Create(Malformed, log.MessagePartLocation(stray, 1), name, $"unbalanced '{message[stray]}' at position {stray} (write '{message[stray]}{message[stray]}' for a literal brace)"));
        }
        bool malformed = false;
        foreach (var hole in template.Holes)
        {
            string bindingName = LogMethod.BindingName(hole.Name);
            if (!IsValidName(bindingName))
            {
                malformed = true;
                context.ReportDiagnostic(Diagnostic.Create(Malformed, log.MessagePartLocation(hole.Start, hole.Length), name, $"hole name '{hole.Name}' has characters other than letters, digits and '_'"));
            }
        }
        if (malformed) return;

        var parameters = method.Parameters;
        // a message that is not a literal (a constant from elsewhere) has no per-hole location: say each thing once
        var reported = new HashSet<string>(StringComparer.Ordinal);
        void Report(DiagnosticDescriptor descriptor, Location location, ImmutableDictionary<string, string?>? properties, params object[] args)
        {
            if (reported.Add(descriptor.Id + "|" + location.SourceSpan + "|" + args[0]))
                context.ReportDiagnostic(Diagnostic.Create(descriptor, location, properties, args));
        }
        for (int h = 0; h < template.Holes.Count; h++)
        {
            var hole = template.Holes[h];
            int target = log.HoleTargets[h];
            var location = log.MessagePartLocation(hole.Start, hole.Length);
            if (target < 0)
            {
                string? suggestion = Closest(LogMethod.BindingName(hole.Name), log, symbols);
                var properties = ImmutableDictionary<string, string?>.Empty
                    .Add(HoleProperty, hole.Name)
                    .Add(HoleStartProperty, hole.Start.ToString(System.Globalization.CultureInfo.InvariantCulture))
                    .Add(SuggestionProperty, suggestion);
                Report(HoleWithoutParameter, location, properties, hole.Name, name, suggestion is null ? "" : $" (did you mean '{suggestion}'?)");
                continue;
            }
            var parameter = parameters[target];
            if (symbols.IsLogger(parameter.Type) && (target == log.LoggerParameter || !method.IsStatic))
                Report(LoggerInTemplate, location, null, LogMethod.BindingName(hole.Name), name, parameter.Name);
            else if (symbols.IsException(parameter.Type))
                Report(ExceptionInTemplate, location, null, LogMethod.BindingName(hole.Name), name, parameter.Name);
            else if (hole.Format is { } format && FormatCheck.Rejects(parameter.Type, format, out string typeName))
                Report(InvalidFormat, location, null, hole.Name, format, typeName, name);

            for (int other = 0; other < h; other++)
            {
                var previous = template.Holes[other];
                string a = LogMethod.BindingName(previous.Name), b = LogMethod.BindingName(hole.Name);
                if (log.HoleTargets[other] >= 0 && log.HoleTargets[other] != target && string.Equals(a, b, StringComparison.OrdinalIgnoreCase))
                {
                    Report(DifferOnlyByCase, location, null, previous.Name, hole.Name, name);
                    break;
                }
            }
        }

        for (int i = 0; i < parameters.Length; i++)
        {
            var type = parameters[i].Type;
            if (log.IsUsedByHole(i) || symbols.IsLogger(type) || symbols.IsLogLevel(type) || symbols.IsException(type) || type.TypeKind == TypeKind.Error) continue;
            context.ReportDiagnostic(Diagnostic.Create(ParameterNotInTemplate, log.ParameterLocation(i), parameters[i].Name, name));
        }
    }

    /// <summary>The unused parameter whose name is closest to the hole's (for "did you mean"), or null.</summary>
    private static string? Closest(string hole, LogMethod log, KakashiSymbols symbols)
    {
        string? best = null;
        int bestDistance = int.MaxValue;
        var parameters = log.Parameters;
        for (int i = 0; i < parameters.Length; i++)
        {
            var type = parameters[i].Type;
            if (log.IsUsedByHole(i) || symbols.IsLogger(type) || i == log.LevelParameter) continue;
            int distance = Distance(hole.ToUpperInvariant(), parameters[i].Name.ToUpperInvariant());
            if (distance < bestDistance)
            {
                bestDistance = distance;
                best = parameters[i].Name;
            }
        }
        // a suggestion only when it is plausibly a typo or a rename: at most half of the longer name differs
        return best is not null && bestDistance * 2 <= Math.Max(hole.Length, best.Length) ? best : null;
    }

    /// <summary>Levenshtein distance.</summary>
    internal static int Distance(string a, string b)
    {
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (int j = 0; j <= b.Length; j++) previous[j] = j;
        for (int i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (int j = 1; j <= b.Length; j++)
            {
                int cost = a[i - 1] == b[j - 1] ? 0 : 1;
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + cost);
            }
            (previous, current) = (current, previous);
        }
        return previous[b.Length];
    }

    internal static bool IsValidName(string name)
    {
        if (name.Length == 0) return false;
        foreach (char c in name)
            if (!char.IsLetterOrDigit(c) && c != '_') return false;
        return true;
    }

    /// <summary>Position of the first brace that is neither doubled nor part of a hole (in a template without holes), or -1.</summary>
    internal static int StrayBrace(string message)
    {
        for (int i = 0; i < message.Length; i++)
        {
            char c = message[i];
            if (c != '{' && c != '}') continue;
            if (i + 1 < message.Length && message[i + 1] == c)
            {
                i++;
                continue;
            }
            return i;
        }
        return -1;
    }

    /// <summary>Length of a level prefix ("ERROR:", "[WARN]", "Info -"...) after leading spaces, or 0.</summary>
    internal static int LevelPrefixLength(string message, out int start)
    {
        start = 0;
        while (start < message.Length && message[start] == ' ') start++;
        int i = start;
        char open = i < message.Length && (message[i] == '[' || message[i] == '<') ? message[i] : '\0';
        if (open != '\0') i++;
        int wordStart = i;
        while (i < message.Length && char.IsLetter(message[i])) i++;
        string word = message.Substring(wordStart, i - wordStart).ToUpperInvariant();
        if (Array.IndexOf(LevelWords, word) < 0) return 0;
        if (open != '\0')
        {
            char close = open == '[' ? ']' : '>';
            return i < message.Length && message[i] == close ? i + 1 - start : 0;
        }
        if (i < message.Length && message[i] == ':') return i + 1 - start;
        if (i + 1 < message.Length && message[i] == ' ' && message[i + 1] == '-') return i + 2 - start;
        return 0;
    }
}
