using Microsoft.Extensions.Logging;

namespace Kakashi.Extensions.Logging.Tests;

public static partial class NativeLog
{
    [KakashiLog(LogLevel.Information, "Native {Value}", EventId = 9001)]
    public static partial void Native(this KakashiLogger logger, int value);

    [KakashiLog(LogLevel.Debug, "Native debug {Value}", EventId = 9002)]
    public static partial void NativeDebug(this KakashiLogger logger, int value);
}
