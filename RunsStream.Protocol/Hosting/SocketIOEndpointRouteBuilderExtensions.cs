using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using RunsStream.Protocol.EngineIO;
using RunsStream.Protocol.SocketIO;

namespace RunsStream.Protocol.Hosting;

/// <summary>Maps Socket.IO and raw Engine.IO servers as endpoints.</summary>
public static class SocketIOEndpointRouteBuilderExtensions
{
    /// <summary>Maps the registered <see cref="SocketIOServer"/> at its configured path (default "/socket.io/").</summary>
    public static IEndpointConventionBuilder MapSocketIO(this IEndpointRouteBuilder endpoints)
    {
        var server = endpoints.ServiceProvider.GetRequiredService<SocketIOServer>();
        return endpoints.MapSocketIO(server);
    }

    /// <summary>Maps <paramref name="server"/> at its configured path.</summary>
    public static IEndpointConventionBuilder MapSocketIO(this IEndpointRouteBuilder endpoints, SocketIOServer server) =>
        endpoints.Map(server.Options.Path.TrimEnd('/'), server.HandleRequestAsync);

    /// <summary>Maps a raw Engine.IO server (no Socket.IO layer) at <paramref name="path"/>.</summary>
    public static IEndpointConventionBuilder MapEngineIO(this IEndpointRouteBuilder endpoints, string path, EngineServer server) =>
        endpoints.Map(path.TrimEnd('/'), server.HandleRequestAsync);
}
