namespace Kakashi;

/// <summary>
/// Turns a decoded record into bytes on the drain thread. Implementations write UTF-8 (or binary) into the
/// <see cref="Utf8Writer"/>, never build strings, and must not keep the record past the call.
/// </summary>
public abstract class LogFormatter
{
    /// <summary>Writes <paramref name="record"/>, whole, into <paramref name="output"/>. Called on the drain thread: one formatter may serve several writers.</summary>
    public abstract void Format(in LogRecord record, ref Utf8Writer output);
}
