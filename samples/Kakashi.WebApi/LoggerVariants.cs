using System.IO;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Serilog;
using Serilog.Events;
using Serilog.Formatting.Compact;
using ZLogger;

namespace Kakashi.WebApi;

/// <summary>The four loggers the sample can run with; each writes every record the filter rules let through.</summary>
public static class LoggerVariants
{
    public static void Configure(WebApplicationBuilder builder, SampleOptions options)
    {
        builder.Services.AddSingleton<OrderService>();
        switch (options.Logger)
        {
            case "kakashi":
                KakashiVariant.Configure(builder, options);
                break;
            case "console":
                // the default MEL console logger (simple formatter, its background queue) with the scopes shown, so it
                // writes what the others write
                builder.Logging.AddSimpleConsole(console => console.IncludeScopes = true);
                break;
            case "serilog":
                // Serilog replaces the logger factory: its own minimum levels mirror appsettings.json's Logging:LogLevel.
                // The async sink blocks when its queue is full (its default drops), and the file rolls at its size limit
                // (its default, 1 GB a file, otherwise discards what comes after), so every record is written.
                string serilogPath = Path.Combine(options.LogDirectory, "serilog-.json");
                builder.Services.AddSerilog(serilog => serilog
                    .MinimumLevel.Information()
                    .MinimumLevel.Override("Microsoft.AspNetCore", LogEventLevel.Warning)
                    .Enrich.FromLogContext()
                    .WriteTo.Async(a => a.File(new CompactJsonFormatter(), serilogPath, rollingInterval: Serilog.RollingInterval.Day, rollOnFileSizeLimit: true, buffered: true),
                        blockWhenFull: true));
                break;
            case "zlogger":
                string zloggerFolder = options.LogDirectory;
                builder.Logging.AddZLoggerRollingFile(zlogger =>
                {
                    zlogger.FilePathSelector = (timestamp, sequence) => Path.Combine(zloggerFolder, $"zlogger-{timestamp.ToLocalTime():yyyy-MM-dd}_{sequence:000}.json");
                    zlogger.RollingInterval = ZLogger.Providers.RollingInterval.Day;
                    zlogger.IncludeScopes = true;
                    zlogger.UseJsonFormatter();
                });
                break;
        }
    }
}
