using System.Collections.Concurrent;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging;

namespace RunsStream.Protocol.SocketIO;

/// <summary>
/// A client's socket in one namespace: its event handlers, rooms and acks (the reference's
/// namespace <c>Socket</c>). Handlers are started in the order packets arrive; an async
/// handler runs on while later packets are dispatched, as in Node.
/// </summary>
public sealed partial class SocketIOSocket
{
    // Guarded by its own lock (a socket has a handful of handlers; a concurrent map costs more).
    private readonly Dictionary<string, Func<SocketIOEvent, ValueTask>> _handlers = new(StringComparer.Ordinal);
    private readonly SocketIOConnection _connection;
    private Action<string>? _onDisconnect;
    private int _disconnected;

    internal SocketIOSocket(SocketIONamespace ns, SocketIOConnection connection, SocketIOHandshake handshake)
    {
        Namespace = ns;
        _connection = connection;
        Handshake = handshake;
        Id = NewId();
    }

    /// <summary>The socket id (the CONNECT answer's <c>sid</c>), also the socket's own room.</summary>
    public string Id { get; }

    /// <summary>The namespace the socket joined.</summary>
    public SocketIONamespace Namespace { get; }

    /// <summary>What the client sent when it connected: auth payload, query, headers.</summary>
    public SocketIOHandshake Handshake { get; }

    /// <summary>The Engine.IO session id this socket travels on.</summary>
    public string ConnectionId => _connection.Session.Id;

    /// <summary>"polling" or "websocket".</summary>
    public string Transport => _connection.Session.TransportName;

    /// <summary>True until the client leaves the namespace or its connection closes.</summary>
    public bool Connected => Volatile.Read(ref _disconnected) == 0 && _connection.Session.IsOpen;

    /// <summary>Outbound bytes waiting for this socket's connection (all namespaces).</summary>
    public long BufferedBytes => _connection.Session.BufferedBytes;

    /// <summary>Waits until the connection's writer has made progress or the connection closed.</summary>
    public Task WaitForDrainAsync(CancellationToken cancellationToken = default) => _connection.Session.WaitForDrainAsync(cancellationToken);

    /// <summary>Free-form state for the application (the reference's socket.data).</summary>
    public ConcurrentDictionary<string, object?> Data => LazyInitializer.EnsureInitialized(ref _data);

    private ConcurrentDictionary<string, object?>? _data;

    /// <summary>The rooms the socket is in, its own id included.</summary>
    public IReadOnlyCollection<string> Rooms => Namespace.Adapter.RoomsOf(this);

    /// <summary>Handles event <paramref name="eventName"/> with an asynchronous handler.</summary>
    public void On(string eventName, Func<SocketIOEvent, ValueTask> handler)
    {
        lock (_handlers)
        {
            _handlers[eventName] = handler;
        }
    }

    /// <summary>Handles event <paramref name="eventName"/>.</summary>
    public void On(string eventName, Action<SocketIOEvent> handler) =>
        On(eventName, e =>
        {
            handler(e);
            return ValueTask.CompletedTask;
        });

    /// <summary>Called once with the reason when the socket disconnects.</summary>
    public void OnDisconnect(Action<string> handler) => _onDisconnect += handler;

    /// <summary>Adds the socket to <paramref name="room"/>.</summary>
    public void Join(string room) => Namespace.Adapter.Join(this, room);

    /// <summary>Removes the socket from <paramref name="room"/>.</summary>
    public void Leave(string room) => Namespace.Adapter.Leave(this, room);

    /// <summary>Sends an event to this socket.</summary>
    public bool Emit(string eventName, params object?[] args) =>
        Send(SocketIOEncodedPacket.Event(Namespace.Name, eventName, args, options: Namespace.Server.Options.JsonOptions));

    /// <summary>Sends received arguments on unchanged (binary included).</summary>
    public bool Emit(string eventName, SocketIOArguments args) =>
        Send(SocketIOEncodedPacket.Event(Namespace.Name, eventName, args));

