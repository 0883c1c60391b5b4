using System;
using System.Collections.Generic;

namespace Kakashi.Logging;

/// <summary>
/// <c>ILogger.BeginScope</c>: a key/value state (<c>BeginScope("Order {OrderId}", id)</c>, a dictionary, a list of
/// pairs) becomes one <see cref="LogScope"/> property per pair, not joined text (the template's <c>{OriginalFormat}</c>
/// is left out); any other state becomes a <c>Scope</c> property holding its text. The records logged inside carry them
/// when the pipeline has a <see cref="ScopeEnricher"/> (<c>AddKakashi</c> adds one unless <c>IncludeScopes</c> is off).
/// Scopes from <c>[KakashiLog]</c> loggers and from <c>ILogger</c> nest together.
/// </summary>
internal sealed class MelScope : IDisposable
{
    private readonly LogScope[] _scopes;

    private MelScope(LogScope[] scopes) => _scopes = scopes;

    private static readonly MelScope Empty = new([]);

    public static IDisposable Begin<TState>(TState state)
    {
        if (state is IEnumerable<KeyValuePair<string, object?>> pairs)
        {
            var scopes = new List<LogScope>(4);
            try
            {
                foreach (var (key, value) in pairs)
                {
                    if (string.IsNullOrEmpty(key) || string.Equals(key, MelLogger.OriginalFormat, StringComparison.Ordinal)) continue;
                    scopes.Add(LogScope.Begin(key, value));
                }
            }
            catch (Exception)
            {
                // a value's ToString threw: no scope rather than an exception out of a logging call
                for (int i = scopes.Count - 1; i >= 0; i--) scopes[i].Dispose();
                return Empty;
            }
            return scopes.Count == 1 ? scopes[0] : new MelScope([.. scopes]);
        }
        try
        {
            return LogScope.Begin("Scope", state);
        }
        catch (Exception)
        {
            return Empty;
        }
    }

    public void Dispose()
    {
        for (int i = _scopes.Length - 1; i >= 0; i--) _scopes[i].Dispose();
    }
}
