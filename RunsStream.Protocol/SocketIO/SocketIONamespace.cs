using System.Collections.Concurrent;
using RunsStream.Protocol.SocketIO.Rooms;

namespace RunsStream.Protocol.SocketIO;

/// <summary>
/// A namespace: its middlewares, its connected sockets and its room adapter.
/// </summary>
public sealed class SocketIONamespace
{
    private readonly ConcurrentDictionary<string, SocketIOSocket> _sockets = new(StringComparer.Ordinal);
    private readonly List<Func<SocketIOSocket, ValueTask>> _middlewares = new();
    private Func<SocketIOSocket, ValueTask>? _onConnection;

    internal SocketIONamespace(SocketIOServer server, string name)
    {
        Server = server;
        Name = name;
        Adapter = server.Options.AdapterFactory(this)
            ?? throw new InvalidOperationException("SocketIOOptions.AdapterFactory returned null for namespace " + name + ".");
    }

    /// <summary>The server the namespace belongs to.</summary>
    public SocketIOServer Server { get; }

    /// <summary>The namespace name, e.g. "/" or "/runs".</summary>
    public string Name { get; }

    /// <summary>The namespace's rooms and broadcasts (<see cref="SocketIOOptions.AdapterFactory"/> made it).</summary>
    public SocketIOAdapter Adapter { get; }

    /// <summary>The sockets currently connected to the namespace.</summary>
    public IReadOnlyCollection<SocketIOSocket> Sockets => (IReadOnlyCollection<SocketIOSocket>)_sockets.Values;

    /// <summary>The connected socket with id <paramref name="id"/>, if any.</summary>
    public bool TryGetSocket(string id, out SocketIOSocket socket) => _sockets.TryGetValue(id, out socket!);

    /// <summary>
    /// Adds a middleware run on every CONNECT before the socket is connected; it refuses the
    /// connection by throwing <see cref="ConnectionRefusedException"/>.
    /// </summary>
    public SocketIONamespace Use(Func<SocketIOSocket, ValueTask> middleware)
    {
        lock (_middlewares)
        {
            _middlewares.Add(middleware);
        }
        return this;
    }

    /// <summary>Runs for every socket once it is connected (the reference's "connection" event).</summary>
    public SocketIONamespace OnConnection(Func<SocketIOSocket, ValueTask> handler)
    {
        _onConnection += handler;
        return this;
    }

    /// <summary>Runs <paramref name="handler"/> for each socket that connects, after its CONNECT answer is written.</summary>
    public SocketIONamespace OnConnection(Action<SocketIOSocket> handler) =>
        OnConnection(socket =>
        {
            handler(socket);
            return ValueTask.CompletedTask;
        });

    /// <summary>Targets the sockets in <paramref name="room"/>.</summary>
    public BroadcastOperator To(string room) => new BroadcastOperator(this).To(room);

    /// <summary>Targets every socket except those in <paramref name="room"/>.</summary>
    public BroadcastOperator Except(string room) => new BroadcastOperator(this).Except(room);

    /// <summary>Sends an event to every socket of the namespace; encoded once.</summary>
    public int Emit(string eventName, params object?[] args) => new BroadcastOperator(this).Emit(eventName, args);

    internal async ValueTask RunMiddlewaresAsync(SocketIOSocket socket)
    {
        Func<SocketIOSocket, ValueTask>[] middlewares;
        lock (_middlewares)
        {
            middlewares = _middlewares.ToArray();
        }
        foreach (var middleware in middlewares)
        {
            await middleware(socket);
        }
    }

    internal void Add(SocketIOSocket socket)
    {
        _sockets[socket.Id] = socket;
        Adapter.Join(socket, socket.Id);
    }

    internal void Remove(SocketIOSocket socket)
    {
        _sockets.TryRemove(new KeyValuePair<string, SocketIOSocket>(socket.Id, socket));
        Adapter.LeaveAll(socket);
    }

    internal async ValueTask RaiseConnectionAsync(SocketIOSocket socket)
    {
        if (_onConnection is not { } handlers)
        {
            return;
        }
        foreach (var handler in handlers.GetInvocationList().Cast<Func<SocketIOSocket, ValueTask>>())
        {
            await handler(socket);
        }
    }
}
