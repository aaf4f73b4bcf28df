using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using RunsStream.Protocol.EngineIO;
using RunsStream.Protocol.EngineIO.Parser;
using RunsStream.Protocol.SocketIO.Parser;

namespace RunsStream.Protocol.SocketIO;

/// <summary>
/// Routes one Engine.IO session to its namespace sockets (the reference's <c>Client</c>):
/// decodes packets, reassembles binary attachments, handles CONNECT and the connect timeout,
/// and closes the connection on any malformed packet.
/// </summary>
internal sealed partial class SocketIOConnection : IEngineSessionHandler
{
    private readonly SocketIOServer _server;
    // Its sockets by namespace, guarded by _lock. Nearly every connection joins one namespace:
    // that socket is held in a field, and a map is made only for a second namespace.
    private readonly object _lock = new();
    private SocketIOSocket? _socket;
    private Dictionary<string, SocketIOSocket>? _sockets;
    // Dropped once a namespace is connected: a disposed timer still costs its objects.
    private ITimer? _connectTimer;
    private readonly BinaryPacketAssembler _binary;

    public SocketIOConnection(SocketIOServer server, EngineSession session)
    {
        _server = server;
        Session = session;
        _binary = new BinaryPacketAssembler(server.Options.Engine.MaxPayload);
        _connectTimer = server.Time.CreateTimer(static s => ((SocketIOConnection)s!).OnConnectTimeout(), this, server.Options.ConnectTimeout, Timeout.InfiniteTimeSpan);
        if (IsProtocolV4)
        {
            // socket.io-protocol v4: the main namespace is joined on the handshake, without a
            // CONNECT from the client (the reference's `client.connect("/")` for EIO=3).
            _ = ConnectAsync(SocketIOPacket.RootNamespace, EmptyObject);
        }
    }

    /// <summary>
    /// The client speaks Socket.IO protocol v4 (socket.io-client 2.x), which rides on Engine.IO
    /// v3: implicit main namespace, the auth of a CONNECT in its namespace's query, a plain
    /// error message, no session id in the CONNECT answer.
    /// </summary>
    private bool IsProtocolV4 => Session.ProtocolVersion == 3;

    public EngineSession Session { get; }

    /// <summary>Bytes of binary attachments held for a packet not yet complete.</summary>
    internal long BufferedAttachmentBytes => _binary.BufferedBytes;

    public void OnMessage(EnginePacket packet)
    {
        try
        {
            if (packet.IsBinary)
            {
                if (_binary.TryAdd(packet.Data.Span, out var complete, out var attachments))
                {
                    Route(complete, attachments);
                }
                return;
            }
            if (_binary.IsAssembling)
            {
                _binary.Reset();
                throw new SocketIOProtocolException("got plaintext data when reconstructing a packet");
            }
            var decoded = SocketIOPacketReader.Read(packet.Data.Span, _server.Options.MaxAttachments);
            if (decoded.IsBinary)
            {
                // Checked on the header, before any attachment is held: a binary packet for a
                // namespace this connection has not joined (for one that has joined none, or
                // whose CONNECT was refused, any binary packet) would only be dropped once
                // complete, and waiting for its attachments is memory a client without a token
                // could hold.
                if (!IsConnected(decoded.Namespace))
                {
                    throw new SocketIOProtocolException("binary packet for a namespace that is not connected");
                }
                _binary.Begin(decoded);
                return;
            }
            Route(decoded, Array.Empty<byte[]>());
        }
        catch (SocketIOProtocolException ex)
        {
            _binary.Reset();
            Log.ProtocolError(_server.Logger, Session.Id, ex.Message);
            Session.Close("parse error");
        }
    }

    private bool IsConnected(string ns)
    {
        lock (_lock)
        {
            return FindLocked(ns) is not null;
        }
    }

    private void Route(SocketIOPacket packet, IReadOnlyList<byte[]> attachments)
    {
        if (packet.Type == SocketIOPacketType.Connect)
        {
            if (!IsProtocolV4)
            {
                _ = ConnectAsync(packet.Namespace, packet.HasData ? packet.Data : EmptyObject);
                return;
            }
            var (name, auth) = SocketIOQueryAuth.Split(packet.Namespace);
            if (!IsConnected(name))
            {
                // A CONNECT for a namespace already joined (the main one) changes nothing, as in the reference.
                _ = ConnectAsync(name, auth);
            }
            return;
        }

        SocketIOSocket? socket;
        lock (_lock)
        {
            socket = FindLocked(packet.Namespace);
        }
        if (socket is null)
        {
            // A packet for a namespace this connection has not joined: the reference closes.
            throw new SocketIOProtocolException("packet for a namespace that is not connected");
        }

        switch (packet.Type)
        {
            case SocketIOPacketType.Event or SocketIOPacketType.BinaryEvent:
                var name = packet.Data[0];
                socket.Dispatch(name.ValueKind == JsonValueKind.String ? name.GetString()! : name.GetRawText(), new SocketIOArguments(packet.Data, 1, attachments), packet.Id);
                break;
            case SocketIOPacketType.Ack or SocketIOPacketType.BinaryAck:
                socket.OnAck(packet.Id!.Value, new SocketIOArguments(packet.Data, 0, attachments));
                break;
            case SocketIOPacketType.Disconnect:
                socket.OnClose("client namespace disconnect");
                break;
            default:
                throw new SocketIOProtocolException("unexpected packet type from client");
        }
    }

