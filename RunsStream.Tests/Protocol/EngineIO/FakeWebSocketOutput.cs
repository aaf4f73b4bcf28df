using RunsStream.Protocol.EngineIO.Transports;

namespace RunsStream.Tests.Protocol.EngineIO;

/// <summary>
/// A WebSocket output for <c>OutboundQueue</c> tests: a send-now takes at most
/// <see cref="Accept"/> bytes (0: the socket is full, -1: it is broken) and records them.
/// The writer's batch path is not used by the queue, so it is not implemented.
/// </summary>
internal sealed class FakeWebSocketOutput : WebSocketOutput
{
    public int Accept { get; set; } = int.MaxValue;

    public List<byte> Sent { get; } = [];

    public int Calls { get; private set; }

    public override bool HasPending => false;

    public override bool CanSendNow => true;

    public override void Add(ReadOnlyMemory<byte> frame) => throw new NotSupportedException();

    public override ValueTask SendAsync() => throw new NotSupportedException();

    public override int TrySendNow(ReadOnlySpan<byte> frame)
    {
        Calls++;
        if (Accept < 0)
        {
            return -1;
        }
        var n = Math.Min(Accept, frame.Length);
        Sent.AddRange(frame[..n].ToArray());
        return n;
    }
}
