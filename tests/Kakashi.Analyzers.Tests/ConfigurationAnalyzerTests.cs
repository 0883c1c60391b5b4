using System.Threading.Tasks;
using Kakashi.Analyzers.Tests.Infrastructure;
using Kakashi.CodeFixes;
using Kakashi.Generators.Analyzers;

namespace Kakashi.Analyzers.Tests;

public class ConfigurationAnalyzerTests
{
    private static Task Check(string body) => Verify.AnalyzerAsync<ConfigurationAnalyzer>(Wrap(body));

    private static string Wrap(string body) => Verify.Usings + Stubs.NetworkWriters + """
        public static class Setup
        {
            public static void Run(TimeSpan variable, int size)
            {
        """ + body + """
            }
        }
        """;

    [Fact]
    public Task Valid_and_non_constant_values_report_nothing() => Check("""
                var config = new AsyncPipelineConfig
                {
                    BufferSize = 64 * 1024,
                    ObjectSlots = 16,
                    MaxBatchRecords = 1,
                    ShutdownTimeout = TimeSpan.FromSeconds(5),
                    FlushInterval = TimeSpan.FromMilliseconds(200),
                    BackpressureLimit = 64 * 1024,
                    Backpressure = new BackpressureConfig { WarningThreshold = 40_000, DropThreshold = 60_000, DropStrategy = DropStrategy.DropNewest },
                    Writers = [new AsyncFileWriter("app.log") { BatchSize = 4096, FlushInterval = TimeSpan.FromSeconds(1), QueueLimit = 1 << 20 }],
                };
                config.BufferSize = size;
                config.ShutdownTimeout = variable;
                var retry = new RetryOptions { MaxRetries = 0, InitialDelay = TimeSpan.Zero };
                var breaker = new CircuitBreakerOptions { FailureThreshold = 2, BreakDuration = TimeSpan.FromMilliseconds(500) };
                var http = new HttpBatchWriter("https://logs.example.com/ingest");
                var syslog = new SyslogWriter("tcp://logs.example.com:6514");
        """);

    [Fact]
    public Task KAK050_not_a_power_of_two() => Check("""
                var config = new AsyncPipelineConfig { BufferSize = {|KAK050:3000 * 1024|}, ObjectSlots = {|KAK050:1000|} };
                config.BufferSize = {|KAK050:100_000|};
                var backpressure = new BackpressureConfig { BufferSize = {|KAK050:5000|} };
        """);

    [Fact]
    public Task KAK051_out_of_range() => Check("""
                var config = new AsyncPipelineConfig { BufferSize = {|KAK051:1024|}, MaxBatchRecords = {|KAK051:0|}, MinLevel = {|KAK051:(Microsoft.Extensions.Logging.LogLevel)9|} };
                var file = new AsyncFileWriter("app.log") { BatchSize = {|KAK051:1024|} };
                var queue = new AsyncFileWriter("app.log") { QueueLimit = {|KAK051:1000|} };
                var rolling = new AsyncFileWriter("app.log") { FileSizeLimitBytes = {|KAK051:1023|}, RetainedFileCountLimit = {|KAK051:0|} };
                var rollingFine = new AsyncFileWriter("app.log") { FileSizeLimitBytes = 1024, RetainedFileCountLimit = 1 };
                var retry = new RetryOptions { MaxRetries = {|KAK051:-1|} };
                var breaker = new CircuitBreakerOptions { FailureThreshold = {|KAK051:1|} };
        """);

    [Fact]
    public Task KAK052_interval_out_of_range() => Check("""
                var config = new AsyncPipelineConfig { ShutdownTimeout = {|KAK052:TimeSpan.Zero|}, FlushInterval = {|KAK052:TimeSpan.FromHours(2)|} };
                var file = new AsyncFileWriter("app.log") { FlushInterval = {|KAK052:-TimeSpan.FromSeconds(1)|}, Fsync = FsyncPolicy.Interval, FsyncInterval = {|KAK052:default|} };
                var other = new AsyncFileWriter("app.log") { FsyncInterval = TimeSpan.Zero };
                var retained = new AsyncFileWriter("app.log") { RetainedFileTimeLimit = {|KAK052:TimeSpan.Zero|} };
                var retainedFine = new AsyncFileWriter("app.log") { RetainedFileTimeLimit = TimeSpan.FromDays(7) };
                var breaker = new CircuitBreakerOptions { BreakDuration = {|KAK052:TimeSpan.FromMilliseconds(100)|}, SamplingWindow = {|KAK052:new TimeSpan(0, 0, 0)|} };
                var retry = new RetryOptions { InitialDelay = {|KAK052:TimeSpan.FromTicks(-1)|} };
        """);

    [Fact]
    public Task KAK053_very_long_flush_interval() => Check("""
                var config = new AsyncPipelineConfig { FlushInterval = {|KAK053:TimeSpan.FromMinutes(10)|} };
                var file = new AsyncFileWriter("app.log") { FlushInterval = {|KAK053:TimeSpan.FromSeconds(61)|} };
                var fine = new AsyncFileWriter("app.log") { FlushInterval = TimeSpan.FromSeconds(60) };
        """);

