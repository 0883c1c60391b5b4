using System;
using Microsoft.Extensions.Logging;

namespace Kakashi;

/// <summary>
/// Marks a <c>partial</c> method as a Kakashi log method. The Kakashi source generator writes its body:
/// a level check, a timestamp, and a copy of the raw argument bytes into the calling thread's ring buffer.
/// </summary>
/// <remarks>
/// Holes in <see cref="Message"/> (<c>{Name}</c>, <c>{Name,alignment}</c>, <c>{Name:format}</c>, <c>{Name,alignment:format}</c>,
/// <c>{{</c>/<c>}}</c> for literal braces) bind to parameters by name, case-insensitively. Rendering follows
/// Microsoft.Extensions.Logging exactly (invariant culture, <c>(null)</c> for null).
/// </remarks>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false, Inherited = false)]
public sealed class KakashiLogAttribute : Attribute
{
    /// <summary>A log method with a fixed level.</summary>
    public KakashiLogAttribute(LogLevel level, string message)
    {
        Level = level;
        Message = message;
    }

    /// <summary>A log method whose level is given by a <see cref="LogLevel"/> parameter at each call.</summary>
    public KakashiLogAttribute(string message)
    {
        Level = null;
        Message = message;
    }

    /// <summary>The fixed level, or null when the method takes a <see cref="LogLevel"/> parameter.</summary>
    public LogLevel? Level { get; }

    /// <summary>The message template.</summary>
    public string Message { get; }

    /// <summary>Event id written with each record (0 when not set).</summary>
    public int EventId { get; set; }

    /// <summary>Event name; defaults to the method name.</summary>
    public string? EventName { get; set; }
}
