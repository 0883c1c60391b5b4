using System;
using System.Globalization;
using System.IO;
using System.Net;
using System.Threading;
using Kakashi.WebApi;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

// samples/Kakashi.WebApi: a minimal API on Kestrel whose logger is chosen at start.
//   dotnet run -c Release --project samples/Kakashi.WebApi -- --logger kakashi --port 5080 --log-dir /tmp/webapi-logs
//   curl 'http://127.0.0.1:5080/orders/42?customer=acme'          (two records; &legs=N: N more)
// --logger (or KAKASHI_WEBAPI_LOGGER): kakashi | console | serilog | zlogger (default kakashi)
// --port (or KAKASHI_WEBAPI_PORT, default 5080), --log-dir (or KAKASHI_WEBAPI_LOG_DIR, default ./logs)
// Every variant gets the same filter rules (appsettings.json: Information, Microsoft.AspNetCore at Warning), the same
// correlation scope per request (CorrelationScopeMiddleware) and the same two records per order request.
var options = SampleOptions.Parse(args);
var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = options.HostArgs, ContentRootPath = AppContext.BaseDirectory });
builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, options.Port));
builder.Logging.ClearProviders();
Directory.CreateDirectory(options.LogDirectory);
LoggerVariants.Configure(builder, options);

builder.Services.AddSingleton<RequestCounter>();
var app = builder.Build();
var counter = app.Services.GetRequiredService<RequestCounter>();
app.Lifetime.ApplicationStopped.Register(() =>
    Console.Error.WriteLine($"served {counter.Orders.ToString(CultureInfo.InvariantCulture)} order requests, logged {counter.Records.ToString(CultureInfo.InvariantCulture)} records"));

app.UseMiddleware<CorrelationScopeMiddleware>();
app.MapGet("/ping", () => "pong"); // readiness: no record of its own
app.MapGet("/orders/{id:int}", (int id, string? customer, int? legs, OrderService orders) => orders.Quote(id, customer ?? "anonymous", Math.Clamp(legs ?? 0, 0, 100)));
Console.Error.WriteLine($"logger {options.Logger}, http://127.0.0.1:{options.Port.ToString(CultureInfo.InvariantCulture)}, logs in {options.LogDirectory}");
app.Run();
return 0;

namespace Kakashi.WebApi
{
    /// <summary>Order requests served and the endpoint's records logged (printed at stop: the web benchmark checks they were all written).</summary>
    public sealed class RequestCounter
    {
        private long _orders;
        private long _records;

        public long Orders => Interlocked.Read(ref _orders);

        public long Records => Interlocked.Read(ref _records);

        public void Order(int records)
        {
            Interlocked.Increment(ref _orders);
            Interlocked.Add(ref _records, records);
        }
    }

    /// <summary>What the sample was started with.</summary>
    public sealed record SampleOptions(string Logger, int Port, string LogDirectory, string[] HostArgs)
    {
        public static readonly string[] Loggers = ["kakashi", "console", "serilog", "zlogger"];

        public static SampleOptions Parse(string[] args)
        {
            string logger = Environment.GetEnvironmentVariable("KAKASHI_WEBAPI_LOGGER") ?? "kakashi";
            string port = Environment.GetEnvironmentVariable("KAKASHI_WEBAPI_PORT") ?? "5080";
            string dir = Environment.GetEnvironmentVariable("KAKASHI_WEBAPI_LOG_DIR") ?? "logs";
            var rest = new System.Collections.Generic.List<string>();
            for (int i = 0; i < args.Length; i++)
            {
                string? value = i + 1 < args.Length ? args[i + 1] : null;
                switch (args[i])
                {
                    case "--logger" when value is not null: logger = value; i++; break;
                    case "--port" when value is not null: port = value; i++; break;
                    case "--log-dir" when value is not null: dir = value; i++; break;
                    default: rest.Add(args[i]); break;
                }
            }
            logger = logger.ToLowerInvariant();
            if (Array.IndexOf(Loggers, logger) < 0)
                throw new ArgumentException($"--logger must be one of {string.Join(", ", Loggers)}, not '{logger}'.");
            return new SampleOptions(logger, int.Parse(port, NumberStyles.None, CultureInfo.InvariantCulture), Path.GetFullPath(dir), rest.ToArray());
        }
    }
}
