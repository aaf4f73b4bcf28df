using System.Text.Json;
using RunsStream.Protocol.EngineIO;

namespace RunsStream.Protocol.SocketIO;

/// <summary>What a namespace socket knows of its connection (the reference's socket.handshake).</summary>
public sealed record SocketIOHandshake(HandshakeRequest Request, JsonElement Auth)
{
    /// <summary>The query parameters of the request that opened the connection.</summary>
    public IReadOnlyDictionary<string, string> Query => Request.Query;

    /// <summary>The headers of the request that opened the connection.</summary>
    public IReadOnlyDictionary<string, string> Headers => Request.Headers;

    /// <summary>A string field of the CONNECT auth payload, or null.</summary>
    public string? GetAuthString(string name) =>
        Auth.ValueKind == JsonValueKind.Object && Auth.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : null;
}
