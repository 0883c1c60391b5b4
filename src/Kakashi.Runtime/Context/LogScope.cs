using System;
using System.Threading;
using Kakashi.Buffers;

namespace Kakashi;

/// <summary>
/// An ambient property (<c>RequestId = 42</c>) attached to every record logged inside it, on this thread and across
/// <c>await</c>s (it flows like <see cref="AsyncLocal{T}"/>). Create one with <see cref="KakashiLogger.BeginScope{T}"/>
/// and dispose it to leave. The value is rendered once, when the scope begins; capturing the scope at each logging call
/// is one ambient read and one reference stored in the ring (enable it with <see cref="ScopeEnricher"/>).
/// </summary>
public sealed class LogScope : IDisposable
{
    private static readonly AsyncLocal<LogScope?> s_current = new();
    private int _disposed;

    private LogScope(string name, string? value, LogScope? parent)
    {
        Name = name;
        Value = value;
        Parent = parent;
        // encoded once here, on the caller's thread, so the drain writes bytes: the name with control characters escaped
        // (it can never forge a line), the value as it is (property values are quoted and escaped where they are written)
        NameUtf8 = System.Text.Encoding.UTF8.GetBytes(Formatting.TextEscaping.EscapeControl(name));
        ValueUtf8 = value is null ? null : System.Text.Encoding.UTF8.GetBytes(value);
        Depth = parent is null ? 1 : parent.Depth + 1;
    }

    internal byte[] NameUtf8 { get; }

    internal byte[]? ValueUtf8 { get; }

    /// <summary>1 for an outermost scope.</summary>
    internal int Depth { get; }

    /// <summary>The innermost scope of the current execution context, or null.</summary>
    public static LogScope? Current => s_current.Value;

    /// <summary>The property name the scope adds to records logged inside it.</summary>
    public string Name { get; }

    /// <summary>The value's text (invariant culture), made when the scope began.</summary>
    public string? Value { get; }

    /// <summary>The enclosing scope.</summary>
    public LogScope? Parent { get; }

    internal static LogScope Begin<T>(string name, T value)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        var scope = new LogScope(name, ArgText.Format(value, null), s_current.Value);
        s_current.Value = scope;
        return scope;
    }

    /// <summary>Leaves the scope (restores its parent as the current scope).</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        if (ReferenceEquals(s_current.Value, this)) s_current.Value = Parent;
    }
}
