using Microsoft.Extensions.Logging;
using RunsStream.Protocol.EngineIO.Parser;
using RunsStream.Protocol.EngineIO.Transports;

namespace RunsStream.Protocol.EngineIO;

/// <summary>
/// One Engine.IO session (the reference's engine <c>Socket</c>): its state, its outbound queue
/// drained by exactly one transport writer at a time, its heartbeat and its upgrade from
/// long-polling to WebSocket (see the partial files).
/// </summary>
public sealed partial class EngineSession
{
    private readonly object _lock = new();
    private readonly EngineIOOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Action<EngineSession> _onFinalized;
    private IEngineSessionHandler _handler = NullHandler.Instance;
    private SessionState _state = SessionState.Open;
    private bool _clientClosed;
    private ITimer? _closeTimer;

    internal EngineSession(string id, HandshakeRequest request, EngineIOOptions options, TimeProvider time, ILogger logger, Action<EngineSession> onFinalized, int protocolVersion = 4)
    {
        Id = id;
        Request = request;
        ProtocolVersion = protocolVersion;
        _options = options;
        _time = time;
        _logger = logger;
        _onFinalized = onFinalized;
        Queue = new OutboundQueue(options.MaxBufferedBytes);
    }

    /// <summary>The session id (the handshake's <c>sid</c>).</summary>
    public string Id { get; }

    /// <summary>The request that opened the session (query, headers, address).</summary>
    public HandshakeRequest Request { get; }

    /// <summary>
    /// The Engine.IO revision the client spoke at its handshake (the <c>EIO</c> query): 4, or 3
    /// for socket.io-client 2.x when <see cref="EngineIOOptions.AllowEIO3"/> is on. Fixed for
    /// the session's life; the layers above speak Socket.IO protocol v4 over a v3 session.
    /// </summary>
    public int ProtocolVersion { get; }

    /// <summary>"polling" or "websocket": the transport currently carrying the session.</summary>
    public string TransportName => WebSocket is not null ? TransportNames.WebSocket : TransportNames.Polling;

    /// <summary>True until the session starts closing.</summary>
    public bool IsOpen => _state == SessionState.Open;

    /// <summary>Outbound bytes waiting for the client.</summary>
    public long BufferedBytes => Queue.BufferedBytes;

    internal OutboundQueue Queue { get; }

    /// <summary>
    /// Waits until the transport has taken frames from the outbound buffer (or the session
    /// closed): lets a producer pace itself to the client instead of filling the buffer.
    /// </summary>
    public Task WaitForDrainAsync(CancellationToken cancellationToken = default) =>
        Queue.WaitForDrainAsync().WaitAsync(cancellationToken);

    /// <summary>
    /// Completes when every frame sent so far is written to the connection by the WebSocket
    /// writer (or the session closed). Over long-polling it waits for the upgrade or the close.
    /// </summary>
    internal Task WaitForWrittenAsync() => Queue.WaitForWrittenAsync();

    /// <summary>The session's clock: heartbeat, close and transport timeouts.</summary>
    internal TimeProvider Time => _time;

    internal PollingTransport? Polling { get; private set; }

    internal WebSocketTransport? WebSocket { get; private set; }

    internal bool IsClosing => _state == SessionState.Closing;

    internal bool IsFinalized => _state == SessionState.Closed;

    /// <summary>When closed without a client request, a pending poll is answered with CLOSE; else NOOP.</summary>
    internal EngineFrame FinalPollFrame => _clientClosed ? EngineFrame.Noop : EngineFrame.Close;

    /// <summary>
    /// The client ended the session with a CLOSE packet while it was polling (not on a
    /// WebSocket) and no poll of it was held then: one it sent meanwhile may still come.
    /// </summary>
    internal bool ClosedByPollingClient => _clientClosed && WebSocket is null && _pollPendingAtClose == false;

    private bool? _pollPendingAtClose;

    internal EngineIOOptions Options => _options;

    internal void Attach(IEngineSessionHandler handler) => _handler = handler;

    internal void StartWithPolling(PollingTransport polling)
    {
        Polling = polling;
        SchedulePing();
    }

    internal void StartWithWebSocket(WebSocketTransport webSocket)
    {
        WebSocket = webSocket;
        webSocket.Activate();
        SchedulePing();
    }

    /// <summary>Queues a frame for the client. False when the session is closed or the client is too slow.</summary>
    public bool Send(EngineFrame frame) => Send(new ReadOnlySpan<EngineFrame>(in frame));

    /// <summary>
    /// Sends several frames atomically and in order (a Socket.IO packet and its binary
    /// attachments): straight to the socket while the WebSocket writer is idle, else queued.
    /// False when the session is closed or the client is too slow.
    /// </summary>
    internal bool Send(ReadOnlySpan<EngineFrame> frames)
    {
        if (_state != SessionState.Open)
        {
            return false;
        }
        if (Queue.TryEnqueue(frames))
        {
            return true;
        }
        OnSlowConsumer();
        return false;
    }

