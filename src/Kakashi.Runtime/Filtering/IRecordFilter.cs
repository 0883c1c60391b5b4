namespace Kakashi;

/// <summary>
/// Decides on the drain thread whether a record is written. A filtered record counts in
/// <see cref="AsyncMetrics.LogsFiltered"/> and in every writer's <see cref="WriterMetrics.Filtered"/>. For cheap level
/// decisions prefer <see cref="AsyncPipelineConfig.CategoryLevels"/>, which the calling thread applies with one compare.
/// </summary>
public interface IRecordFilter
{
    /// <summary>True to write <paramref name="record"/>, false to filter it out. Called on the drain thread, once per record.</summary>
    bool ShouldWrite(in LogRecord record);
}

/// <summary>A filter that suppresses records and says how many, per source, in a summary record.</summary>
public interface ISummarizingFilter : IRecordFilter
{
    /// <summary>A name for the summary record (<c>rate-limit</c>, <c>sampling</c>).</summary>
    string Name { get; }

    /// <summary>Reports, and resets, the records suppressed since the last call: one call of <paramref name="report"/> per source.</summary>
    void CollectSuppressed(System.Action<string, long> report);
}
