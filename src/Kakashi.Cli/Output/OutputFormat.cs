using System;
using Kakashi.Cli.Arguments;

namespace Kakashi.Cli.Output;

/// <summary>
/// How records are rendered: <c>--template</c> (a <see cref="TextFormatter"/> output template; default
/// <see cref="TextFormatter.DefaultTemplate"/>), <c>--json</c>, <c>--clef</c> or <c>--ecs</c> (the <see cref="JsonFormatter"/>
/// field sets). At most one of them. The formatter is the runtime's own, so the output is what the live pipeline writes.
/// </summary>
internal sealed class OutputFormat
{
    private string? _chosen;

    public string? Template { get; private set; }
    public JsonFieldSet? Json { get; private set; }

    public void SetTemplate(string template) => Choose("--template", () => Template = template);
    public void SetJson() => Choose("--json", () => Json = JsonFieldSet.Kakashi);
    public void SetClef() => Choose("--clef", () => Json = JsonFieldSet.Clef);
    public void SetEcs() => Choose("--ecs", () => Json = JsonFieldSet.Ecs);

    private void Choose(string option, Action set)
    {
        if (_chosen is not null && _chosen != option)
            throw new UsageException($"{_chosen} and {option} exclude each other: choose one output format");
        _chosen = option;
        set();
    }

    /// <summary>The formatter; throws <see cref="UsageException"/> for a template the formatter refuses.</summary>
    public LogFormatter Create()
    {
        if (Json is { } fields) return new JsonFormatter { Fields = fields };
        try
        {
            return new TextFormatter(Template ?? TextFormatter.DefaultTemplate);
        }
        catch (ArgumentException e)
        {
            throw new UsageException($"kakashi: --template: {e.Message}");
        }
    }
}
