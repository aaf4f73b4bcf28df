using RunsStream.Protocol.EngineIO.Parser;
using RunsStream.Protocol.EngineIO.Transports;

namespace RunsStream.Protocol.EngineIO;

/// <summary>
/// The session as its transports see it (<see cref="ITransportSession"/>): implemented
/// explicitly, so the transports' view adds nothing to the session's public surface and a
/// transport cannot reach the rest (handler, heartbeat, upgrade state).
/// </summary>
public sealed partial class EngineSession : ITransportSession
{
    EngineIOOptions ITransportSession.Options => _options;

    int ITransportSession.ProtocolVersion => ProtocolVersion;

    TimeProvider ITransportSession.Time => _time;

    OutboundQueue ITransportSession.Queue => Queue;

    bool ITransportSession.IsClosing => IsClosing;

    bool ITransportSession.IsFinalized => IsFinalized;

    EngineFrame ITransportSession.FinalPollFrame => FinalPollFrame;

    bool ITransportSession.IsPollingReleased => IsUpgrading || WebSocket is not null;

    void ITransportSession.OnPacket(object transport, EnginePacket packet) => OnPacket(transport, packet);

    void ITransportSession.OnTransportClosed(object transport, string reason) => OnTransportClosed(transport, reason);

    void ITransportSession.OnMalformedPayload(string reason) => OnMalformedPayload(reason);

    void ITransportSession.Abort(string reason) => Abort(reason);

    void ITransportSession.FinalizeClose() => FinalizeClose();
}
