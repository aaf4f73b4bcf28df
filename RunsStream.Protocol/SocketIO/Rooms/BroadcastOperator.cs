using System.Collections.Immutable;

namespace RunsStream.Protocol.SocketIO.Rooms;

/// <summary>
/// An immutable broadcast target: rooms to include and rooms to exclude. Emitting encodes the
/// packet once and hands the same frames to every target's connection.
/// </summary>
public readonly record struct BroadcastOperator(SocketIONamespace Namespace, ImmutableHashSet<string> Rooms, ImmutableHashSet<string> ExceptRooms)
{
    /// <summary>Every socket of <paramref name="ns"/>.</summary>
    public BroadcastOperator(SocketIONamespace ns)
        : this(ns, ImmutableHashSet<string>.Empty, ImmutableHashSet<string>.Empty)
    {
    }

    /// <summary>Also the sockets in <paramref name="room"/> (with no room added, the whole namespace).</summary>
    public BroadcastOperator To(string room) => this with { Rooms = Rooms.Add(room) };

    /// <summary>Leaves out the sockets in <paramref name="room"/>.</summary>
    public BroadcastOperator Except(string room) => this with { ExceptRooms = ExceptRooms.Add(room) };

    /// <summary>Encodes once and sends to every target; returns how many of this server's sockets accepted it.</summary>
    public int Emit(string eventName, params object?[] args) =>
        Send(SocketIOEncodedPacket.Event(Namespace.Name, eventName, args, options: Namespace.Server.Options.JsonOptions));

    /// <summary>Sends an already encoded packet to every target.</summary>
    /// <remarks>The count is of this server's sockets: an adapter over a bus delivers on the other servers too.</remarks>
    public int Send(SocketIOEncodedPacket packet) => Namespace.Adapter.Broadcast(packet, Rooms, ExceptRooms);
}
