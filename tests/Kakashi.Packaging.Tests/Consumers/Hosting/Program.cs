using Kakashi;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

// args[0]: the JSON log file the test reads
var builder = Host.CreateApplicationBuilder();
builder.Logging.ClearProviders();
builder.Logging.AddKakashi(config =>
{
    config.Formatter = new JsonFormatter();
    config.Writers = [new AsyncFileWriter(args[0])];
});

using (var host = builder.Build())
{
    await host.StartAsync();
    var logger = host.Services.GetRequiredService<ILogger<Shipping>>();
    logger.LogInformation(new EventId(7, "Shipped"), "Order {OrderId} shipped to {City}, {Weight} kg", 42, "Oslo", 12.5);
    logger.LogDebug("below the default minimum level: never written");
    // a [KakashiLog] method on an injected category logger
    host.Services.GetRequiredService<KakashiLogger<Shipping>>().Packed(43);
    // the host owns the pipeline: stopping it flushes and closes the file
    await host.StopAsync();
}

public sealed class Shipping;

public static partial class ShippingLog
{
    [KakashiLog(LogLevel.Warning, "Order {OrderId} packed", EventId = 8)]
    public static partial void Packed(this KakashiLogger logger, int orderId);
}
