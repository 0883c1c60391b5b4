using System;
using Kakashi;
using Microsoft.Extensions.Logging;

// usage: Kakashi.ExitProbe <log path> <records> <how: return|exit|clock>
string path = args[0];
if (args.Length > 2 && args[2] == "clock") Console.WriteLine(Kakashi.Clock.KakashiClock.Source);
int records = int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture);
var pipeline = new AsyncPipeline(new AsyncPipelineConfig
{
    Formatter = new TextFormatter(args.Length > 2 && args[2] == "clock" ? "{Timestamp:O} {Message}{NewLine}" : "{Message}{NewLine}"),
    Writers = [new AsyncFileWriter(path)],
});
var logger = pipeline.CreateLogger("Probe");
for (int i = 0; i < records; i++) logger.Record(i);
// no Dispose, no FlushAllAsync: ProcessExit must drain and flush
if (args.Length > 2 && args[2] == "exit") Environment.Exit(3);
return 0;

internal static partial class ProbeLog
{
    [KakashiLog(LogLevel.Information, "record {Index}")]
    public static partial void Record(this KakashiLogger logger, int index);
}
