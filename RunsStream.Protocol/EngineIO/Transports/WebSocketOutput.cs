namespace RunsStream.Protocol.EngineIO.Transports;

/// <summary>
/// Where a WebSocket transport's writer puts complete frames: frames are added to a batch,
/// then sent together. The one writer is the only caller of <see cref="Add"/> and
/// <see cref="SendAsync"/>.
/// </summary>
internal abstract class WebSocketOutput
{
    /// <summary>True when frames are waiting for <see cref="SendAsync"/>.</summary>
    public abstract bool HasPending { get; }

    /// <summary>Adds a frame to the batch; the buffer must stay unchanged until sent.</summary>
    public abstract void Add(ReadOnlyMemory<byte> frame);

    /// <summary>Sends the batch.</summary>
    public abstract ValueTask SendAsync();

    /// <summary>
    /// Sends as much of <paramref name="frame"/> as the connection takes right now without
    /// waiting: the number of bytes sent, or -1 when the connection is broken. Only outputs
    /// with <see cref="CanSendNow"/> implement it.
    /// </summary>
    public virtual int TrySendNow(ReadOnlySpan<byte> frame) => throw new NotSupportedException();

    /// <summary>
    /// True when a producer may send a frame itself, on its own thread, while the writer is
    /// idle (<see cref="OutboundQueue"/> arbitrates): no queue, no thread hop, no copy.
    /// </summary>
    public virtual bool CanSendNow => false;
}