    [Fact]
    public Task KAK054_inverted_thresholds() => Check("""
                var backpressure = new BackpressureConfig { WarningThreshold = {|KAK054:900_000|}, DropThreshold = 800_000 };
                var equal = new BackpressureConfig { WarningThreshold = {|KAK054:800_000|}, DropThreshold = 800_000 };
                var fine = new BackpressureConfig { WarningThreshold = 700_000, DropThreshold = 800_000 };
        """);

    [Fact]
    public Task KAK055_threshold_above_the_buffer() => Check("""
                var own = new BackpressureConfig { BufferSize = 65536, WarningThreshold = {|KAK055:70_000|}, DropThreshold = {|KAK055:80_000|} };
                var nested = new AsyncPipelineConfig { BufferSize = 65536, Backpressure = new BackpressureConfig { DropThreshold = {|KAK055:100_000|} } };
                var unknown = new BackpressureConfig { DropThreshold = 100_000_000 };
        """);

    [Fact]
    public Task KAK056_backpressure_limit_below_the_buffer() => Check("""
                var config = new AsyncPipelineConfig { BufferSize = 1 << 20, BackpressureLimit = {|KAK056:65536|} };
                var nested = new AsyncPipelineConfig { Backpressure = new BackpressureConfig { BufferSize = 1 << 20 }, BackpressureLimit = {|KAK056:65536|} };
                var fine = new AsyncPipelineConfig { BufferSize = 1 << 20, BackpressureLimit = 1 << 20 };
        """);

    [Fact]
    public Task KAK057_batch_above_the_queue() => Check("""
                var file = new AsyncFileWriter("app.log") { BatchSize = {|KAK057:1 << 20|}, QueueLimit = 65536 };
                var config = new AsyncPipelineConfig
                {
                    BackpressureLimit = 1 << 20,
                    Writers = [new AsyncFileWriter("a.log") { BatchSize = {|KAK057:4 << 20|} }, new AsyncFileWriter("b.log") { BatchSize = 1 << 20 }],
                };
        """);

    [Fact]
    public Task KAK058_invalid_endpoints() => Check("""
                var relative = new HttpBatchWriter({|KAK058:"logs/ingest"|});
                var ftp = new HttpBatchWriter({|KAK058:"ftp://logs.example.com"|});
                var uri = new HttpBatchWriter("https://ok.example.com") { Endpoint = {|KAK058:"logs.example.com:80"|} };
                var noPort = new SyslogWriter({|KAK058:"logs.example.com"|});
                var badScheme = new SyslogWriter({|KAK058:"http://logs.example.com:514"|});
                var fine = new SyslogWriter("[::1]:514");
        """);

    [Fact]
    public Task Fix_rounds_up_to_the_next_power_of_two() => Verify.CodeFixAsync<ConfigurationAnalyzer, PowerOfTwoCodeFixProvider>(
        Wrap("""
                var config = new AsyncPipelineConfig { BufferSize = {|KAK050:3000 * 1024|} /* ring */, ObjectSlots = {|KAK050:1000|} };
        """),
        Wrap("""
                var config = new AsyncPipelineConfig { BufferSize = 4 * 1024 * 1024 /* ring */, ObjectSlots = 1024 };
        """));

    [Fact]
    public Task Fix_all_rounds_every_size() => Verify.FixAllAsync<ConfigurationAnalyzer, PowerOfTwoCodeFixProvider>(
        Wrap("""
                var config = new AsyncPipelineConfig { BufferSize = {|KAK050:0x3000|}, ObjectSlots = {|KAK050:1000|} };
        """),
        Wrap("""
                var config = new AsyncPipelineConfig { BufferSize = 0x4000, ObjectSlots = 1024 };
        """));

    [Fact]
    public Task Fix_swaps_inverted_thresholds() => Verify.CodeFixAsync<ConfigurationAnalyzer, SwapThresholdsCodeFixProvider>(
        Wrap("""
                var backpressure = new BackpressureConfig
                {
                    WarningThreshold = {|KAK054:900_000|}, // warn first
                    DropThreshold = 800_000,
                };
        """),
        Wrap("""
                var backpressure = new BackpressureConfig
                {
                    WarningThreshold = 800_000, // warn first
                    DropThreshold = 900_000,
                };
        """));

    [Fact]
    public Task Fix_all_swaps_every_pair() => Verify.FixAllAsync<ConfigurationAnalyzer, SwapThresholdsCodeFixProvider>(
        Wrap("""
                var a = new BackpressureConfig { WarningThreshold = {|KAK054:900_000|}, DropThreshold = 800_000 };
                var b = new BackpressureConfig { DropThreshold = 100_000, WarningThreshold = {|KAK054:200_000|} };
        """),
        Wrap("""
                var a = new BackpressureConfig { WarningThreshold = 800_000, DropThreshold = 900_000 };
                var b = new BackpressureConfig { DropThreshold = 200_000, WarningThreshold = 100_000 };
        """));
}
