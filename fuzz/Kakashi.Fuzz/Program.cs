using System;
using System.Buffers;
using System.IO;
using Kakashi;
using SharpFuzz;

// SharpFuzz entry point for the .klog decoder (docs/binary-log.md, "Fuzzing"). The property fuzzed is the one the
// runtime's mutation fuzzer checks in `dotnet test`: whatever the bytes, KlogReader returns records the formatters can
// write, reports damage, or refuses a newer version (KlogVersionException) — it never throws anything else.
//
//   libFuzzer:  dotnet run -c Release --project fuzz/Kakashi.Fuzz -- libfuzzer   (under libfuzzer-dotnet, after
//               `sharpfuzz bin/Release/net10.0/Kakashi.dll` instrumented the runtime)
//   AFL:        afl-fuzz -i corpus -o findings -- dotnet bin/Release/net10.0/Kakashi.Fuzz.dll
//   replay:     dotnet run -c Release --project fuzz/Kakashi.Fuzz -- replay FILE...   (a crash file or a corpus)
var formatters = new LogFormatter[]
{
    new TextFormatter("{Timestamp:O} {Level:u3} {Category} {EventId} {ThreadId} {ThreadName} {TraceId} {Message} {Properties}{NewLine}{Exception}"),
    new JsonFormatter(),
    new JsonFormatter { Fields = JsonFieldSet.Clef },
    new JsonFormatter { Fields = JsonFieldSet.Ecs },
};
var sink = new ArrayBufferWriter<byte>(1 << 16);

void Decode(Stream stream)
{
    try
    {
        using var reader = new KlogReader(stream, leaveOpen: true, name: "fuzz.klog");
        while (reader.MoveNext())
        {
            foreach (var formatter in formatters)
            {
                sink.ResetWrittenCount();
                var w = new Utf8Writer(sink);
                formatter.Format(reader.Current, ref w);
                w.Commit();
            }
        }
    }
    catch (KlogVersionException)
    {
        // refused by design
    }
}

if (args.Length > 0 && args[0] == "libfuzzer")
{
    Fuzzer.LibFuzzer.Run(span => Decode(new MemoryStream(span.ToArray())));
    return 0;
}
if (args.Length > 0 && args[0] == "replay")
{
    foreach (string path in args[1..])
    {
        using var file = File.OpenRead(path);
        Decode(file);
        Console.WriteLine($"{path}: ok");
    }
    return 0;
}
Fuzzer.OutOfProcess.Run(Decode);
return 0;
