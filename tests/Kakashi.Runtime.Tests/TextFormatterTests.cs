using System;
using System.Buffers;
using System.Globalization;
using System.Text;
using System.Threading.Tasks;
using Kakashi.Formatting;
using Microsoft.Extensions.Logging;

namespace Kakashi.Runtime.Tests;

public class TextFormatterTests
{
    [Fact]
    public void Round_trip_timestamp_fast_path_equals_DateTime_O()
    {
        var random = new Random(42);
        var buffer = new ArrayBufferWriter<byte>();
        var start = new DateTime(2026, 11, 27, 23, 59, 58, DateTimeKind.Utc).Ticks;
        for (int i = 0; i < 20_000; i++)
        {
            // consecutive values crossing second, minute, day and year boundaries, plus random ones
            long ticks = i < 10_000 ? start + i * 3_000L + random.Next(3_000) : random.NextInt64(DateTime.MinValue.Ticks, DateTime.MaxValue.Ticks);
            var utc = new DateTime(ticks, DateTimeKind.Utc);
            buffer.ResetWrittenCount();
            var writer = new Utf8Writer(buffer);
            TimestampFormatter.WriteRoundTrip(utc, ref writer);
            writer.Commit();
            Assert.Equal(utc.ToString("O", CultureInfo.InvariantCulture), Encoding.UTF8.GetString(buffer.WrittenSpan));
        }
    }

    [Fact]
    public async Task Every_token_renders()
    {
        await using var log = new TempLog("{{{Level}|{Level:u3}|{Level:w3}|{Category}|{EventId}|{EventName}|{ThreadId}|{Timestamp:yyyy}}} {Message}{NewLine}");
        int thread = 0;
        var producer = new System.Threading.Thread(() =>
        {
            thread = Environment.CurrentManagedThreadId;
            log.Logger.OrderFilled(1, 2, 3.5, "X");
        });
        producer.Start();
        producer.Join();
        string line = (await log.ReadLinesAsync())[0];
        Assert.Equal($"{{Information|INF|inf|Test|1001|OrderFilled|{thread}|{DateTime.UtcNow.Year}}} Order 1 filled 2 at 3.5 for X", line);
    }

    [Fact]
    public async Task Default_template_is_timestamp_level_category_message()
    {
        await using var log = new TempLog(TextFormatter.DefaultTemplate);
        log.Logger.Int(5);
        string line = (await log.ReadLinesAsync())[0];
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z \[Information\] Test: Int 5$", line);
    }

    [Fact]
    public void Trace_span_and_thread_tokens_come_from_the_record()
    {
        var template = HandRecords.Template("m");
        var formatter = new TextFormatter("{TraceId}|{SpanId}|{ThreadName}|{Message}");
        using var activity = new System.Diagnostics.Activity("op").SetIdFormat(System.Diagnostics.ActivityIdFormat.W3C).Start();
        Assert.Equal($"{activity.TraceId.ToHexString()}|{activity.SpanId.ToHexString()}|worker|m",
            HandRecords.Text(formatter, template, [], [activity], "worker", Kakashi.Buffers.RecordFlags.HasActivity));
        Assert.Matches("^[0-9a-f]{32}\\|[0-9a-f]{16}\\|", HandRecords.Text(formatter, template, [], [activity], "worker", Kakashi.Buffers.RecordFlags.HasActivity));
        // nothing captured, or a hierarchical id: empty
        Assert.Equal("|||m", HandRecords.Text(formatter, template, []));
        using var hierarchical = new System.Diagnostics.Activity("old").SetIdFormat(System.Diagnostics.ActivityIdFormat.Hierarchical).Start();
        Assert.Equal("||t|m", HandRecords.Text(formatter, template, [], [hierarchical], "t", Kakashi.Buffers.RecordFlags.HasActivity));
    }

    [Theory]
    [InlineData("[{Level,-11}]", "[Warning    ]")]
    [InlineData("[{Level,11}]", "[    Warning]")]
    [InlineData("[{Level,-5:u3}][{Level,5:w3}]", "[WRN  ][  wrn]")]
    [InlineData("[{Level,3}]", "[Warning]")] // never cut
    [InlineData("[{Category,10}][{Category,-10}]", "[   Hostile][Hostile   ]")]
    [InlineData("[{ EventId , 4 }][{EventName,-8}][{ThreadId,-3}]", "[   7][Hostile ][42 ]")]
    [InlineData("[{ThreadName,8}][{TraceId,3}][{SpanId,-2}]", "[  wörkér][   ][  ]")] // width in chars, not bytes
    [InlineData("[{Message,-12}][{Message,12}]", "[Value a\\nb  ][  Value a\\nb]")]
    [InlineData("[{Timestamp,-25:yyyy-MM-dd HH:mm:ss.fff}]", "[2026-12-01 10:20:30.123  ]")]
    [InlineData("[{Timestamp,30}]", "[  2026-12-01T10:20:30.1234567Z]")]
    [InlineData("[{Properties,3}][{Exception,2}]", "[   ][  ]")]
    public void Every_token_takes_an_alignment(string template, string expected)
    {
        var message = HandRecords.Template("Value {V}", Kakashi.Templates.ArgType.String);
        Assert.Equal(expected, HandRecords.Text(new TextFormatter(template), message, [HandRecords.String("a\nb")], threadName: "wörkér"));
    }

