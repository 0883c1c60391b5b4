using System;
using System.Collections.Generic;
using System.Reflection;
using System.Reflection.Emit;
using Kakashi.Buffers;
using Kakashi.Templates;

namespace Kakashi.Logging;

/// <summary>
/// The values of a struct state read straight from its fields: <c>[LoggerMessage]</c> methods log a
/// <c>LoggerMessage.LogValues&lt;T0, ...&gt;</c> (up to six values) or a struct the generator writes, whose indexer boxes
/// every value type it returns. For such a state whose values all have a wire type (numbers, dates, Guid, strings, enums),
/// two small methods are emitted once per state type: one sums the payload size, one copies each field into the record
/// (<see cref="RecordWriter.Write{T}"/>, specialised per field type: no boxing). A state this cannot map (a field per
/// value not found, a value of another type) is read through its indexer instead (<see cref="Unsupported"/>).
/// </summary>
internal sealed class StructState<TState>
{
    public delegate long SizeOf(ref TState state);

    public delegate void WriteTo(ref TState state, ref RecordWriter writer);

    private static StructState<TState>? s_layout;
    private static bool s_unsupported;

    private StructState(Type[] types, SizeOf size, WriteTo write)
    {
        Types = types;
        Size = size;
        Write = write;
    }

    /// <summary>The static type of each value, in the order of the state's pairs.</summary>
    public Type[] Types { get; }

    public SizeOf Size { get; }

    public WriteTo Write { get; }

    /// <summary>The layout once built (a template of this state type exists only then), else null.</summary>
    public static StructState<TState>? Current => s_layout;

    /// <summary>True once the state type is known not to map to fields.</summary>
    public static bool Unsupported => s_unsupported;

    /// <summary>The layout of <typeparamref name="TState"/> (built from this state's keys the first time), or null.</summary>
    [System.Diagnostics.CodeAnalysis.RequiresDynamicCode("Emits a reader per state type.")]
    [System.Diagnostics.CodeAnalysis.RequiresUnreferencedCode("Reads the fields of the state type.")]
    public static StructState<TState>? Get(IReadOnlyList<KeyValuePair<string, object?>> pairs, int values)
    {
        var layout = s_layout;
        if (layout is not null || s_unsupported) return layout;
        try
        {
            layout = Build(pairs, values);
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException or NotSupportedException or MemberAccessException)
        {
            layout = null;
        }
        if (layout is null) s_unsupported = true;
        else s_layout = layout;
        return layout;
    }

    [System.Diagnostics.CodeAnalysis.RequiresDynamicCode("Emits a reader per state type.")]
    [System.Diagnostics.CodeAnalysis.RequiresUnreferencedCode("Reads the fields of the state type.")]
    private static StructState<TState>? Build(IReadOnlyList<KeyValuePair<string, object?>> pairs, int values)
    {
        var type = typeof(TState);
        if (!type.IsValueType || !System.Runtime.CompilerServices.RuntimeFeature.IsDynamicCodeSupported) return null;
        var fields = type.GetFields(BindingFlags.Instance | BindingFlags.NonPublic | BindingFlags.Public);
        var ordered = new FieldInfo[values];
        bool logValues = type.IsGenericType && type.FullName is { } name && name.StartsWith("Microsoft.Extensions.Logging.LoggerMessage+LogValues`", StringComparison.Ordinal);
        for (int i = 0; i < values; i++)
        {
            string key = pairs[i].Key;
            FieldInfo? match = null;
            foreach (var field in fields)
            {
                bool named = logValues
                    ? string.Equals(field.Name, "_value" + i.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal)
                    : string.Equals(field.Name.TrimStart('_'), key.TrimStart('@'), StringComparison.OrdinalIgnoreCase);
                if (!named) continue;
                if (match is not null) return null; // two candidates: not ours to guess
                match = field;
            }
            if (match is null || !Supported(match.FieldType)) return null;
            ordered[i] = match;
        }
        var types = new Type[values];
        for (int i = 0; i < values; i++) types[i] = ordered[i].FieldType;
        // the generator's own struct renders a null string as nothing (string interpolation), LogValues as "(null)" (string.Format with MEL's null text)
        return new StructState<TState>(types, EmitSize(ordered), EmitWrite(ordered, nullAsEmpty: !logValues));
    }

    private static bool Supported(Type type) => type == typeof(string) || type.IsEnum
        || (ArgTypes.Of(type) is not (ArgType.None or ArgType.Exception or ArgType.String));

    private static int FixedSize(Type type) => type.IsEnum ? System.Runtime.InteropServices.Marshal.SizeOf(Enum.GetUnderlyingType(type)) : ArgTypes.FixedSize(ArgTypes.Of(type));

    [System.Diagnostics.CodeAnalysis.RequiresDynamicCode("Emits IL.")]
    private static SizeOf EmitSize(FieldInfo[] fields)
    {
        var method = new DynamicMethod("KakashiStateSize", typeof(long), [typeof(TState).MakeByRefType()], typeof(StructState<TState>).Module, skipVisibility: true);
        var il = method.GetILGenerator();
        long fixedTotal = 0;
        var sizeOfString = typeof(RecordWriter).GetMethod(nameof(RecordWriter.SizeOf), [typeof(string)])!;
        il.Emit(OpCodes.Ldc_I8, 0L);
        foreach (var field in fields)
        {
            if (field.FieldType != typeof(string))
            {
                fixedTotal += FixedSize(field.FieldType);
                continue;
            }
            il.Emit(OpCodes.Ldarg_0);
            il.Emit(OpCodes.Ldfld, field);
            il.Emit(OpCodes.Call, sizeOfString);
            il.Emit(OpCodes.Add);
        }
        il.Emit(OpCodes.Ldc_I8, fixedTotal);
        il.Emit(OpCodes.Add);
        il.Emit(OpCodes.Ret);
        return method.CreateDelegate<SizeOf>();
    }

    [System.Diagnostics.CodeAnalysis.RequiresDynamicCode("Emits IL.")]
    private static WriteTo EmitWrite(FieldInfo[] fields, bool nullAsEmpty)
    {
        var method = new DynamicMethod("KakashiStateWrite", typeof(void), [typeof(TState).MakeByRefType(), typeof(RecordWriter).MakeByRefType()], typeof(StructState<TState>).Module, skipVisibility: true);
        var il = method.GetILGenerator();
        var writeString = typeof(RecordWriter).GetMethod(nameof(RecordWriter.WriteString))!;
        MethodInfo? write = null;
        foreach (var candidate in typeof(RecordWriter).GetMethods())
        {
            if (candidate.Name == nameof(RecordWriter.Write) && candidate.IsGenericMethodDefinition) write = candidate;
        }
        foreach (var field in fields)
        {
            il.Emit(OpCodes.Ldarg_1);
            il.Emit(OpCodes.Ldarg_0);
            il.Emit(OpCodes.Ldfld, field);
            if (field.FieldType == typeof(string) && nullAsEmpty)
            {
                var present = il.DefineLabel();
                il.Emit(OpCodes.Dup);
                il.Emit(OpCodes.Brtrue_S, present);
                il.Emit(OpCodes.Pop);
                il.Emit(OpCodes.Ldstr, "");
                il.MarkLabel(present);
            }
            il.Emit(OpCodes.Call, field.FieldType == typeof(string) ? writeString : write!.MakeGenericMethod(field.FieldType));
        }
        il.Emit(OpCodes.Ret);
        return method.CreateDelegate<WriteTo>();
    }
}
