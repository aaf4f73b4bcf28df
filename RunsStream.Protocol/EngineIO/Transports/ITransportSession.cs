using RunsStream.Protocol.EngineIO.Parser;

namespace RunsStream.Protocol.EngineIO.Transports;

/// <summary>
/// What a transport sees of its session, and all it sees: the outbound queue it drains, the
/// limits it enforces, and the calls that report what it read or how it ended. The session
/// (<see cref="EngineSession"/>) owns the state, the heartbeat and the upgrade; a transport only
/// frames bytes and reports back, so it can be driven without a session (tests).
/// </summary>
internal interface ITransportSession
{
    /// <summary>Limits: <see cref="EngineIOOptions.MaxPayload"/> inbound, <see cref="EngineIOOptions.MaxPollingResponseBytes"/> per poll.</summary>
    EngineIOOptions Options { get; }

    /// <summary>The Engine.IO revision of the session (3 or 4): how the transports frame packets.</summary>
    int ProtocolVersion { get; }

    /// <summary>The clock of the transport's own timeouts (the WebSocket close handshake).</summary>
    TimeProvider Time { get; }

    /// <summary>The frames for the client; the active transport is its only reader.</summary>
    OutboundQueue Queue { get; }

    /// <summary>Closing after a drain: once the queue is empty, the transport sends CLOSE and calls <see cref="FinalizeClose"/>.</summary>
    bool IsClosing { get; }

    /// <summary>Closed: a poll gets <see cref="FinalPollFrame"/> and nothing else.</summary>
    bool IsFinalized { get; }

    /// <summary>What a poll of a closed session is answered with (NOOP after a client close, else CLOSE).</summary>
    EngineFrame FinalPollFrame { get; }

    /// <summary>An upgrade is under way or done: a poll is answered at once (NOOP) instead of held.</summary>
    bool IsPollingReleased { get; }

    /// <summary>A packet the transport read, in the order read.</summary>
    void OnPacket(object transport, EnginePacket packet);

    /// <summary>The transport ended (end of stream, error, abandoned poll).</summary>
    void OnTransportClosed(object transport, string reason);

    /// <summary>A polling body that does not parse: the client's fault, the session ends ("parse error").</summary>
    void OnMalformedPayload(string reason);

    /// <summary>Ends the session at once (overlapping requests, oversized payload, aborted POST).</summary>
    void Abort(string reason);

    /// <summary>The CLOSE of a closing session has been sent: the session is closed.</summary>
    void FinalizeClose();
}
