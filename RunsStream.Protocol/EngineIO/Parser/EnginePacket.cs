namespace RunsStream.Protocol.EngineIO.Parser;

/// <summary>
/// One decoded Engine.IO packet. <see cref="Data"/> is the text after the type digit (UTF-8)
/// or, for a binary message, the raw bytes.
/// </summary>
public readonly record struct EnginePacket(EnginePacketType Type, ReadOnlyMemory<byte> Data, bool IsBinary)
{
    /// <summary>A text packet of type <paramref name="type"/> with <paramref name="utf8Data"/> after the type digit.</summary>
    public static EnginePacket Text(EnginePacketType type, ReadOnlyMemory<byte> utf8Data) => new(type, utf8Data, false);

    /// <summary>A binary message packet.</summary>
    public static EnginePacket Binary(ReadOnlyMemory<byte> data) => new(EnginePacketType.Message, data, true);

    /// <summary>True for the "2probe" / "3probe" packets of the upgrade handshake.</summary>
    public bool IsProbe => !IsBinary && Data.Span.SequenceEqual("probe"u8);
}
