using RunsStream.Protocol.EngineIO.Parser;

namespace RunsStream.Protocol.EngineIO;

/// <summary>
/// What sits on top of an Engine.IO session (the Socket.IO connection, or a raw echo).
/// Calls arrive one at a time per session, in the order the client sent the packets.
/// </summary>
public interface IEngineSessionHandler
{
    /// <summary>A MESSAGE packet, text (UTF-8 after the "4") or binary.</summary>
    void OnMessage(EnginePacket packet);

    /// <summary>The session ended; called once.</summary>
    void OnClose(string reason);
}