    private async Task ConnectAsync(string name, JsonElement auth)
    {
        if (!_server.TryGetNamespace(name, out var ns))
        {
            Session.Send(ConnectError(name, "Invalid namespace").FrameSpan);
            return;
        }

        var socket = new SocketIOSocket(ns, this, new SocketIOHandshake(Session.Request, auth));
        try
        {
            await ns.RunMiddlewaresAsync(socket);
        }
        catch (ConnectionRefusedException refused)
        {
            Session.Send(ConnectError(ns.Name, refused.Message, refused.ErrorData).FrameSpan);
            return;
        }
        catch (Exception ex)
        {
            Log.MiddlewareFailed(_server.Logger, ns.Name, ex);
            Session.Send(ConnectError(ns.Name, "Internal server error").FrameSpan);
            return;
        }

        if (!Session.IsOpen)
        {
            return;
        }
        SocketIOSocket? replaced;
        lock (_lock)
        {
            replaced = FindLocked(ns.Name);
            if (_sockets is null && (_socket is null || replaced is not null))
            {
                _socket = socket;
            }
            else
            {
                _sockets ??= new Dictionary<string, SocketIOSocket>(StringComparer.Ordinal) { [_socket!.Namespace.Name] = _socket };
                _socket = null;
                _sockets[ns.Name] = socket;
            }
        }
        replaced?.OnClose("client namespace reconnect");
        Interlocked.Exchange(ref _connectTimer, null)?.Dispose();
        ns.Add(socket);
        Session.Send((IsProtocolV4 ? SocketIOEncodedPacket.ConnectV4Protocol(ns.Name) : SocketIOEncodedPacket.Connect(ns.Name, socket.Id)).FrameSpan);
        _server.Metrics.OnConnect(ns.Name);
        if (Session.TransportName == EngineIO.TransportNames.WebSocket)
        {
            // The reference server's order: its WebSocket transport is not writable until the
            // write carrying the CONNECT answer has completed, so what the connection handlers
            // emit leaves in a later write. Here the handlers run once that write is done, and
            // clients that attach their next listener after the CONNECT (the official
            // compliance suite) do not find the handlers' events in the same read; the
            // ConnectionHandlerDelay makes that a matter of one millisecond rather than of a few
            // microseconds (see its remarks).
            await Session.WaitForWrittenAsync();
            if (_server.Options.ConnectionHandlerDelay > TimeSpan.Zero)
            {
                await Task.Delay(_server.Options.ConnectionHandlerDelay, Session.Time);
            }
        }
        try
        {
            await ns.RaiseConnectionAsync(socket);
        }
        catch (Exception ex)
        {
            Log.MiddlewareFailed(_server.Logger, ns.Name, ex);
        }
        socket.MarkReady();
    }

    private SocketIOEncodedPacket ConnectError(string ns, string message, object? data = null) => IsProtocolV4
        ? SocketIOEncodedPacket.ConnectErrorV4Protocol(ns, message, data)
        : SocketIOEncodedPacket.ConnectError(ns, message, data);

    private SocketIOSocket? FindLocked(string ns) =>
        _socket is { } single ? (single.Namespace.Name == ns ? single : null)
        : _sockets is not null && _sockets.TryGetValue(ns, out var socket) ? socket : null;

    internal void Forget(SocketIOSocket socket)
    {
        lock (_lock)
        {
            if (ReferenceEquals(_socket, socket))
            {
                _socket = null;
            }
            else if (_sockets is not null && _sockets.TryGetValue(socket.Namespace.Name, out var current) && ReferenceEquals(current, socket))
            {
                _sockets.Remove(socket.Namespace.Name);
            }
        }
    }

    private void OnConnectTimeout()
    {
        bool none;
        lock (_lock)
        {
            none = _socket is null && _sockets is not { Count: > 0 };
        }
        if (none)
        {
            Log.ConnectTimeout(_server.Logger, Session.Id);
            Session.Close("connect timeout");
        }
    }

    public void OnClose(string reason)
    {
        Interlocked.Exchange(ref _connectTimer, null)?.Dispose();
        _server.Metrics.OnDisconnect(reason);

        SocketIOSocket[] sockets;
        lock (_lock)
        {
            sockets = _sockets is not null ? [.. _sockets.Values] : _socket is { } single ? [single] : [];
        }
        foreach (var socket in sockets)
        {
            socket.OnClose(reason);
        }
    }

    private static readonly JsonElement EmptyObject = JsonDocument.Parse("{}").RootElement.Clone();

    private static partial class Log
    {
        [LoggerMessage(2001, LogLevel.Debug, "Socket.IO connection {SessionId} sent a malformed packet: {Reason}; closing")]
        public static partial void ProtocolError(ILogger logger, string sessionId, string reason);

        [LoggerMessage(2002, LogLevel.Error, "A middleware or connection handler of namespace {Namespace} failed")]
        public static partial void MiddlewareFailed(ILogger logger, string @namespace, Exception exception);

        [LoggerMessage(2003, LogLevel.Debug, "Socket.IO connection {SessionId} joined no namespace in time; closing")]
        public static partial void ConnectTimeout(ILogger logger, string sessionId);
    }
}
