namespace RunsStream.Protocol.SocketIO.Rooms;

/// <summary>
/// A namespace's rooms and broadcasts, pluggable as the reference's <c>Adapter</c> and
/// SignalR's <c>HubLifetimeManager</c>: <see cref="InMemoryAdapter"/> serves one server, an
/// adapter over a message bus (RunsStream.Protocol.Redis) makes <c>To(room).Emit</c> reach
/// the sockets of every server sharing it. One instance per namespace, made by
/// <see cref="SocketIOOptions.AdapterFactory"/> when the namespace is created and disposed
/// with the server.
/// </summary>
/// <remarks>
/// Membership is always local (a server knows only its own sockets); only a broadcast travels.
/// Every socket is in the room named by its id until it leaves it.
/// </remarks>
public abstract class SocketIOAdapter : IDisposable
{
    /// <summary>An adapter for <paramref name="ns"/>.</summary>
    protected SocketIOAdapter(SocketIONamespace ns)
    {
        Namespace = ns ?? throw new ArgumentNullException(nameof(ns));
    }

    /// <summary>The namespace whose rooms this adapter holds.</summary>
    public SocketIONamespace Namespace { get; }

    /// <summary>Puts <paramref name="socket"/> in <paramref name="room"/> (no effect when it is already in it).</summary>
    public abstract void Join(SocketIOSocket socket, string room);

    /// <summary>Takes <paramref name="socket"/> out of <paramref name="room"/> (no effect when it is not in it).</summary>
    public abstract void Leave(SocketIOSocket socket, string room);

    /// <summary>Takes <paramref name="socket"/> out of every room, its own included (it disconnected).</summary>
    public abstract void LeaveAll(SocketIOSocket socket);

    /// <summary>The rooms <paramref name="socket"/> is in, its own room first while it is in it.</summary>
    public abstract IReadOnlyCollection<string> RoomsOf(SocketIOSocket socket);

    /// <summary>How many sockets of this server are in <paramref name="room"/>.</summary>
    public abstract int CountMembers(string room);

    /// <summary>
    /// Sends <paramref name="packet"/> to the sockets in any of <paramref name="rooms"/> (every
    /// socket of the namespace when empty) that are in none of <paramref name="except"/>, each
    /// once; an adapter over a bus also hands it to the other servers. Returns how many sockets
    /// of this server accepted it.
    /// </summary>
    public abstract int Broadcast(SocketIOEncodedPacket packet, IReadOnlyCollection<string> rooms, IReadOnlyCollection<string> except);

    /// <summary>Releases what the adapter holds beyond memory (a bus subscription); the in-memory one holds nothing.</summary>
    public virtual void Dispose()
    {
        GC.SuppressFinalize(this);
    }
}
