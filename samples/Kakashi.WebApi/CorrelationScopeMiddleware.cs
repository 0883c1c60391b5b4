using System;
using System.Collections;
using System.Collections.Generic;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Kakashi.WebApi;

/// <summary>
/// Request-id enrichment: every record logged while a request is handled carries its <c>CorrelationId</c> (the
/// caller's <c>X-Request-Id</c> header, else the server's <see cref="HttpContext.TraceIdentifier"/>), through a
/// key/value <see cref="ILogger.BeginScope{TState}"/>, and the answer echoes it. (ASP.NET Core's own hosting scope
/// already carries <c>RequestId</c>, <c>RequestPath</c> and <c>ConnectionId</c>; a second <c>RequestId</c> key would
/// only be a duplicate.)
/// </summary>
public sealed class CorrelationScopeMiddleware(RequestDelegate next, ILogger<CorrelationScopeMiddleware> logger)
{
    public const string Header = "X-Request-Id";

    public async Task InvokeAsync(HttpContext context)
    {
        string id = context.Request.Headers.TryGetValue(Header, out var header) && header.Count > 0 ? header.ToString() : context.TraceIdentifier;
        context.Response.Headers[Header] = id;
        using (logger.BeginScope(new CorrelationScope(id)))
        {
            await next(context).ConfigureAwait(false);
        }
    }

    /// <summary>The scope's state: one key/value pair (what MEL's providers read as a structured scope), and its text.</summary>
    private sealed class CorrelationScope(string id) : IReadOnlyList<KeyValuePair<string, object?>>
    {
        public int Count => 1;

        public KeyValuePair<string, object?> this[int index]
            => index == 0 ? new KeyValuePair<string, object?>("CorrelationId", id) : throw new ArgumentOutOfRangeException(nameof(index));

        public IEnumerator<KeyValuePair<string, object?>> GetEnumerator()
        {
            yield return this[0];
        }

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

        public override string ToString() => "CorrelationId:" + id;
    }
}
