using System.IO.Pipelines;
using Microsoft.AspNetCore.Connections;
using RunsStream.Protocol.EngineIO;
using RunsStream.Protocol.EngineIO.WebSockets;

namespace RunsStream.Protocol.Hosting;

/// <summary>Looks at a connection's first request and hands it to the Engine.IO server or to HTTP.</summary>
internal static class EngineIOConnectionMiddleware
{
    public static async Task RunAsync(ConnectionContext connection, ConnectionDelegate next, Func<EngineServer> server, Func<string> path)
    {
        var input = connection.Transport.Input;
        ReadResult result;
        try
        {
            result = await input.ReadAsync(connection.ConnectionClosed);
        }
        catch (OperationCanceledException)
        {
            return;
        }
        var buffer = result.Buffer;
        // Only a head that arrived whole is taken here; anything else is HTTP's to read and answer.
        var engine = server();
        if (HttpRequestHead.TryParse(buffer, out var head, out var end) == HttpRequestHead.ParseResult.Complete
            && engine.AcceptsWebSocket(head!, path()))
        {
            input.AdvanceTo(end);
            await engine.RunWebSocketConnectionAsync(connection, head!);
            return;
        }
        input.AdvanceTo(buffer.Start);
        await next(connection);
    }
}
