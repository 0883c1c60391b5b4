using System.IO;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;

namespace Kakashi.WebApi;

/// <summary>Kakashi through Microsoft.Extensions.Logging (<c>AddKakashi</c>): JSON lines to a daily rolling file.</summary>
public static class KakashiVariant
{
    public static void Configure(WebApplicationBuilder builder, SampleOptions options)
    {
        string path = Path.Combine(options.LogDirectory, "kakashi-.json"); // kakashi-20261202.json, one file a day
        // The environment's preset (production here: JSON, lossless Block backpressure, a 4 MiB ring, Microsoft.* at
        // Warning), then the "Kakashi" section of appsettings.json if there is one, then this: the one file writer, the
        // request's TraceId and SpanId (what MEL's activity tracking gives the other variants), and not the preset's
        // machine-name and application enrichers (the other variants write neither).
        builder.Logging.AddKakashi(kakashi =>
        {
            kakashi.Formatter = new JsonFormatter();
            for (int i = kakashi.Enrichers.Count - 1; i >= 0; i--)
                if (kakashi.Enrichers[i] is MachineNameEnricher or ApplicationEnricher) kakashi.Enrichers.RemoveAt(i);
            kakashi.Enrichers.Add(new ActivityEnricher());
            kakashi.Writers = [new AsyncFileWriter(path) { RollingInterval = RollingInterval.Day }];
        });
    }
}
