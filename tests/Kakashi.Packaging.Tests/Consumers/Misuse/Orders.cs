using Kakashi;
using Microsoft.Extensions.Logging;

namespace Misuse;

public static partial class OrderLog
{
    // the template names {Customer}, the method has no such parameter (KAK021, an error that stops the generator: it
    // writes a stub, so the compiler does not stop first at CS8795); and orderId is in no hole (KAK022, a warning)
    [KakashiLog(LogLevel.Information, "Order placed for {Customer}")]
    public static partial void Placed(this KakashiLogger logger, int orderId);
}
