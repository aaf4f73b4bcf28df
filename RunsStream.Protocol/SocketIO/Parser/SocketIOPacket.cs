using System.Text.Json;

namespace RunsStream.Protocol.SocketIO.Parser;

/// <summary>
/// One decoded Socket.IO packet. <see cref="Data"/> is the JSON payload (undefined when absent);
/// for binary packets <see cref="Attachments"/> counts the binary messages that follow.
/// </summary>
internal sealed record SocketIOPacket(SocketIOPacketType Type, string Namespace, long? Id, JsonElement Data, int Attachments)
{
    public const string RootNamespace = "/";

    public bool IsBinary => Type is SocketIOPacketType.BinaryEvent or SocketIOPacketType.BinaryAck;

    public bool HasData => Data.ValueKind != JsonValueKind.Undefined;
}
