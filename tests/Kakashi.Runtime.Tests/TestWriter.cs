using System;
using System.Collections.Generic;
using System.IO;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Kakashi;

namespace Kakashi.Runtime.Tests;

/// <summary>A writer whose behaviour tests control: it keeps the lines it wrote, can be slow, fail, or hang.</summary>
internal sealed class TestWriter : LogWriter
{
    private readonly Lock _lock = new();
    private readonly List<string> _lines = new();
    private readonly StringBuilder _partial = new();
    private int _failuresLeft;

    public TestWriter(string name = "test")
    {
        WriterName = name;
        // a sink the tests count every line of: it blocks like a file writer unless a test asks for another policy
        // (a custom writer's own default is DropOldest: LogWriterDefaultsTests)
        Backpressure = DropStrategy.Block;
    }

    public string WriterName { get; }

    public override string Name => WriterName;

    /// <summary>Time each batch takes.</summary>
    public TimeSpan Delay { get; set; }

    /// <summary>Fail every write while true.</summary>
    public bool AlwaysFail { get; set; }

    /// <summary>Fail this many writes, then succeed.</summary>
    public int FailuresLeft
    {
        get => Volatile.Read(ref _failuresLeft);
        set => Volatile.Write(ref _failuresLeft, value);
    }

    /// <summary>Never return from a write, ignoring cancellation (a wedged socket).</summary>
    public bool Hang { get; set; }

    public int Attempts;
    public int Flushes;

    public IReadOnlyList<string> Lines
    {
        get
        {
            lock (_lock) return _lines.ToArray();
        }
    }

    protected internal override void Open(WriterContext context)
    {
    }

    protected internal override async ValueTask WriteAsync(LogBatch batch, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref Attempts);
        if (Hang)
        {
            using var never = new ManualResetEventSlim(false);
            never.Wait(TimeSpan.FromSeconds(30), CancellationToken.None); // ignores the token, as a wedged write would
        }
        if (Delay > TimeSpan.Zero) await Task.Delay(Delay, cancellationToken);
        if (AlwaysFail) throw new IOException($"{Name} is down");
        if (Interlocked.Decrement(ref _failuresLeft) >= 0) throw new IOException($"{Name} failed (transient)");
        lock (_lock)
        {
            _partial.Append(Encoding.UTF8.GetString(batch.Bytes.Span));
            string text = _partial.ToString();
            int last = text.LastIndexOf('\n');
            if (last < 0) return;
            _lines.AddRange(text[..last].Split('\n'));
            _partial.Clear().Append(text[(last + 1)..]);
        }
    }

    protected internal override ValueTask FlushAsync(CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref Flushes);
        return ValueTask.CompletedTask;
    }

    public override ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
