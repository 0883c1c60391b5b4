using System;
using System.Reflection;
using System.Runtime.CompilerServices;
using Kakashi.Buffers;
using Kakashi.Templates;

namespace Kakashi.Logging;

/// <summary>
/// How a value of an <c>ILogger</c> call's state is recorded: its own wire type when it has one (numbers, dates, Guid,
/// strings, enums: the raw bytes, unboxed, as a generated method writes them), else as text made on the calling thread
/// exactly as Microsoft.Extensions.Logging makes it (<see cref="ArgText"/>: sequences joined, IFormattable with the hole's
/// format and the invariant culture). A null value is a null string.
/// </summary>
internal static class ValueEncoding
{
    /// <summary>The template argument for a value of <paramref name="type"/> (null: a null value).</summary>
    public static TemplateArg ArgFor(string name, Type? type, out EnumEncoder? encoder)
    {
        encoder = null;
        if (type is null) return new TemplateArg(name, ArgType.String);
        if (type.IsEnum)
        {
            encoder = EnumEncoder.For(type);
            return encoder.Arg(name);
        }
        var wire = ArgTypes.Of(type);
        return wire is ArgType.None or ArgType.Exception ? new TemplateArg(name, ArgType.String) : new TemplateArg(name, wire);
    }

    /// <summary>Bytes <paramref name="value"/> takes in the payload (<paramref name="value"/> already text where the wire type is <see cref="ArgType.String"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long SizeOf(ArgType wire, object? value, EnumEncoder? encoder)
    {
        if (wire == ArgType.String) return RecordWriter.SizeOf(Unsafe.As<string?>(value));
        if (encoder is not null) return encoder.Size;
        return ArgTypes.FixedSize(wire);
    }

    /// <summary>Writes one value (unboxed; no allocation).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Write(ref RecordWriter writer, ArgType wire, object? value, EnumEncoder? encoder)
    {
        switch (wire)
        {
            case ArgType.String: writer.WriteString(Unsafe.As<string?>(value)); break;
            case ArgType.Int32: writer.Write(Unsafe.Unbox<int>(value!)); break;
            case ArgType.Int64: writer.Write(Unsafe.Unbox<long>(value!)); break;
            case ArgType.Double: writer.Write(Unsafe.Unbox<double>(value!)); break;
            case ArgType.Boolean: writer.Write(Unsafe.Unbox<bool>(value!)); break;
            case ArgType.Decimal: writer.Write(Unsafe.Unbox<decimal>(value!)); break;
            case ArgType.Guid: writer.Write(Unsafe.Unbox<Guid>(value!)); break;
            case ArgType.DateTime: writer.Write(Unsafe.Unbox<DateTime>(value!)); break;
            case ArgType.DateTimeOffset: writer.Write(Unsafe.Unbox<DateTimeOffset>(value!)); break;
            case ArgType.TimeSpan: writer.Write(Unsafe.Unbox<TimeSpan>(value!)); break;
            case ArgType.Enum: encoder!.Write(ref writer, value!); break;
            default: WriteOther(ref writer, wire, value!); break;
        }
    }

    private static void WriteOther(ref RecordWriter writer, ArgType wire, object value)
    {
        switch (wire)
        {
            case ArgType.Char: writer.Write(Unsafe.Unbox<char>(value)); break;
            case ArgType.SByte: writer.Write(Unsafe.Unbox<sbyte>(value)); break;
            case ArgType.Byte: writer.Write(Unsafe.Unbox<byte>(value)); break;
            case ArgType.Int16: writer.Write(Unsafe.Unbox<short>(value)); break;
            case ArgType.UInt16: writer.Write(Unsafe.Unbox<ushort>(value)); break;
            case ArgType.UInt32: writer.Write(Unsafe.Unbox<uint>(value)); break;
            case ArgType.UInt64: writer.Write(Unsafe.Unbox<ulong>(value)); break;
            case ArgType.Int128: writer.Write(Unsafe.Unbox<Int128>(value)); break;
            case ArgType.UInt128: writer.Write(Unsafe.Unbox<UInt128>(value)); break;
            case ArgType.Half: writer.Write(Unsafe.Unbox<Half>(value)); break;
            case ArgType.Single: writer.Write(Unsafe.Unbox<float>(value)); break;
            case ArgType.DateOnly: writer.Write(Unsafe.Unbox<DateOnly>(value)); break;
            case ArgType.TimeOnly: writer.Write(Unsafe.Unbox<TimeOnly>(value)); break;
            default: throw new InvalidOperationException($"ArgType {wire} is not written from an ILogger value.");
        }
    }
}

/// <summary>Writes the raw value of one enum type (made once per type, by reflection, on a template cache miss).</summary>
internal abstract class EnumEncoder
{
    public abstract int Size { get; }

    public abstract TemplateArg Arg(string name);

    public abstract void Write(ref RecordWriter writer, object value);

    private static readonly MethodInfo s_create = typeof(EnumEncoder).GetMethod(nameof(Create), BindingFlags.NonPublic | BindingFlags.Static)!;

    [System.Diagnostics.CodeAnalysis.UnconditionalSuppressMessage("AOT", "IL3050", Justification = "enum types are value types: their instantiation over EnumEncoder<T> is always available")]
    public static EnumEncoder For(Type type) => (EnumEncoder)s_create.MakeGenericMethod(type).Invoke(null, null)!;

    private static EnumEncoder<T> Create<T>() where T : unmanaged, Enum => new();
}

internal sealed class EnumEncoder<T> : EnumEncoder where T : unmanaged, Enum
{
    public override int Size => Unsafe.SizeOf<T>();

    public override TemplateArg Arg(string name) => TemplateArg.Enum<T>(name);

    public override void Write(ref RecordWriter writer, object value) => writer.Write(Unsafe.Unbox<T>(value));
}
