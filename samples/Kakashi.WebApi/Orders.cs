using System;
using Microsoft.Extensions.Logging;

namespace Kakashi.WebApi;

/// <summary>The answer of GET /orders/{id}.</summary>
public sealed record OrderQuote(int Id, string Customer, string Symbol, int Quantity, double Price);

/// <summary>
/// The endpoint's work: two structured records per request through <see cref="ILogger{T}"/>, one a
/// <c>[LoggerMessage]</c>-generated call, one a message-template call, as most ASP.NET Core code logs.
/// </summary>
public sealed partial class OrderService(ILogger<OrderService> logger, RequestCounter counter)
{
    private static readonly string[] s_symbols = ["MSFT", "AAPL", "NVDA", "AMZN"];
    private static readonly string[] s_venues = ["XNAS", "XNYS", "BATS", "IEXG"];

    /// <param name="legs">Extra records, one per order leg (<c>?legs=N</c>): a chattier endpoint, where the logger weighs more.</param>
    public OrderQuote Quote(int id, string customer, int legs = 0)
    {
        counter.Order(2 + legs);
        OrderRequested(id, customer);
        for (int leg = 0; leg < legs; leg++) LegRouted(id, leg, s_venues[leg % s_venues.Length], 10 * (leg + 1));
        string symbol = s_symbols[(uint)id % (uint)s_symbols.Length];
        int quantity = 100 + id % 50;
        double price = 101.25 + id % 7;
        // the plain message-template call most code makes (no IsEnabled guard): the arguments are boxed before any level check
#pragma warning disable CA1873
        logger.LogInformation("Quoted {Quantity} {Symbol} at {Price} for order {OrderId}", quantity, symbol, price, id);
#pragma warning restore CA1873
        return new OrderQuote(id, customer, symbol, quantity, price);
    }

    [LoggerMessage(EventId = 1001, Level = LogLevel.Information, Message = "Order {OrderId} requested by {Customer}")]
    private partial void OrderRequested(int orderId, string customer);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Information, Message = "Order {OrderId} leg {Leg} routed to {Venue} for {Quantity}")]
    private partial void LegRouted(int orderId, int leg, string venue, int quantity);
}
