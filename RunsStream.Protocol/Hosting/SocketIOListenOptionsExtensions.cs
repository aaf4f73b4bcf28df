using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using RunsStream.Protocol.EngineIO;
using RunsStream.Protocol.SocketIO;

namespace RunsStream.Protocol.Hosting;

/// <summary>Kestrel listen-option extensions: WebSocket connections taken at the connection level.</summary>
public static class SocketIOListenOptionsExtensions
{
    /// <summary>
    /// Takes the WebSocket connections of the registered <see cref="SocketIOServer"/> before
    /// Kestrel's HTTP layer (see <see cref="EngineServer.RunWebSocketConnectionAsync"/>):
    /// lighter connections, frames sent straight on the socket. Every other connection, and
    /// any request the server would refuse, goes on to HTTP, where <c>MapSocketIO</c> serves it;
    /// keep that mapping. Before <c>UseHttps</c> it never matches (the bytes are TLS) and costs
    /// one look at the first read; after it, frames go through the TLS stream instead of the socket.
    /// </summary>
    public static ListenOptions UseSocketIOWebSockets(this ListenOptions listen)
    {
        SocketIOServer? io = null;
        SocketIOServer IO() => io ??= listen.ApplicationServices.GetRequiredService<SocketIOServer>();
        return listen.UseEngineIOWebSockets(() => IO().Options.Path, () => IO().Engine);
    }

    /// <summary>The same for a raw Engine.IO server mapped at <paramref name="path"/> with <c>MapEngineIO</c>.</summary>
    public static ListenOptions UseEngineIOWebSockets(this ListenOptions listen, string path, EngineServer server) =>
        listen.UseEngineIOWebSockets(() => path, () => server);

    private static ListenOptions UseEngineIOWebSockets(this ListenOptions listen, Func<string> path, Func<EngineServer> server)
    {
        listen.Use(next => connection => EngineIOConnectionMiddleware.RunAsync(connection, next, server, path));
        return listen;
    }
}
