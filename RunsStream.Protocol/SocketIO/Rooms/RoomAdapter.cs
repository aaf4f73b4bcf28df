namespace RunsStream.Protocol.SocketIO.Rooms;

/// <summary>
/// A namespace's rooms, indexed both ways: room to members and socket to rooms (the
/// reference's in-memory adapter). A broadcast resolves its targets under the lock and sends
/// the one encoded packet to each.
/// </summary>
internal sealed class RoomAdapter
{
    private readonly object _lock = new();
    private readonly Dictionary<string, HashSet<SocketIOSocket>> _rooms = new(StringComparer.Ordinal);
    private readonly Dictionary<SocketIOSocket, HashSet<string>> _socketRooms = new();

    public void Join(SocketIOSocket socket, string room)
    {
        lock (_lock)
        {
            if (!_rooms.TryGetValue(room, out var members))
            {
                _rooms[room] = members = new HashSet<SocketIOSocket>();
            }
            members.Add(socket);
            if (!_socketRooms.TryGetValue(socket, out var rooms))
            {
                _socketRooms[socket] = rooms = new HashSet<string>(StringComparer.Ordinal);
            }
            rooms.Add(room);
        }
    }

    public void Leave(SocketIOSocket socket, string room)
    {
        lock (_lock)
        {
            RemoveMember(socket, room);
            if (_socketRooms.TryGetValue(socket, out var rooms))
            {
                rooms.Remove(room);
            }
        }
    }

    public void LeaveAll(SocketIOSocket socket)
    {
        lock (_lock)
        {
            if (!_socketRooms.Remove(socket, out var rooms))
            {
                return;
            }
            foreach (var room in rooms)
            {
                RemoveMember(socket, room);
            }
        }
    }

    public IReadOnlyCollection<string> RoomsOf(SocketIOSocket socket)
    {
        lock (_lock)
        {
            return _socketRooms.TryGetValue(socket, out var rooms) ? rooms.ToArray() : Array.Empty<string>();
        }
    }

    public int CountMembers(string room)
    {
        lock (_lock)
        {
            return _rooms.TryGetValue(room, out var members) ? members.Count : 0;
        }
    }

    /// <summary>The sockets a broadcast reaches: members of any of <paramref name="rooms"/> (all sockets when empty), minus members of <paramref name="except"/>.</summary>
    public List<SocketIOSocket> ResolveTargets(IReadOnlyCollection<string> rooms, IReadOnlyCollection<string> except)
    {
        var targets = new List<SocketIOSocket>();
        lock (_lock)
        {
            if (rooms.Count == 0)
            {
                foreach (var socket in _socketRooms.Keys)
                {
                    if (!IsExcluded(socket, except))
                    {
                        targets.Add(socket);
                    }
                }
                return targets;
            }
            if (rooms.Count == 1)
            {
                if (_rooms.TryGetValue(rooms.First(), out var members))
                {
                    foreach (var socket in members)
                    {
                        if (!IsExcluded(socket, except))
                        {
                            targets.Add(socket);
                        }
                    }
                }
                return targets;
            }
            var seen = new HashSet<SocketIOSocket>();
            foreach (var room in rooms)
            {
                if (!_rooms.TryGetValue(room, out var members))
                {
                    continue;
                }
                foreach (var socket in members)
                {
                    if (seen.Add(socket) && !IsExcluded(socket, except))
                    {
                        targets.Add(socket);
                    }
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
        var rooms = _socketRooms[socket];
        foreach (var room in except)
        {
            if (rooms.Contains(room))
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
}
