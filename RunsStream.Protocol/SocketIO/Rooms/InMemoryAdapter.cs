using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace RunsStream.Protocol.SocketIO.Rooms;

/// <summary>
/// A namespace's rooms on one server, indexed both ways: room to members and socket to rooms
/// (the reference's in-memory adapter), and the default <see cref="SocketIOAdapter"/>. A
/// broadcast resolves its targets under the lock and sends the one encoded packet to each.
/// Adapters over a bus derive from it: membership and local delivery stay as here.
/// </summary>
/// <remarks>
/// Every socket is in the room named by its id (as in the reference) until it leaves it. That
/// room is implicit, not a set of one: most sockets are in no other room, and two sets per idle
/// connection were a good part of its memory. The socket to rooms index holds only the other
/// rooms, and is made at the first of them.
/// </remarks>
public class InMemoryAdapter : SocketIOAdapter
{
    private readonly object _lock = new();
    // Rooms joined by name (a socket's own room is not among them).
    private readonly Dictionary<string, HashSet<SocketIOSocket>> _rooms = new(StringComparer.Ordinal);
    // Every socket of the namespace by id, with the rooms it joined by name.
    private readonly Dictionary<string, Member> _members = new(StringComparer.Ordinal);

    /// <summary>The rooms of <paramref name="ns"/> on this server.</summary>
    public InMemoryAdapter(SocketIONamespace ns)
        : base(ns)
    {
    }

    /// <inheritdoc/>
    public override void Join(SocketIOSocket socket, string room)
    {
        lock (_lock)
        {
            ref var member = ref CollectionsMarshal.GetValueRefOrAddDefault(_members, socket.Id, out _);
            member.Socket = socket;
            if (room == socket.Id)
            {
                member.LeftOwnRoom = false;
                return;
            }
            if (!_rooms.TryGetValue(room, out var members))
            {
                _rooms[room] = members = new HashSet<SocketIOSocket>();
            }
            members.Add(socket);
            (member.Rooms ??= new HashSet<string>(StringComparer.Ordinal)).Add(room);
        }
    }

    /// <inheritdoc/>
    public override void Leave(SocketIOSocket socket, string room)
    {
        lock (_lock)
        {
            ref var member = ref CollectionsMarshal.GetValueRefOrNullRef(_members, socket.Id);
            if (Unsafe.IsNullRef(ref member))
            {
                return;
            }
            if (room == socket.Id)
            {
                member.LeftOwnRoom = true;
                return;
            }
            RemoveMember(socket, room);
            member.Rooms?.Remove(room);
        }
    }

    /// <inheritdoc/>
    public override void LeaveAll(SocketIOSocket socket)
    {
        lock (_lock)
        {
            if (!_members.Remove(socket.Id, out var member) || member.Rooms is null)
            {
                return;
            }
            foreach (var room in member.Rooms)
            {
                RemoveMember(socket, room);
            }
        }
    }

    /// <inheritdoc/>
    public override IReadOnlyCollection<string> RoomsOf(SocketIOSocket socket)
    {
        lock (_lock)
        {
            if (!_members.TryGetValue(socket.Id, out var member))
            {
                return Array.Empty<string>();
            }
            var rooms = new List<string>((member.Rooms?.Count ?? 0) + 1);
            if (!member.LeftOwnRoom)
            {
                rooms.Add(socket.Id);
            }
            if (member.Rooms is not null)
            {
                rooms.AddRange(member.Rooms);
            }
            return rooms;
        }
    }

    /// <inheritdoc/>
    public override int CountMembers(string room)
    {
        lock (_lock)
        {
            return (_rooms.TryGetValue(room, out var members) ? members.Count : 0) + (OwnerOf(room) is null ? 0 : 1);
        }
    }

    /// <summary>The socket whose own room <paramref name="room"/> is, while it is in it.</summary>
    private SocketIOSocket? OwnerOf(string room) =>
        _members.TryGetValue(room, out var member) && !member.LeftOwnRoom ? member.Socket : null;

    /// <inheritdoc/>
    public override int Broadcast(SocketIOEncodedPacket packet, IReadOnlyCollection<string> rooms, IReadOnlyCollection<string> except) =>
        DeliverLocally(packet, rooms, except);

    /// <summary>
    /// Sends <paramref name="packet"/> to this server's sockets in any of <paramref name="rooms"/>
    /// (all when empty) and in none of <paramref name="except"/>; returns how many accepted it.
    /// What a bus adapter calls for a broadcast, its own or another server's.
    /// </summary>
    protected int DeliverLocally(SocketIOEncodedPacket packet, IReadOnlyCollection<string> rooms, IReadOnlyCollection<string> except)
    {
        var delivered = 0;
        foreach (var socket in ResolveTargets(rooms, except))
        {
            if (socket.Send(packet))
            {
                delivered++;
            }
        }
        return delivered;
    }

    /// <summary>The sockets a broadcast reaches: members of any of <paramref name="rooms"/> (all sockets when empty), minus members of <paramref name="except"/>.</summary>
    internal List<SocketIOSocket> ResolveTargets(IReadOnlyCollection<string> rooms, IReadOnlyCollection<string> except)
    {
        var targets = new List<SocketIOSocket>();
        lock (_lock)
        {
            if (rooms.Count == 0)
            {
                foreach (var member in _members.Values)
                {
                    if (!IsExcluded(member.Socket, except))
                    {
                        targets.Add(member.Socket);
                    }
                }
                return targets;
            }
            if (rooms.Count == 1)
            {
                var room = rooms.First();
                if (_rooms.TryGetValue(room, out var members))
                {
                    foreach (var socket in members)
                    {
                        if (!IsExcluded(socket, except))
                        {
                            targets.Add(socket);
                        }
                    }
                }
                // Its owner is never among the members by name: its own room is implicit.
                if (OwnerOf(room) is { } owner && !IsExcluded(owner, except))
                {
                    targets.Add(owner);
                }
                return targets;
            }
            var seen = new HashSet<SocketIOSocket>();
            foreach (var room in rooms)
            {
                if (_rooms.TryGetValue(room, out var members))
                {
                    foreach (var socket in members)
                    {
                        if (seen.Add(socket) && !IsExcluded(socket, except))
                        {
                            targets.Add(socket);
                        }
                    }
                }
                if (OwnerOf(room) is { } owner && seen.Add(owner) && !IsExcluded(owner, except))
                {
                    targets.Add(owner);
                }
            }
        }
        return targets;
    }

    private bool IsExcluded(SocketIOSocket socket, IReadOnlyCollection<string> except)
    {
        if (except.Count == 0)
        {
            return false;
        }
        var member = _members[socket.Id];
        foreach (var room in except)
        {
            if (room == socket.Id ? !member.LeftOwnRoom : member.Rooms?.Contains(room) == true)
            {
                return true;
            }
        }
        return false;
    }

    private void RemoveMember(SocketIOSocket socket, string room)
    {
        if (_rooms.TryGetValue(room, out var members) && members.Remove(socket) && members.Count == 0)
        {
            _rooms.Remove(room);
        }
    }

    /// <summary>A socket of the namespace: the rooms it joined by name (null until the first), and whether it left its own.</summary>
    private struct Member
    {
        public SocketIOSocket Socket;
        public HashSet<string>? Rooms;
        public bool LeftOwnRoom;
    }
}
