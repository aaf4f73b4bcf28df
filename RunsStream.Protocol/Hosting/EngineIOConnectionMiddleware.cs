using System.IO.Pipelines;
using Microsoft.AspNetCore.Connections;
using RunsStream.Protocol.EngineIO;
using RunsStream.Protocol.EngineIO.WebSockets;

namespace RunsStream.Protocol.Hosting;

/// <summary>Looks at a connection's first request and hands it to the Engine.IO server or to HTTP.</summary>
internal static class EngineIOConnectionMiddleware
{
    /// <remarks>
    /// The connection's task is the one of whoever takes it (the WebSocket transport or HTTP):
    /// once the first read is looked at, nothing of this method stays alive with the connection.
    /// </remarks>
    public static Task RunAsync(ConnectionContext connection, ConnectionDelegate next, Func<EngineServer> server, Func<string> path) =>
        LookAsync(connection, next, server, path).Unwrap();

    private static async Task<Task> LookAsync(ConnectionContext connection, ConnectionDelegate next, Func<EngineServer> server, Func<string> path)
    {
        var input = connection.Transport.Input;
        ReadResult result;
        try
        {
            result = await input.ReadAsync(connection.ConnectionClosed);
        }
        catch (OperationCanceledException)
        {
            return Task.CompletedTask;
        }
        var buffer = result.Buffer;
        var engine = server();
        // Only a head that arrived whole is taken here; anything else is HTTP's to read and answer.
        if (HttpRequestHead.TryParse(buffer, out var head, out var end) == HttpRequestHead.ParseResult.Complete
            && engine.AcceptsWebSocket(head!, path()))
        {
            input.AdvanceTo(end);
            return engine.RunWebSocketConnectionAsync(connection, head!);
        }
        input.AdvanceTo(buffer.Start);
        return next(connection);
    }
}