    private void OnSlowConsumer()
    {
        Log.SlowConsumer(_logger, Id, Queue.BufferedBytes, _options.MaxBufferedBytes);
        // Never close inline: the sender may be a broadcast iterating a room under its lock.
        ThreadPool.UnsafeQueueUserWorkItem(static s => s.Abort("slow consumer: outbound buffer full"), this, preferLocal: false);
    }

    /// <summary>Closes after the queued frames have been sent (server-initiated close).</summary>
    public void Close(string reason = "forced close")
    {
        if (!TryBeginClose(reason))
        {
            return;
        }
        Queue.Complete();
        if (WebSocket is { } ws)
        {
            ws.CloseAfterDrain();
        }
        else
        {
            // The next poll carries what is left and the CLOSE packet; if none comes, give up.
            _closeTimer = _time.CreateTimer(static s => ((EngineSession)s!).FinalizeClose(), this, _options.PingInterval + _options.PingTimeout, Timeout.InfiniteTimeSpan);
        }
    }

    /// <summary>
    /// A polling POST that does not parse: one line saying why (the client's fault, so no
    /// error and no stack trace), then the session ends as the reference's "parse error".
    /// </summary>
    internal void OnMalformedPayload(string reason)
    {
        Log.MalformedPayload(_logger, Id, reason);
        Abort("parse error");
    }

    /// <summary>Closes at once; queued frames are dropped.</summary>
    internal void Abort(string reason, bool clientInitiated = false)
    {
        if (clientInitiated)
        {
            _clientClosed = true;
            _pollPendingAtClose = Polling?.IsPollPending ?? false;
        }
        TryBeginClose(reason);
        FinalizeClose();
    }

    private bool TryBeginClose(string reason)
    {
        lock (_lock)
        {
            if (_state != SessionState.Open)
            {
                return false;
            }
            _state = SessionState.Closing;
        }
        StopHeartbeat();
        Log.SessionClosing(_logger, Id, reason);
        try
        {
            _handler.OnClose(reason);
        }
        catch (Exception ex)
        {
            Log.HandlerFailed(_logger, Id, ex);
        }
        return true;
    }

    internal void FinalizeClose()
    {
        lock (_lock)
        {
            if (_state == SessionState.Closed)
            {
                return;
            }
            _state = SessionState.Closed;
        }
        _closeTimer?.Dispose();
        Queue.Complete();
        WebSocket?.Close(Protocol.EngineIO.WebSockets.WebSocketCloseCodes.Normal, "");
        _probe?.Close(Protocol.EngineIO.WebSockets.WebSocketCloseCodes.Normal, "");
        StopUpgrade();
        Queue.Signal();
        _onFinalized(this);
    }

    /// <summary>A packet read by one of this session's transports.</summary>
    internal void OnPacket(object transport, EnginePacket packet)
    {
        if (_state == SessionState.Closed)
        {
            return;
        }
        if (!ReferenceEquals(transport, WebSocket) && !ReferenceEquals(transport, Polling))
        {
            // A probe may still finish while the session closes, so the close reaches the
            // client on the transport it switched to.
            if (transport is WebSocketTransport probe)
            {
                OnProbePacket(probe, packet);
            }
            return;
        }
        if (_state != SessionState.Open)
        {
            return;
        }
        if (WebSocket is not null && ReferenceEquals(transport, Polling))
        {
            return; // a late POST after the upgrade
        }

        switch (packet.Type)
        {
            case EnginePacketType.Ping when ProtocolVersion == 3:
                OnClientPing();
                break;
            case EnginePacketType.Pong when ProtocolVersion == 3:
                // As the reference ("invalid heartbeat direction"): a v3 server never pings.
                Abort("transport error");
                break;
            case EnginePacketType.Pong:
                OnPong();
                break;
            case EnginePacketType.Ping:
                // v4 clients do not ping; answering costs nothing and keeps older peers alive.
                Send(EngineFrame.Pong);
                break;
            case EnginePacketType.Message:
                Dispatch(packet);
                break;
            case EnginePacketType.Close:
                Abort("transport close", clientInitiated: true);
                break;
            default:
                break; // OPEN, UPGRADE and NOOP carry nothing on an active transport
        }
    }

    private void Dispatch(EnginePacket packet)
    {
        lock (_handler)
        {
            try
            {
                _handler.OnMessage(packet);
            }
            catch (Exception ex)
            {
                Log.HandlerFailed(_logger, Id, ex);
            }
        }
    }

    /// <summary>The active transport ended (EOF, error, aborted poll).</summary>
    internal void OnTransportClosed(object transport, string reason)
    {
        if (ReferenceEquals(transport, _probe))
        {
            StopUpgrade();
            return;
        }
        if (ReferenceEquals(transport, WebSocket) || (WebSocket is null && ReferenceEquals(transport, Polling)))
        {
            Abort(reason);
        }
    }

    private enum SessionState
    {
        Open,
        Closing,
        Closed,
    }

    private sealed class NullHandler : IEngineSessionHandler
    {
        public static readonly NullHandler Instance = new();

        public void OnMessage(EnginePacket packet)
        {
        }

        public void OnClose(string reason)
        {
        }
    }
}
