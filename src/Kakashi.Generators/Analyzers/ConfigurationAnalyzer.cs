using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Globalization;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace Kakashi.Generators.Analyzers;

/// <summary>
/// Configuration written with constants, checked at compile time against the ranges the runtime enforces at setup
/// (<see cref="ConfigurationRules"/>): in object initializers and property assignments of the pipeline, backpressure,
/// writer, retry and circuit-breaker settings, and the endpoints of network writers.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class ConfigurationAnalyzer : DiagnosticAnalyzer
{
    /// <summary>Diagnostic property: the value a code fix writes instead (the next power of two).</summary>
    public const string ReplacementProperty = "Replacement";

    public static readonly DiagnosticDescriptor NotPowerOfTwo = Rule.Create(
        DiagnosticIds.NotPowerOfTwo, Rule.Configuration, DiagnosticSeverity.Error,
        "Size must be a power of two",
        "{0}.{1} is {2}, which is not a power of two: the pipeline will throw at setup (use {3})",
        "Ring buffers index with a mask, so their sizes are powers of two; the runtime rejects any other size when the pipeline is built.");

    public static readonly DiagnosticDescriptor OutOfRange = Rule.Create(
        DiagnosticIds.OutOfRange, Rule.Configuration, DiagnosticSeverity.Error,
        "Configuration value out of range",
        "{0}.{1} is {2}: it must be {3} (the runtime throws at setup)",
        "The runtime validates every setting when the pipeline is built; a constant outside the accepted range is a crash at startup.");

    public static readonly DiagnosticDescriptor IntervalOutOfRange = Rule.Create(
        DiagnosticIds.IntervalOutOfRange, Rule.Configuration, DiagnosticSeverity.Error,
        "Time interval out of range",
        "{0}.{1} is {2}: it must be {3} (the runtime throws at setup)",
        "Flush intervals, timeouts and delays must be positive (some have a minimum); the runtime rejects the rest when the pipeline is built.");

    public static readonly DiagnosticDescriptor IntervalTooLarge = Rule.Create(
        DiagnosticIds.IntervalTooLarge, Rule.Configuration, DiagnosticSeverity.Warning,
        "Flush interval is very long",
        "{0}.{1} is {2}: records may wait that long before reaching their destination, and are lost if the process dies meanwhile",
        "A flush interval of more than a minute keeps records in memory for minutes; a crash loses all of them.");

    public static readonly DiagnosticDescriptor InvertedThresholds = Rule.Create(
        DiagnosticIds.InvertedThresholds, Rule.Configuration, DiagnosticSeverity.Warning,
        "Warning threshold is not below the drop threshold",
        "WarningThreshold ({0}) is not below DropThreshold ({1}): the warning would come only after records are dropped (the runtime rejects this unless DropStrategy is Block)",
        "The warning threshold announces that the ring is filling up; it must come before the drop threshold.");

    public static readonly DiagnosticDescriptor ThresholdAboveBuffer = Rule.Create(
        DiagnosticIds.ThresholdAboveBuffer, Rule.Configuration, DiagnosticSeverity.Error,
        "Threshold above the buffer size",
        "{0} ({1}) is above the buffer size ({2}): the ring can never fill that much (the runtime throws at setup)",
        "Backpressure thresholds are fills of a thread's ring, in bytes; above the ring's size they can never be reached.");

    public static readonly DiagnosticDescriptor LimitBelowBuffer = Rule.Create(
        DiagnosticIds.LimitBelowBuffer, Rule.Configuration, DiagnosticSeverity.Error,
        "Backpressure limit below the buffer size",
        "BackpressureLimit ({0}) is below the buffer size ({1}): a writer's stage must hold a ring's worth of records (the runtime throws at setup)",
        "A writer's stage holds formatted batches; smaller than one thread's ring, it could not take a full drain of it.");

    public static readonly DiagnosticDescriptor BatchAboveLimit = Rule.Create(
        DiagnosticIds.BatchAboveLimit, Rule.Configuration, DiagnosticSeverity.Warning,
        "Batch size above the buffer it is taken from",
        "{0}.BatchSize ({1}) is above {2} ({3}): a batch that size can never be collected, so the writer only flushes on its interval",
        "A writer collects a batch from its stage (or buffer); a batch larger than the stage never fills.");

    public static readonly DiagnosticDescriptor InvalidEndpoint = Rule.Create(
        DiagnosticIds.InvalidEndpoint, Rule.Configuration, DiagnosticSeverity.Error,
        "Invalid network endpoint",
        "'{0}' is not a valid endpoint for {1}: expected {2}",
        "Network writers connect to their endpoint when the pipeline is built; a malformed one fails at startup or, worse, on the first batch.");

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(
        NotPowerOfTwo, OutOfRange, IntervalOutOfRange, IntervalTooLarge, InvertedThresholds, ThresholdAboveBuffer, LimitBelowBuffer, BatchAboveLimit, InvalidEndpoint);

    /// <summary>The rules and types of one compilation (looked up once).</summary>
    private sealed class Known
    {
        public Dictionary<INamedTypeSymbol, Dictionary<string, PropertyRule>> Rules { get; } = new(SymbolEqualityComparer.Default);
        public INamedTypeSymbol? Pipeline { get; set; }
        public INamedTypeSymbol? Backpressure { get; set; }
        public INamedTypeSymbol? Writer { get; set; }
    }

    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterCompilationStartAction(start =>
        {
            var compilation = start.Compilation;
            var known = new Known
            {
                Pipeline = compilation.GetTypeByMetadataName(KnownTypes.AsyncPipelineConfig),
                Backpressure = compilation.GetTypeByMetadataName(KnownTypes.BackpressureConfig),
                Writer = compilation.GetTypeByMetadataName(KnownTypes.LogWriter),
            };
            foreach (var pair in ConfigurationRules.ByType())
            {
                var type = compilation.GetTypeByMetadataName(pair.Key);
                if (type is null) continue;
                var rules = new Dictionary<string, PropertyRule>(StringComparer.Ordinal);
                foreach (var rule in pair.Value) rules[rule.Property] = rule;
                known.Rules.Add(type, rules);
            }
            if (known.Rules.Count == 0 && known.Writer is null) return; // no Kakashi configuration in reach
            start.RegisterOperationAction(c => AnalyzeAssignment(c, known), OperationKind.SimpleAssignment);
            start.RegisterOperationAction(c => AnalyzeCreation(c, known), OperationKind.ObjectCreation);
        });
    }

    private static void AnalyzeAssignment(OperationAnalysisContext context, Known known)
    {
        var assignment = (ISimpleAssignmentOperation)context.Operation;
        if (assignment.Target is not IPropertyReferenceOperation target) return;
        var property = target.Property.OriginalDefinition;
        var type = property.ContainingType;
        if (known.Rules.TryGetValue(type, out var rules) && rules.TryGetValue(property.Name, out var rule))
        {
            if (rule.OnlyWhen is { } condition && !(SiblingInteger(assignment, condition.Property, out long actual) && actual == condition.Value)) return;
            Check(context, rule, type.Name, assignment.Value);
        }
        else if (known.Writer is not null && IsEndpointName(property.Name) && InheritsFrom(type, known.Writer))
        {
            CheckEndpoint(context, assignment.Value, target.Property.ContainingType);
        }
    }

    private static void Check(OperationAnalysisContext context, PropertyRule rule, string typeName, IOperation value)
    {
        var location = value.Syntax.GetLocation();
        if (rule.IsInterval)
        {
            if (!ConstantEvaluator.TryGetTicks(value, out long ticks)) return;
            if ((rule.MinTicks is long min && (rule.MinTicksExclusive ? ticks <= min : ticks < min)) || (rule.MaxTicks is long most && ticks > most))
                context.ReportDiagnostic(Diagnostic.Create(IntervalOutOfRange, location, typeName, rule.Property, Format.Ticks(ticks), rule.Describe()));
            else if (rule.WarnAboveTicks is long max && ticks > max)
                context.ReportDiagnostic(Diagnostic.Create(IntervalTooLarge, location, typeName, rule.Property, Format.Ticks(ticks)));
            return;
        }
        if (!ConstantEvaluator.TryGetInteger(value, out long number)) return;
        if ((rule.Min is long low && number < low) || (rule.Max is long high && number > high))
        {
            context.ReportDiagnostic(Diagnostic.Create(OutOfRange, location, typeName, rule.Property, Show(number), rule.Describe()));
            return;
        }
        if (rule.PowerOfTwo && (number & (number - 1)) != 0)
        {
            long next = NextPowerOfTwo(number);
            if (rule.Max is long max && next > max) next = max;
            var properties = ImmutableDictionary<string, string?>.Empty.Add(ReplacementProperty, next.ToString(CultureInfo.InvariantCulture));
            context.ReportDiagnostic(Diagnostic.Create(NotPowerOfTwo, location, properties, typeName, rule.Property, Show(number), Show(next)));
        }
    }

    private static void AnalyzeCreation(OperationAnalysisContext context, Known known)
    {
        var creation = (IObjectCreationOperation)context.Operation;
        if (creation.Type is not INamedTypeSymbol type) return;
        var values = InitializerValues(creation);

        if (known.Writer is not null && InheritsFrom(type, known.Writer))
        {
            foreach (var argument in creation.Arguments)
            {
                if (argument.Parameter is not null && IsEndpointName(argument.Parameter.Name) && argument.ArgumentKind == ArgumentKind.Explicit)
                    CheckEndpoint(context, argument.Value, type);
            }
            if (values.TryGetValue("BatchSize", out var batchValue) && ConstantEvaluator.TryGetInteger(batchValue, out long batch))
            {
                if (values.TryGetValue("QueueLimit", out var limitValue))
                {
                    if (ConstantEvaluator.TryGetInteger(limitValue, out long limit) && batch > limit)
                        context.ReportDiagnostic(Diagnostic.Create(BatchAboveLimit, batchValue.Syntax.GetLocation(), type.Name, Show(batch), "QueueLimit", Show(limit)));
                }
                else if (Enclosing(creation, known.Pipeline) is { } pipeline && InitializerValues(pipeline).TryGetValue("BackpressureLimit", out var pipelineLimit)
                    && ConstantEvaluator.TryGetInteger(pipelineLimit, out long pipelineBytes) && batch > pipelineBytes)
                {
                    context.ReportDiagnostic(Diagnostic.Create(BatchAboveLimit, batchValue.Syntax.GetLocation(), type.Name, Show(batch), "AsyncPipelineConfig.BackpressureLimit", Show(pipelineBytes)));
                }
            }
            if (values.TryGetValue("BufferSize", out var bufferValue) && batchValue is not null
                && ConstantEvaluator.TryGetInteger(bufferValue, out long ownBuffer) && ConstantEvaluator.TryGetInteger(batchValue, out long ownBatch) && ownBatch > ownBuffer)
            {
                context.ReportDiagnostic(Diagnostic.Create(BatchAboveLimit, batchValue.Syntax.GetLocation(), type.Name, Show(ownBatch), "BufferSize", Show(ownBuffer)));
            }
            return;
        }

        if (known.Backpressure is not null && SymbolEqualityComparer.Default.Equals(type, known.Backpressure))
        {
            AnalyzeBackpressure(context, known, creation, values);
            return;
        }

        if (known.Pipeline is not null && SymbolEqualityComparer.Default.Equals(type, known.Pipeline)
            && values.TryGetValue("BackpressureLimit", out var limitOperation) && ConstantEvaluator.TryGetInteger(limitOperation, out long backpressureLimit))
        {
            long? bufferSize = null;
            if (values.TryGetValue("BufferSize", out var sizeOperation) && ConstantEvaluator.TryGetInteger(sizeOperation, out long size)) bufferSize = size;
            else if (values.TryGetValue("Backpressure", out var nested) && ConstantEvaluator.Unwrap(nested) is IObjectCreationOperation backpressure
                && InitializerValues(backpressure).TryGetValue("BufferSize", out var nestedSize) && ConstantEvaluator.TryGetInteger(nestedSize, out long inner)) bufferSize = inner;
            if (bufferSize is long buffer && backpressureLimit < buffer)
                context.ReportDiagnostic(Diagnostic.Create(LimitBelowBuffer, limitOperation.Syntax.GetLocation(), Show(backpressureLimit), Show(buffer)));
        }
    }

    private static void AnalyzeBackpressure(OperationAnalysisContext context, Known known, IObjectCreationOperation creation, Dictionary<string, IOperation> values)
    {
        long? buffer = null;
        string bufferName = "BufferSize";
        if (values.TryGetValue("BufferSize", out var own) && ConstantEvaluator.TryGetInteger(own, out long ownSize)) buffer = ownSize;
        var pipeline = Enclosing(creation, known.Pipeline);
        if (pipeline is not null && InitializerValues(pipeline).TryGetValue("BufferSize", out var outer) && ConstantEvaluator.TryGetInteger(outer, out long pipelineSize))
        {
            if (buffer is long set && set != pipelineSize)
                context.ReportDiagnostic(Diagnostic.Create(OutOfRange, own!.Syntax.GetLocation(), "BackpressureConfig", "BufferSize", Show(set), $"unset or equal to AsyncPipelineConfig.BufferSize ({Show(pipelineSize)})"));
            buffer ??= pipelineSize;
            bufferName = "AsyncPipelineConfig.BufferSize";
        }

        values.TryGetValue("WarningThreshold", out var warningValue);
        values.TryGetValue("DropThreshold", out var dropValue);
        long warning = 0, drop = 0;
        bool hasWarning = warningValue is not null && ConstantEvaluator.TryGetInteger(warningValue, out warning);
        bool hasDrop = dropValue is not null && ConstantEvaluator.TryGetInteger(dropValue, out drop);
        if (hasWarning && hasDrop && warning >= drop)
            context.ReportDiagnostic(Diagnostic.Create(InvertedThresholds, warningValue!.Syntax.GetLocation(), new[] { dropValue!.Syntax.GetLocation() }, Show(warning), Show(drop)));
        if (buffer is not long size) return;
        if (hasDrop && drop > size)
            context.ReportDiagnostic(Diagnostic.Create(ThresholdAboveBuffer, dropValue!.Syntax.GetLocation(), "DropThreshold", Show(drop), Show(size)));
        else if (hasDrop && drop >= 1 && drop < size / 8)
            context.ReportDiagnostic(Diagnostic.Create(OutOfRange, dropValue!.Syntax.GetLocation(), "BackpressureConfig", "DropThreshold", Show(drop), $"from {Show(size / 8)} (1/8 of {bufferName}) to {Show(size)}"));
        if (hasWarning && warning > size)
            context.ReportDiagnostic(Diagnostic.Create(ThresholdAboveBuffer, warningValue!.Syntax.GetLocation(), "WarningThreshold", Show(warning), Show(size)));
    }

    private static void CheckEndpoint(OperationAnalysisContext context, IOperation value, INamedTypeSymbol writer)
    {
        var inner = ConstantEvaluator.Unwrap(value);
        if (inner is IObjectCreationOperation { Type.Name: "Uri", Arguments.Length: >= 1 } uri) inner = uri.Arguments[0].Value;
        if (!ConstantEvaluator.TryGetString(inner, out string? text) || text is null) return;
        bool syslog = writer.Name.IndexOf("Syslog", StringComparison.OrdinalIgnoreCase) >= 0;
        bool valid = syslog ? IsHostPort(text) : IsHttpUri(text);
        if (!valid)
            context.ReportDiagnostic(Diagnostic.Create(InvalidEndpoint, inner.Syntax.GetLocation(), text, writer.Name,
                syslog ? "host:port (or udp://, tcp://, tls://host:port)" : "an absolute http:// or https:// URI"));
    }

    internal static bool IsHttpUri(string text)
        => Uri.TryCreate(text, UriKind.Absolute, out var uri) && (uri.Scheme == "http" || uri.Scheme == "https") && uri.Host.Length > 0;

    internal static bool IsHostPort(string text)
    {
        int scheme = text.IndexOf("://", StringComparison.Ordinal);
        if (scheme >= 0)
        {
            string name = text.Substring(0, scheme).ToLowerInvariant();
            if (name != "udp" && name != "tcp" && name != "tls") return false;
            text = text.Substring(scheme + 3).TrimEnd('/');
        }
        int colon = text.LastIndexOf(':');
        if (colon <= 0) return false;
        string host = text.Substring(0, colon);
        if (host.StartsWith("[", StringComparison.Ordinal) != host.EndsWith("]", StringComparison.Ordinal)) return false;
        if (host.IndexOf(' ') >= 0 || (!host.StartsWith("[", StringComparison.Ordinal) && host.IndexOf(':') >= 0)) return false;
        return int.TryParse(text.Substring(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out int port) && port >= 1 && port <= 65535;
    }

    /// <summary>Property name -> assigned value, for the simple assignments of an object initializer.</summary>
    internal static Dictionary<string, IOperation> InitializerValues(IObjectCreationOperation creation)
    {
        var values = new Dictionary<string, IOperation>(StringComparer.Ordinal);
        if (creation.Initializer is null) return values;
        foreach (var initializer in creation.Initializer.Initializers)
            if (initializer is ISimpleAssignmentOperation { Target: IPropertyReferenceOperation property } assignment)
                values[property.Property.Name] = assignment.Value;
        return values;
    }

    private static bool SiblingInteger(ISimpleAssignmentOperation assignment, string property, out long value)
    {
        value = 0;
        return assignment.Parent is IObjectOrCollectionInitializerOperation { Parent: IObjectCreationOperation creation }
            && InitializerValues(creation).TryGetValue(property, out var sibling) && ConstantEvaluator.TryGetInteger(sibling, out value);
    }

    /// <summary>The object creation of <paramref name="type"/> whose initializer contains this one (within one expression).</summary>
    private static IObjectCreationOperation? Enclosing(IOperation operation, INamedTypeSymbol? type)
    {
        if (type is null) return null;
        var current = operation.Parent;
        for (int depth = 0; current is not null && depth < 10; depth++, current = current.Parent)
        {
            if (current is IObjectCreationOperation outer && SymbolEqualityComparer.Default.Equals(outer.Type, type)) return outer;
            if (current.Kind is OperationKind.ExpressionStatement or OperationKind.Block or OperationKind.VariableDeclarator or OperationKind.Return) return null;
        }
        return null;
    }

    private static bool InheritsFrom(INamedTypeSymbol? type, INamedTypeSymbol baseType)
    {
        for (var t = type; t is not null; t = t.BaseType) if (SymbolEqualityComparer.Default.Equals(t, baseType)) return true;
        return false;
    }

    private static bool IsEndpointName(string name)
    {
        foreach (string endpoint in ConfigurationRules.EndpointNames)
            if (string.Equals(endpoint, name, StringComparison.OrdinalIgnoreCase)) return true;
        return false;
    }

    internal static long NextPowerOfTwo(long value)
    {
        long power = 1;
        while (power < value && power < long.MaxValue / 2) power <<= 1;
        return power;
    }

    private static string Show(long value) => value.ToString(CultureInfo.InvariantCulture);
}