    /// <summary>Queues an encoded packet; false when disconnected or the client is too slow.</summary>
    public bool Send(SocketIOEncodedPacket packet)
    {
        if (!Connected || !_connection.Session.Send(packet.FrameSpan))
        {
            return false;
        }
        Namespace.Server.Metrics.OnSent(packet.Size);
        return true;
    }

    /// <summary>
    /// Leaves the namespace: the client gets DISCONNECT ("io server disconnect"). With
    /// <paramref name="closeConnection"/> the whole connection is closed too.
    /// </summary>
    public void Disconnect(bool closeConnection = false)
    {
        if (!Connected)
        {
            return;
        }
        _connection.Session.Send(SocketIOEncodedPacket.Disconnect(Namespace.Name).FrameSpan);
        OnClose("server namespace disconnect");
        if (closeConnection)
        {
            _connection.Session.Close("server disconnect");
        }
    }

    /// <summary>
    /// Closes the whole Engine.IO connection without a DISCONNECT packet (the reference's
    /// socket.conn.close()); the client sees "transport close" and reconnects.
    /// </summary>
    public void CloseConnection() => _connection.Session.Close("server closed the connection");

    /// <summary>
    /// Events that arrive before the connection handlers have run (and registered the event
    /// handlers) wait here, so none is lost, then are dispatched in order.
    /// </summary>
    private List<(string Name, SocketIOArguments Args, long? AckId)>? _early;
    private bool _ready;

    internal void MarkReady()
    {
        while (true)
        {
            List<(string Name, SocketIOArguments Args, long? AckId)> early;
            lock (_handlers)
            {
                if (_early is null)
                {
                    _ready = true;
                    return;
                }
                early = _early;
                _early = null;
            }
            foreach (var (name, args, ackId) in early)
            {
                DispatchNow(name, args, ackId);
            }
        }
    }

    internal void Dispatch(string eventName, SocketIOArguments args, long? ackId)
    {
        lock (_handlers)
        {
            if (!_ready)
            {
                (_early ??= new()).Add((eventName, args, ackId));
                return;
            }
        }
        DispatchNow(eventName, args, ackId);
    }

    private void DispatchNow(string eventName, SocketIOArguments args, long? ackId)
    {
        Func<SocketIOEvent, ValueTask>? handler;
        lock (_handlers)
        {
            if (!_handlers.TryGetValue(eventName, out handler))
            {
                return;
            }
        }
        var e = new SocketIOEvent(this, eventName, args, ackId);
        try
        {
            var pending = handler(e);
            if (!pending.IsCompletedSuccessfully)
            {
                _ = ObserveAsync(pending);
            }
        }
        catch (Exception ex)
        {
            Log.HandlerFailed(Namespace.Server.Logger, eventName, Id, ex);
        }
    }

    private async Task ObserveAsync(ValueTask pending)
    {
        try
        {
            await pending;
        }
        catch (Exception ex)
        {
            Log.HandlerFailed(Namespace.Server.Logger, "(async)", Id, ex);
        }
    }

    /// <summary>Removes the socket from its namespace and rooms; runs the disconnect handlers once.</summary>
    internal void OnClose(string reason)
    {
        if (Interlocked.Exchange(ref _disconnected, 1) == 1)
        {
            return;
        }
        Namespace.Remove(this);
        _connection.Forget(this);
        FailPendingAcks(reason);
        try
        {
            _onDisconnect?.Invoke(reason);
        }
        catch (Exception ex)
        {
            Log.HandlerFailed(Namespace.Server.Logger, "disconnect", Id, ex);
        }
    }

    private static string NewId()
    {
        Span<byte> bytes = stackalloc byte[15];
        RandomNumberGenerator.Fill(bytes);
        return Convert.ToBase64String(bytes).Replace('+', '-').Replace('/', '_');
    }

    private static partial class Log
    {
        [LoggerMessage(2101, LogLevel.Error, "Handler for {EventName} on socket {SocketId} failed")]
        public static partial void HandlerFailed(ILogger logger, string eventName, string socketId, Exception exception);
    }
}
