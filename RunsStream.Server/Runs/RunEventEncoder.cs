using RunsStream.Protocol.SocketIO;

namespace RunsStream.Server.Runs;

/// <summary>
/// A run event as the Socket.IO EVENT <c>["run-event", {...}]</c> (docs/api.md section 7), for
/// the socket side. Each event is encoded at most once per namespace: the packet is kept with
/// the event, so live delivery and every catch-up on "/" or on "/runs" (the web terminal's)
/// hand the same frame to every subscriber of that namespace, instead of one per subscriber.
/// </summary>
internal static class RunEventEncoder
{
    public const string EventName = "run-event";

    /// <summary>The event of a pipeline's stage marks (docs/api.md section 7.1); a client that does not listen for it never sees it.</summary>
    public const string StageEventName = "stage";

    /// <summary>The packet of <paramref name="e"/> for namespace <paramref name="ns"/>, encoded on first use.</summary>
    public static SocketIOEncodedPacket Encode(RunEvent e, string ns)
    {
        SocketIOEncodedPacket? mine = null;
        while (true)
        {
            var known = Volatile.Read(ref e.Encodings) as Encoded;
            for (var node = known; node is not null; node = node.Next)
            {
                if (string.Equals(node.Namespace, ns, StringComparison.Ordinal))
                {
                    return node.Packet;
                }
            }
            mine ??= EncodeUncached(e, ns);
            var added = new Encoded(ns, mine, known);
            // On a lost race with another encoder of this event, look again: it may have added
            // this namespace (use its packet) or another one (add ours to the longer list).
            if (ReferenceEquals(Interlocked.CompareExchange(ref e.Encodings, added, known), known))
            {
                return added.Packet;
            }
        }
    }

    /// <summary>A fresh packet, not kept: what <see cref="Encode"/> does once per namespace.</summary>
    public static SocketIOEncodedPacket EncodeUncached(RunEvent e, string ns) =>
        SocketIOEncodedPacket.Event(ns, e.Type == RunEventType.Stage ? StageEventName : EventName, e, static (json, e) => e.WriteJson(json));

    /// <summary>How many namespaces <paramref name="e"/> is encoded for so far.</summary>
    internal static int EncodedNamespaces(RunEvent e)
    {
        var count = 0;
        for (var node = Volatile.Read(ref e.Encodings) as Encoded; node is not null; node = node.Next)
        {
            count++;
        }
        return count;
    }

    /// <summary>An immutable list, newest first: a run is served on a handful of namespaces at most.</summary>
    private sealed record Encoded(string Namespace, SocketIOEncodedPacket Packet, Encoded? Next);
}
