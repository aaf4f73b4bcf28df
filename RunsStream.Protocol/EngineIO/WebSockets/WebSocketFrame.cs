namespace RunsStream.Protocol.EngineIO.WebSockets;

/// <summary>One decoded client frame; <see cref="Payload"/> is already unmasked.</summary>
internal readonly record struct WebSocketFrame(bool Fin, WebSocketOpcode Opcode, byte[] Payload)
{
    public bool IsControl => (byte)Opcode >= 0x8;
}
