using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using RunsStream.Server.Runs.Execution;

namespace RunsStream.Tests.Server.Runs.Execution;

/// <summary>
/// The push seam for executors whose output is not two pipes (a container's stream, a PTY):
/// bytes pushed in any slicing reach the sink as the same decoded events a process's pipes give.
/// </summary>
public sealed class ExecutionOutputTests
{
    // No coalescing delay: each push is delivered at once, so the events are deterministic.
    private static readonly OutputCoalescingOptions Immediate = new() { MaxDelay = TimeSpan.Zero };

    [Test]
    public void A_character_split_across_pushes_arrives_whole()
    {
        var sink = new RecordingOutputSink();
        var output = new ExecutionOutput(sink, Immediate, TimeProvider.System, NullLogger.Instance, 1);
        var euro = Encoding.UTF8.GetBytes("\u20ac!");
        output.Push(OutputStream.Stdout, euro.AsSpan(0, 1));
        output.Push(OutputStream.Stdout, euro.AsSpan(1));
        output.Complete();
        Assert.That(sink.Text(OutputStream.Stdout), Is.EqualTo("\u20ac!"));
        Assert.That(sink.SawReplacementChar, Is.False);
        Assert.That(output.StdoutBytes, Is.EqualTo(euro.Length));
    }

    [Test]
    public void Both_streams_keep_the_order_of_the_pushes_and_an_unfinished_character_ends_as_a_replacement()
    {
        var sink = new RecordingOutputSink();
        var output = new ExecutionOutput(sink, Immediate, TimeProvider.System, NullLogger.Instance, 1);
        output.Push(OutputStream.Stdout, "out 1\n"u8);
        output.Push(OutputStream.Stderr, "err 1\n"u8);
        output.Push(OutputStream.Stdout, [(byte)'x', 0xE2, 0x82]); // a euro sign cut short
        output.Complete();
        output.Push(OutputStream.Stdout, "after the end\n"u8);
        Assert.That(sink.Events.Select(e => (e.Stream, e.Text)), Is.EqualTo(new[]
        {
            (OutputStream.Stdout, "out 1\n"), (OutputStream.Stderr, "err 1\n"), (OutputStream.Stdout, "x"), (OutputStream.Stdout, "\ufffd"),
        }));
        Assert.That(output.StderrBytes, Is.EqualTo(6));
    }

    [Test]
    public async Task A_stream_source_is_pumped_to_its_end()
    {
        var sink = new RecordingOutputSink();
        var output = new ExecutionOutput(sink, new OutputCoalescingOptions(), TimeProvider.System, NullLogger.Instance, 1);
        var text = string.Concat(Enumerable.Range(1, 20000).Select(i => $"line {i} \u65e5\u672c\n"));
        await using (var source = new MemoryStream(Encoding.UTF8.GetBytes(text)))
        {
            await output.PumpAsync(source, OutputStream.Stdout).WaitAsync(TimeSpan.FromSeconds(60));
        }
        output.Complete();
        Assert.That(sink.Text(OutputStream.Stdout), Is.EqualTo(text));
        Assert.That(output.StdoutBytes, Is.EqualTo(Encoding.UTF8.GetByteCount(text)));
    }
}
