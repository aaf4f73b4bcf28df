namespace RunsStream.Protocol.SocketIO.Parser;

/// <summary>
/// Collects the attachments that follow a binary packet (socket.io-protocol v5, "Binary
/// attachments": a BINARY_EVENT or BINARY_ACK is followed by as many binary messages as its
/// header announces). Pure. What it may hold is bounded: the announcement is bounded by the
/// reader (<see cref="SocketIOPacketReader.DefaultMaxAttachments"/>), the bytes by
/// <see cref="MaxBytes"/>; going past either is a protocol error, after which nothing is held.
/// </summary>
internal sealed class BinaryPacketAssembler(long maxBytes)
{
    private SocketIOPacket? _packet;
    private List<byte[]>? _parts;

    /// <summary>The most bytes the attachments of one packet may hold together.</summary>
    public long MaxBytes { get; } = maxBytes;

    /// <summary>Bytes of attachments held for the packet being assembled.</summary>
    public long BufferedBytes { get; private set; }

    /// <summary>True while attachments are expected.</summary>
    public bool IsAssembling => _packet is not null;

    /// <summary>Starts waiting for the attachments of <paramref name="packet"/>, whose placeholders must all be in range.</summary>
    public void Begin(SocketIOPacket packet)
    {
        if (_packet is not null)
        {
            Reset();
            throw new SocketIOProtocolException("got plaintext data when reconstructing a packet");
        }
        BinaryPlaceholder.Validate(packet.Data, packet.Attachments);
        _packet = packet;
        _parts = new List<byte[]>(packet.Attachments);
    }

    /// <summary>
    /// Adds one attachment. Returns true with the packet and all its attachments when this was
    /// the last one; false while more are expected.
    /// </summary>
    public bool TryAdd(ReadOnlySpan<byte> attachment, out SocketIOPacket packet, out IReadOnlyList<byte[]> attachments)
    {
        if (_packet is not { } pending || _parts is not { } parts)
        {
            throw new SocketIOProtocolException("got binary data when not reconstructing a packet");
        }
        if (BufferedBytes + attachment.Length > MaxBytes)
        {
            Reset();
            throw new SocketIOProtocolException("attachments exceed the maximum payload");
        }
        // Copied: the transport reuses the buffer the message was read into.
        parts.Add(attachment.ToArray());
        BufferedBytes += attachment.Length;
        if (parts.Count < pending.Attachments)
        {
            packet = null!;
            attachments = Array.Empty<byte[]>();
            return false;
        }
        Reset();
        packet = pending;
        attachments = parts;
        return true;
    }

    /// <summary>Drops whatever is held.</summary>
    public void Reset()
    {
        _packet = null;
        _parts = null;
        BufferedBytes = 0;
    }
}
