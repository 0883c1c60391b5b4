using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Text;

namespace Kakashi;

/// <summary><c>MachineName</c>: the host name, read once.</summary>
public sealed class MachineNameEnricher : IConstantEnricher
{
    private readonly byte[] _value = Encoding.UTF8.GetBytes(Environment.MachineName);
    /// <inheritdoc/>
    public void Enrich(in LogRecord record, ref PropertyWriter properties) => properties.Add(WellKnownProperty.MachineName, PropertyKind.String, "MachineName"u8, _value);
}

/// <summary><c>ProcessId</c> and <c>ProcessName</c>, read once.</summary>
public sealed class ProcessEnricher : IConstantEnricher
{
    private readonly byte[] _id = Encoding.UTF8.GetBytes(Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture));
    private readonly byte[] _name = Encoding.UTF8.GetBytes(Process.GetCurrentProcess().ProcessName);

    /// <inheritdoc/>
    public void Enrich(in LogRecord record, ref PropertyWriter properties)
    {
        properties.Add(WellKnownProperty.ProcessId, PropertyKind.Number, "ProcessId"u8, _id);
        properties.Add(WellKnownProperty.ProcessName, PropertyKind.String, "ProcessName"u8, _name);
    }
}

/// <summary><c>Application</c> and <c>Version</c>: given, or the entry assembly's name and informational version.</summary>
public sealed class ApplicationEnricher : IConstantEnricher
{
    private readonly byte[] _name;
    private readonly byte[] _version;

    /// <summary>Adds the application's name and version.</summary>
    /// <param name="name">The name; null: the entry assembly's name.</param>
    /// <param name="version">The version; null: the entry assembly's version.</param>
    public ApplicationEnricher(string? name = null, string? version = null)
    {
        var entry = System.Reflection.Assembly.GetEntryAssembly();
        _name = Encoding.UTF8.GetBytes(name ?? entry?.GetName().Name ?? "unknown");
        _version = Encoding.UTF8.GetBytes(version ?? entry?.GetName().Version?.ToString() ?? "0.0.0");
    }

    /// <inheritdoc/>
    public void Enrich(in LogRecord record, ref PropertyWriter properties)
    {
        properties.Add(WellKnownProperty.Application, PropertyKind.String, "Application"u8, _name);
        properties.Add(WellKnownProperty.Version, PropertyKind.String, "Version"u8, _version);
    }
}

/// <summary>Fixed properties (region, environment, deployment...), encoded once.</summary>
public sealed class PropertiesEnricher : IConstantEnricher
{
    private readonly (byte[] Name, byte[] Value)[] _properties;

    /// <summary>Adds these fixed properties, in this order, to every record.</summary>
    public PropertiesEnricher(params (string Name, string Value)[] properties)
    {
        _properties = new (byte[], byte[])[properties.Length];
        for (int i = 0; i < properties.Length; i++)
        {
            ArgumentException.ThrowIfNullOrEmpty(properties[i].Name);
            _properties[i] = (Encoding.UTF8.GetBytes(properties[i].Name), Encoding.UTF8.GetBytes(properties[i].Value ?? ""));
        }
    }

    /// <summary>Adds these fixed properties to every record.</summary>
    public PropertiesEnricher(IReadOnlyDictionary<string, string> properties) : this(ToArray(properties)) { }

    /// <inheritdoc/>
    public void Enrich(in LogRecord record, ref PropertyWriter properties)
    {
        foreach (var (name, value) in _properties) properties.Add(name, value);
    }

    private static (string, string)[] ToArray(IReadOnlyDictionary<string, string> properties)
    {
        var list = new List<(string, string)>();
        foreach (var pair in properties) list.Add((pair.Key, pair.Value));
        return list.ToArray();
    }
}

/// <summary><c>ThreadId</c> and <c>ThreadName</c> of the logging thread (from its ring: nothing is captured per call).</summary>
public sealed class ThreadEnricher : ILogEnricher
{
    /// <inheritdoc/>
    public void Enrich(in LogRecord record, ref PropertyWriter properties)
    {
        properties.Add(WellKnownProperty.ThreadId, "ThreadId"u8, record.ThreadId);
        if (record.ThreadName is { } name) properties.Add(WellKnownProperty.ThreadName, "ThreadName"u8, name.AsSpan());
    }
}

/// <summary>The properties of the <see cref="LogScope"/>s active at the logging call (outermost first).</summary>
public sealed class ScopeEnricher : ICallerContextEnricher
{
    /// <inheritdoc/>
    public CallerContext Captures => CallerContext.Scope;

    /// <inheritdoc/>
    public void Enrich(in LogRecord record, ref PropertyWriter properties)
    {
        var scope = record.Scope;
        if (scope is null) return;
        Write(scope, ref properties, 16);
    }

    // outermost first, at most 16 levels (the innermost ones): recursion instead of a chain array, so nothing is allocated
    private static void Write(LogScope scope, ref PropertyWriter properties, int levels)
    {
        if (scope.Parent is { } parent && levels > 1) Write(parent, ref properties, levels - 1);
        properties.Add(scope.NameUtf8, scope.ValueUtf8 is { } value ? value : "(null)"u8);
    }
}

/// <summary><c>TraceId</c> and <c>SpanId</c> of <see cref="Activity.Current"/> at the logging call.</summary>
public sealed class ActivityEnricher : ICallerContextEnricher
{
    /// <inheritdoc/>
    public CallerContext Captures => CallerContext.Activity;

    /// <inheritdoc/>
    public void Enrich(in LogRecord record, ref PropertyWriter properties)
    {
        var activity = record.Activity;
        if (activity is null) return;
        // the ids keep their hex text: writing it is a copy (CopyTo(bytes) would parse the hex, then we would format it again)
        properties.Add(WellKnownProperty.TraceId, "TraceId"u8, activity.TraceId.ToHexString().AsSpan());
        properties.Add(WellKnownProperty.SpanId, "SpanId"u8, activity.SpanId.ToHexString().AsSpan());
    }
}
