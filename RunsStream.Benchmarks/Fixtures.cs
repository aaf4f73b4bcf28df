using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using RunsStream.Protocol.EngineIO;
using RunsStream.Protocol.SocketIO;
using RunsStream.Server.Runs;

namespace RunsStream.Benchmarks;

/// <summary>
/// In-process building blocks: run events as the server makes them, and Socket.IO sockets on
/// Engine.IO sessions that have no transport, so that a broadcast stops at the sessions'
/// outbound queues, which the benchmark then drains the way the WebSocket writer does.
/// </summary>
internal static class Fixtures
{
    public static RunEvent Output(int dataBytes, long seq = 42) =>
        new("run-01JBENCHMARKRUN0000000000", seq, RunEventType.Stdout, new string('a', dataBytes - 1) + "\n", DateTimeOffset.UtcNow);

    public static SocketIOServer Server()
    {
        var options = new SocketIOOptions { ConnectTimeout = TimeSpan.FromHours(1) };
        return new SocketIOServer(options, NullLoggerFactory.Instance);
    }

    /// <summary>A connected socket in <paramref name="ns"/> whose session queues what it is sent.</summary>
    public static (SocketIOSocket Socket, EngineSession Session) Socket(SocketIOServer server, SocketIONamespace ns, int index)
    {
        var request = new HandshakeRequest(new Dictionary<string, string>(), new Dictionary<string, string>(), "127.0.0.1", "/socket.io/?EIO=4&transport=websocket", false, DateTimeOffset.UtcNow);
        var session = new EngineSession($"bench-session-{index}", request, server.Options.Engine, TimeProvider.System, NullLogger.Instance, _ => { });
        var connection = new SocketIOConnection(server, session);
        var socket = new SocketIOSocket(ns, connection, new SocketIOHandshake(request, default(JsonElement)));
        return (socket, session);
    }
}
