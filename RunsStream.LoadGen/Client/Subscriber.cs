using System.Diagnostics;

namespace RunsStream.LoadGen.Client;

/// <summary>
/// What one subscriber has seen of one run: the next seq it expects, the output bytes it got,
/// whether the terminal status arrived, and the first thing that went wrong. Updated by the
/// subscriber's own receive loop only; read by the scenario once <see cref="Done"/> completed.
/// </summary>
internal sealed class Subscriber
{
    private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _subscribed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Subscriber(int index, LatencyRecorder? latency = null)
    {
        Index = index;
        Latency = latency;
    }

    public int Index { get; }

    /// <summary>Where this subscriber's write-to-receive latencies go (latency scenario only).</summary>
    public LatencyRecorder? Latency { get; }

    public long NextSeq { get; private set; } = 1;

    public long OutputBytes { get; private set; }

    public long Events { get; private set; }

    public string? TerminalStatus { get; private set; }

    public string? Error { get; private set; }

    /// <summary>Stopwatch timestamp at which the terminal status arrived.</summary>
    public long DoneAt { get; private set; }

    /// <summary>Completes when the terminal status arrived or the connection failed.</summary>
    public Task Done => _done.Task;

    /// <summary>Completes when the server acknowledged the subscription.</summary>
    public Task Subscribed => _subscribed.Task;

    /// <summary>Set when the subscriber should stop reading (stalled-subscriber scenario).</summary>
    public bool StallAfterFirstEvent { get; init; }

    /// <summary>Latency parsing carried across events: the digits of a line not yet ended.</summary>
    internal long PartialLineMicros;

    public void OnEvent(long seq, bool isStatus, long dataBytes, string? status)
    {
        Events++;
        if (seq != NextSeq && Error is null)
        {
            Error = $"seq {seq} where {NextSeq} was expected";
        }
        NextSeq = seq + 1;
        if (!isStatus)
        {
            OutputBytes += dataBytes;
            return;
        }
        if (status is "succeeded" or "failed" or "cancelled")
        {
            TerminalStatus = status;
            DoneAt = Stopwatch.GetTimestamp();
            _done.TrySetResult();
        }
    }

    public void OnSubscribeAck(bool ok, string text)
    {
        if (ok)
        {
            _subscribed.TrySetResult();
        }
        else
        {
            Fail("subscribe refused: " + text);
        }
    }

    public void Fail(string error)
    {
        Error ??= error;
        _subscribed.TrySetException(new InvalidOperationException(error));
        _done.TrySetResult();
    }

    /// <summary>Empty when this subscriber got the whole run; else what is wrong.</summary>
    public string Verify(long expectedBytes)
    {
        if (Error is not null)
        {
            return Error;
        }
        if (TerminalStatus != "succeeded")
        {
            return $"no terminal status (ended {TerminalStatus ?? "never"}, {OutputBytes} bytes, next seq {NextSeq})";
        }
        if (expectedBytes >= 0 && OutputBytes != expectedBytes)
        {
            return $"{OutputBytes} output bytes where {expectedBytes} were expected";
        }
        return "";
    }
}
