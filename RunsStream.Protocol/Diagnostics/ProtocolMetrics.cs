using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;
using RunsStream.Protocol.SocketIO;

namespace RunsStream.Protocol.Diagnostics;

/// <summary>
/// The protocol's numbers as System.Diagnostics.Metrics instruments, so that the library needs
/// no exporter: an application listens to the meter <see cref="MeterName"/> (OpenTelemetry,
/// dotnet-counters). Names follow Prometheus conventions, units and <c>_total</c> in the name,
/// so an exporter adds no suffix of its own.
/// </summary>
/// <remarks>
/// The send path (every packet to every recipient of a broadcast) only adds to two fields with
/// <see cref="Interlocked"/>: no lock, no allocation, nothing per event for a listener to do.
/// The counters are observed when a reader collects, as are the connections, counted then from
/// the namespaces' sockets, so a connect or an upgrade costs nothing either.
/// </remarks>
public sealed class ProtocolMetrics
{
    /// <summary>The meter's name: what to listen to (OpenTelemetry's <c>AddMeter</c>).</summary>
    public const string MeterName = "RunsStream.Protocol";

    private readonly Meter _meter;
    private readonly bool _ownsMeter;
    /// <summary>Reported from the start at zero, so that a rate over them has a first sample.</summary>
    private static readonly string[] CommonReasons = ["transport close", "transport error", "ping timeout", SlowConsumerReason];

    private const string SlowConsumerReason = "slow consumer: outbound buffer full";

    private readonly ConcurrentDictionary<string, StrongBox<long>> _connects = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, StrongBox<long>> _disconnects = new(StringComparer.Ordinal);
    private long _eventsSent;
    private long _bytesSent;

    /// <summary>Instruments on a meter from <paramref name="meters"/> (the host's), or on a meter of their own.</summary>
    internal ProtocolMetrics(SocketIOServer server, IMeterFactory? meters)
    {
        _ownsMeter = meters is null;
        _meter = meters?.Create(MeterName) ?? new Meter(MeterName);
        foreach (var reason in CommonReasons)
        {
            _disconnects[reason] = new StrongBox<long>();
        }
        // Observed rather than added to: every series is there from the start, at zero.
        _meter.CreateObservableCounter("runsstream_socketio_connects_total", () => Read(_connects, "namespace", server.Namespaces.Select(ns => ns.Name)),
            description: "Sockets that joined a namespace.");
        _meter.CreateObservableCounter("runsstream_engineio_disconnects_total", () => Read(_disconnects, "reason", []),
            description: "Engine.IO connections closed, by reason (slow consumer, ping timeout, transport close, ...).");
        _meter.CreateObservableCounter("runsstream_socketio_events_sent_total", () => Volatile.Read(ref _eventsSent), description: "Socket.IO packets queued for clients (a broadcast counts once per recipient).");
        _meter.CreateObservableCounter("runsstream_socketio_sent_bytes_total", () => Volatile.Read(ref _bytesSent), description: "Bytes of those packets, as framed for Engine.IO.");
        _meter.CreateObservableUpDownCounter("runsstream_socketio_connections", () => CountConnections(server), description: "Connected sockets by namespace and transport.");
    }

    /// <summary>The meter the instruments are on (one per server).</summary>
    internal Meter Meter => _meter;

    /// <summary>A packet of <paramref name="bytes"/> was queued for one client.</summary>
    internal void OnSent(long bytes)
    {
        Interlocked.Increment(ref _eventsSent);
        Interlocked.Add(ref _bytesSent, bytes);
    }

    internal void OnConnect(string ns) => Increment(_connects, ns);

    /// <summary>A session closed; <paramref name="reason"/> is one of the protocol's fixed reasons (few values).</summary>
    internal void OnDisconnect(string reason) => Increment(_disconnects, reason);

    private static void Increment(ConcurrentDictionary<string, StrongBox<long>> counts, string key) =>
        Interlocked.Increment(ref counts.GetOrAdd(key, static _ => new StrongBox<long>()).Value);

    private static IEnumerable<Measurement<long>> Read(ConcurrentDictionary<string, StrongBox<long>> counts, string tag, IEnumerable<string> alwaysShown)
    {
        foreach (var key in alwaysShown)
        {
            counts.GetOrAdd(key, static _ => new StrongBox<long>());
        }
        foreach (var (key, count) in counts)
        {
            yield return new Measurement<long>(Volatile.Read(ref count.Value), new KeyValuePair<string, object?>(tag, key));
        }
    }

    private static IEnumerable<Measurement<long>> CountConnections(SocketIOServer server)
    {
        var counts = new Dictionary<(string Namespace, string Transport), long>();
        foreach (var ns in server.Namespaces)
        {
            // Every namespace the server serves reports, with zeros, so a series never vanishes.
            counts[(ns.Name, EngineIO.TransportNames.Polling)] = 0;
            counts[(ns.Name, EngineIO.TransportNames.WebSocket)] = 0;
            foreach (var socket in ns.Sockets)
            {
                var key = (ns.Name, socket.Transport);
                counts[key] = counts.GetValueOrDefault(key) + 1;
            }
        }
        foreach (var ((ns, transport), count) in counts)
        {
            yield return new Measurement<long>(count, new KeyValuePair<string, object?>("namespace", ns), new KeyValuePair<string, object?>("transport", transport));
        }
    }

    /// <summary>Ends the instruments when the meter is not the host's (a host disposes its own).</summary>
    internal void Close()
    {
        if (_ownsMeter)
        {
            _meter.Dispose();
        }
    }
}
