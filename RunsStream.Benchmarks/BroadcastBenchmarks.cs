using BenchmarkDotNet.Attributes;
using RunsStream.Protocol.EngineIO;
using RunsStream.Protocol.SocketIO;
using RunsStream.Server.Runs;

namespace RunsStream.Benchmarks;

/// <summary>
/// The broadcast path, per event: encode once, hand the same frames to every member of the
/// run's room (room lookup, each session's bounded queue), then drain each queue and write the
/// frame bytes as the WebSocket writer does (to Stream.Null: the socket itself is not measured).
/// Allocated bytes are per broadcast; divide by Subscribers for per-recipient cost.
/// </summary>
[MemoryDiagnoser]
public class BroadcastBenchmarks
{
    private const string Room = "run:run-01JBENCHMARKRUN0000000000";

    private SocketIOServer _server = null!;
    private SocketIONamespace _ns = null!;
    private EngineSession[] _sessions = null!;
    private RunEvent _event = null!;
    private readonly List<EngineFrame> _batch = new();

    [Params(1, 100, 1000)]
    public int Subscribers { get; set; }

    [Params(4096)]
    public int DataBytes { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _server = Fixtures.Server();
        _ns = _server.Root;
        _sessions = new EngineSession[Subscribers];
        for (var i = 0; i < Subscribers; i++)
        {
            var (socket, session) = Fixtures.Socket(_server, _ns, i);
            socket.Join(Room);
            _sessions[i] = session;
        }
        _event = Fixtures.Output(DataBytes);
    }

    /// <summary>Encode once, enqueue to every member, drain and write every queue.</summary>
    [Benchmark]
    public int EncodeOnceWriteMany()
    {
        var delivered = _ns.To(Room).Send(RunEventEncoder.Encode(_event, "/"));
        DrainAll();
        return delivered;
    }

    /// <summary>The same with the encoding done per recipient (what a catching-up pump does today).</summary>
    [Benchmark]
    public int EncodePerRecipient()
    {
        var delivered = 0;
        foreach (var socket in ((RunsStream.Protocol.SocketIO.Rooms.InMemoryAdapter)_ns.Adapter).ResolveTargets([Room], []))
        {
            delivered += socket.Send(RunEventEncoder.Encode(_event, "/")) ? 1 : 0;
        }
        DrainAll();
        return delivered;
    }

    private void DrainAll()
    {
        foreach (var session in _sessions)
        {
            _batch.Clear();
            session.Queue.Drain(_batch, 256 * 1024);
            foreach (var frame in _batch)
            {
                Stream.Null.Write(frame.WebSocketFrame.Span);
            }
        }
    }
}
