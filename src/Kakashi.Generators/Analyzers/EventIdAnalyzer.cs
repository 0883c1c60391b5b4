using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace Kakashi.Generators.Analyzers;

/// <summary>
/// Event ids and names identify a kind of record in dashboards and alerts: two log methods with the same one are two
/// different events that look like one. Duplicates in a type are a warning; across the assembly, information.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class EventIdAnalyzer : DiagnosticAnalyzer
{
    public static readonly DiagnosticDescriptor DuplicateInType = Rule.Create(
        DiagnosticIds.DuplicateEventIdInType, Rule.Levels, DiagnosticSeverity.Warning,
        "Duplicate event id in a type",
        "'{0}' uses EventId {1}, like '{2}' in the same type",
        "Two log methods of one type with the same event id cannot be told apart by the id.");

    public static readonly DiagnosticDescriptor DuplicateInAssembly = Rule.Create(
        DiagnosticIds.DuplicateEventIdInAssembly, Rule.Levels, DiagnosticSeverity.Info,
        "Duplicate event id in the assembly",
        "'{0}' uses EventId {1}, like '{2}'",
        "Event ids are usually unique in an application; a repeated one makes alerts and queries on the id ambiguous.",
        WellKnownDiagnosticTags.CompilationEnd);

    public static readonly DiagnosticDescriptor DuplicateName = Rule.Create(
        DiagnosticIds.DuplicateEventName, Rule.Levels, DiagnosticSeverity.Warning,
        "Duplicate event name in a type",
        "'{0}' uses the event name '{1}', like '{2}' in the same type",
        "The event name (EventName, else the method name) identifies the event; two methods of a type should not share it.");

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(DuplicateInType, DuplicateInAssembly, DuplicateName);

    private sealed class Entry
    {
        public Entry(LogMethod log) => Log = log;
        public LogMethod Log { get; }
        public Location Location => Log.EventIdExpression?.GetLocation() ?? Log.Location;
        public string Name => Log.Symbol.ContainingType.Name + "." + Log.Symbol.Name;
    }

    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterCompilationStartAction(start =>
        {
            var symbols = KakashiSymbols.Create(start.Compilation);
            if (symbols is null) return;
            var all = new ConcurrentBag<Entry>();
            start.RegisterSymbolAction(c => AnalyzeType(c, symbols, all), SymbolKind.NamedType);
            start.RegisterCompilationEndAction(c => AnalyzeAssembly(c, all));
        });
    }

    private static void AnalyzeType(SymbolAnalysisContext context, KakashiSymbols symbols, ConcurrentBag<Entry> all)
    {
        var type = (INamedTypeSymbol)context.Symbol;
        List<Entry>? entries = null;
        foreach (var member in type.GetMembers())
        {
            if (member is not IMethodSymbol method || method.PartialDefinitionPart is not null) continue;
            var log = LogMethod.Create(method, symbols, context.CancellationToken);
            if (log is null) continue;
            (entries ??= new List<Entry>()).Add(new Entry(log));
        }
        if (entries is null) return;
        entries.Sort((a, b) => Order(a.Log.Location, b.Log.Location));

        var ids = new Dictionary<int, Entry>();
        var names = new Dictionary<string, Entry>(System.StringComparer.Ordinal);
        foreach (var entry in entries)
        {
            var log = entry.Log;
            if (log.HasEventId && log.EventId != 0)
            {
                all.Add(entry);
                if (ids.TryGetValue(log.EventId, out var first))
                    context.ReportDiagnostic(Diagnostic.Create(DuplicateInType, entry.Location, new[] { first.Location }, log.Symbol.Name, log.EventId, first.Log.Symbol.Name));
                else
                    ids.Add(log.EventId, entry);
            }
            // the effective event name; overloads that both keep the default name are a deliberate API, not a clash
            string name = log.EventName ?? log.Symbol.Name;
            if (names.TryGetValue(name, out var same))
            {
                if (log.EventName is not null || same.Log.EventName is not null)
                    context.ReportDiagnostic(Diagnostic.Create(DuplicateName, log.EventNameExpression?.GetLocation() ?? log.Location, new[] { same.Log.EventNameExpression?.GetLocation() ?? same.Log.Location }, log.Symbol.Name, name, same.Log.Symbol.Name));
            }
            else
            {
                names.Add(name, entry);
            }
        }
    }

    private static void AnalyzeAssembly(CompilationAnalysisContext context, ConcurrentBag<Entry> all)
    {
        foreach (var group in all.GroupBy(e => e.Log.EventId))
        {
            var entries = group.OrderBy(e => e.Log.Location, Comparer<Location>.Create(Order)).ToList();
            if (entries.Count < 2) continue;
            var types = entries.Select(e => e.Log.Symbol.ContainingType).Distinct<INamedTypeSymbol>(SymbolEqualityComparer.Default).Count();
            if (types < 2) continue; // duplicates within one type are reported by the type
            var first = entries[0];
            foreach (var entry in entries.Skip(1))
            {
                if (SymbolEqualityComparer.Default.Equals(entry.Log.Symbol.ContainingType, first.Log.Symbol.ContainingType)) continue;
                context.ReportDiagnostic(Diagnostic.Create(DuplicateInAssembly, entry.Location, new[] { first.Location }, entry.Name, group.Key, first.Name));
            }
        }
    }

    private static int Order(Location a, Location b)
    {
        int byFile = string.CompareOrdinal(a.SourceTree?.FilePath, b.SourceTree?.FilePath);
        return byFile != 0 ? byFile : a.SourceSpan.Start.CompareTo(b.SourceSpan.Start);
    }
}
