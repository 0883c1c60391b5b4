namespace Kakashi;

/// <summary>The validated, resolved numbers of an <see cref="AsyncPipelineConfig"/> that the rings and the drain use.</summary>
internal sealed class PipelineSettings
{
    public required int BufferSize { get; init; }
    public required int WarningThreshold { get; init; }
    public required int DropThreshold { get; init; }
    public required DropStrategy Strategy { get; init; }
}
