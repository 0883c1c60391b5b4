using System;
using System.IO;

namespace Kakashi;

/// <summary>
/// A failed write that the writer has classified for its stage. A network writer throws it for what its peer answered:
/// <see cref="IsTransient"/> false (HTTP 400, 401, 403, 413…) means retrying cannot help, so the batch fails at once,
/// without retries and without going to the <see cref="LogWriter.Spool"/>; <see cref="RetryAfter"/> (HTTP 429 or 503 with
/// <c>Retry-After</c>) replaces the next backoff delay. Any other exception a writer throws counts as transient.
/// </summary>
public class LogWriteException : IOException
{
    /// <summary>A failed write.</summary>
    /// <param name="message">What failed.</param>
    /// <param name="isTransient">False when retrying cannot help (the batch fails at once).</param>
    /// <param name="retryAfter">The delay the peer asked for before the next try, if any.</param>
    /// <param name="innerException">The cause, if any.</param>
    public LogWriteException(string message, bool isTransient = true, TimeSpan? retryAfter = null, Exception? innerException = null)
        : base(message, innerException)
    {
        IsTransient = isTransient;
        RetryAfter = retryAfter;
    }

    /// <summary>False: the destination refused the batch for good; it is counted failed and reported, never retried.</summary>
    public bool IsTransient { get; }

    /// <summary>How long the destination asked to wait before the next attempt (bounded by <see cref="RetryOptions.MaxRetryAfter"/>).</summary>
    public TimeSpan? RetryAfter { get; }
}