    [Theory]
    [InlineData("{Nope}", "Unknown token {Nope}")]
    [InlineData("{Level,x}", "Invalid alignment")]
    [InlineData("{Level,1000000}", "Invalid alignment")]
    [InlineData("{Category:x}", "{Category} takes no format")]
    [InlineData("{Trace}", "Known tokens: Timestamp, Level, Category, EventId, EventName, ThreadId, ThreadName, TraceId, SpanId, Message, Exception, NewLine, Properties.")]
    [InlineData("{Message", "Unclosed '{'")]
    [InlineData("Message}", "Unbalanced '}'")]
    [InlineData("{Level:xx}", "Unknown {Level} format")]
    [InlineData("{Timestamp:%}", "Invalid {Timestamp} format")]
    public void Bad_output_templates_fail_at_construction(string template, string message)
    {
        var error = Assert.Throws<ArgumentException>(() => new TextFormatter(template));
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }
}

public class ConfigurationTests
{
    private static AsyncPipelineConfig Valid() => new() { Writers = [new AsyncFileWriter(System.IO.Path.Combine(System.IO.Path.GetTempPath(), "kakashi-tests", Guid.NewGuid().ToString("N"), "x.log"))], FlushOnProcessExit = false };

    [Theory]
    [InlineData(nameof(AsyncPipelineConfig.BufferSize), 1000)]
    [InlineData(nameof(AsyncPipelineConfig.BufferSize), 3 * 4096)]
    [InlineData(nameof(AsyncPipelineConfig.BufferSize), 2048)]
    [InlineData(nameof(AsyncPipelineConfig.ObjectSlots), 100)]
    [InlineData(nameof(AsyncPipelineConfig.MaxBatchRecords), 0)]
    public void Invalid_numbers_are_rejected_naming_the_property(string property, int value)
    {
        var config = Valid();
        typeof(AsyncPipelineConfig).GetProperty(property)!.SetValue(config, value);
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new AsyncPipeline(config));
        Assert.Equal(property, error.ParamName);
    }

    [Fact]
    public void No_writer_is_rejected()
    {
        var error = Assert.Throws<ArgumentException>(() => new AsyncPipeline(new AsyncPipelineConfig()));
        Assert.Equal(nameof(AsyncPipelineConfig.Writers), error.ParamName);
    }

    [Fact]
    public void The_same_writer_twice_is_rejected()
    {
        var writer = new AsyncFileWriter("x.log");
        var error = Assert.Throws<ArgumentException>(() => new AsyncPipeline(new AsyncPipelineConfig { Writers = [writer, writer] }));
        Assert.Contains("same writer", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Invalid_min_level_and_shutdown_timeout_are_rejected()
    {
        var config = Valid();
        config.MinLevel = (LogLevel)42;
        Assert.Equal(nameof(AsyncPipelineConfig.MinLevel), Assert.Throws<ArgumentOutOfRangeException>(() => new AsyncPipeline(config)).ParamName);
        config = Valid();
        config.ShutdownTimeout = TimeSpan.Zero;
        Assert.Equal(nameof(AsyncPipelineConfig.ShutdownTimeout), Assert.Throws<ArgumentOutOfRangeException>(() => new AsyncPipeline(config)).ParamName);
    }

    [Fact]
    public void Invalid_file_writer_settings_are_rejected_at_setup()
    {
        var config = Valid();
        config.Writers = [new AsyncFileWriter("x.log") { FlushInterval = TimeSpan.Zero }];
        Assert.Equal("Writers[0].FlushInterval", Assert.Throws<ArgumentOutOfRangeException>(() => new AsyncPipeline(config)).ParamName);
        config.Writers = [new TestWriter(), new AsyncFileWriter("x.log") { BatchSize = 10 }];
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new AsyncPipeline(config));
        Assert.Equal("Writers[1].BatchSize", e.ParamName); // the writer's own option, named with its place in the configuration
        Assert.Contains("4096", e.Message);
    }

    [Fact]
    public void An_unwritable_file_fails_at_setup()
    {
        var config = Valid();
        config.Writers = [new AsyncFileWriter("/proc/kakashi-cannot-write-here/x.log")];
        Assert.ThrowsAny<System.IO.IOException>(() => new AsyncPipeline(config));
    }

    [Fact]
    public async Task Loggers_are_cached_per_category_and_folders_are_created()
    {
        var config = Valid();
        await using var pipeline = new AsyncPipeline(config);
        Assert.Same(pipeline.CreateLogger("A"), pipeline.CreateLogger("A"));
        Assert.NotSame(pipeline.CreateLogger("A"), pipeline.CreateLogger("B"));
        Assert.Equal(typeof(ConfigurationTests).FullName, pipeline.CreateLogger<ConfigurationTests>().Category);
        Assert.True(System.IO.File.Exists(((AsyncFileWriter)config.Writers[0]).Path));
    }
}
