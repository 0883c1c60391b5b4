using System;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace Kakashi.Generators.Analyzers;

/// <summary>
/// Values of configuration expressions known at compile time: numeric and enum constants, and the TimeSpans written with
/// constants (<c>TimeSpan.FromSeconds(5)</c>, <c>TimeSpan.Zero</c>, <c>new TimeSpan(0, 0, 1)</c>, <c>-x</c>, <c>default</c>).
/// </summary>
internal static class ConstantEvaluator
{
    public static IOperation Unwrap(IOperation operation)
    {
        while (operation is IConversionOperation conversion) operation = conversion.Operand;
        return operation;
    }

    /// <summary>An integral (or enum, or integral-valued floating) constant.</summary>
    public static bool TryGetInteger(IOperation operation, out long value)
    {
        value = 0;
        var constant = Unwrap(operation).ConstantValue;
        if (!constant.HasValue || constant.Value is null) return false;
        switch (constant.Value)
        {
            case int i: value = i; return true;
            case long l: value = l; return true;
            case short s: value = s; return true;
            case byte b: value = b; return true;
            case sbyte sb: value = sb; return true;
            case ushort us: value = us; return true;
            case uint ui: value = ui; return true;
            case ulong ul when ul <= long.MaxValue: value = (long)ul; return true;
            case double d when d == Math.Floor(d) && Math.Abs(d) < 9e18: value = (long)d; return true;
            case float f when f == Math.Floor(f) && Math.Abs(f) < 9e18: value = (long)f; return true;
            default: return false;
        }
    }

    public static bool TryGetString(IOperation operation, out string? value)
    {
        var constant = Unwrap(operation).ConstantValue;
        value = constant.HasValue ? constant.Value as string : null;
        return constant.HasValue && value is not null;
    }

    /// <summary>The TimeSpan's ticks when the expression is built from constants.</summary>
    public static bool TryGetTicks(IOperation operation, out long ticks)
    {
        ticks = 0;
        operation = Unwrap(operation);
        switch (operation)
        {
            case IDefaultValueOperation:
                return IsTimeSpan(operation.Type);
            case IUnaryOperation { OperatorKind: UnaryOperatorKind.Minus } minus when TryGetTicks(minus.Operand, out long inner):
                ticks = -inner;
                return true;
            case IUnaryOperation { OperatorKind: UnaryOperatorKind.Plus } plus:
                return TryGetTicks(plus.Operand, out ticks);
            case IFieldReferenceOperation field when IsTimeSpan(field.Field.ContainingType):
                switch (field.Field.Name)
                {
                    case "Zero": ticks = 0; return true;
                    case "MaxValue": ticks = long.MaxValue; return true;
                    case "MinValue": ticks = long.MinValue; return true;
                    default: return false;
                }
            case IInvocationOperation invocation when invocation.TargetMethod.IsStatic && IsTimeSpan(invocation.TargetMethod.ContainingType):
                return TryFactory(invocation, out ticks);
            case IObjectCreationOperation creation when IsTimeSpan(creation.Type):
                return TryConstructor(creation, out ticks);
            default:
                return false;
        }
    }

    private static bool TryFactory(IInvocationOperation invocation, out long ticks)
    {
        ticks = 0;
        string name = invocation.TargetMethod.Name;
        if (!name.StartsWith("From", StringComparison.Ordinal)) return false;
        string unit = name.Substring(4).ToLowerInvariant();
        double total = 0;
        foreach (var argument in invocation.Arguments)
        {
            var constant = Unwrap(argument.Value).ConstantValue;
            if (!constant.HasValue || constant.Value is null) return false;
            double value = Convert.ToDouble(constant.Value, System.Globalization.CultureInfo.InvariantCulture);
            string parameter = argument.Parameter?.Name ?? "value";
            double perUnit = TicksPer(parameter == "value" ? unit : parameter);
            if (perUnit == 0) return false;
            total += value * perUnit;
        }
        if (double.IsNaN(total) || Math.Abs(total) > 9.2e18) return false;
        ticks = (long)total;
        return true;
    }

    private static bool TryConstructor(IObjectCreationOperation creation, out long ticks)
    {
        ticks = 0;
        var values = new long[creation.Arguments.Length];
        for (int i = 0; i < values.Length; i++)
            if (!TryGetInteger(creation.Arguments[i].Value, out values[i])) return false;
        switch (values.Length)
        {
            case 0: ticks = 0; return true;
            case 1: ticks = values[0]; return true;
            case 3: ticks = ((values[0] * 60 + values[1]) * 60 + values[2]) * Format.TicksPerSecond; return true;
            case 4: ticks = (((values[0] * 24 + values[1]) * 60 + values[2]) * 60 + values[3]) * Format.TicksPerSecond; return true;
            case 5: ticks = (((values[0] * 24 + values[1]) * 60 + values[2]) * 60 + values[3]) * Format.TicksPerSecond + values[4] * Format.TicksPerMillisecond; return true;
            default: return false;
        }
    }

    private static double TicksPer(string unit) => unit switch
    {
        "days" => 24.0 * 3600 * Format.TicksPerSecond,
        "hours" => 3600.0 * Format.TicksPerSecond,
        "minutes" => 60.0 * Format.TicksPerSecond,
        "seconds" => Format.TicksPerSecond,
        "milliseconds" => Format.TicksPerMillisecond,
        "microseconds" => 10,
        "ticks" => 1,
        _ => 0,
    };

    private static bool IsTimeSpan(ITypeSymbol? type)
        => type is { Name: "TimeSpan", ContainingNamespace: { Name: "System", ContainingNamespace.IsGlobalNamespace: true } };
}
