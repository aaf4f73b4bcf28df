using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using RunsStream.Protocol.Redis;
using RunsStream.Protocol.SocketIO;
using RunsStream.Protocol.SocketIO.Rooms;
using RunsStream.Server.Configuration;
using RunsStream.Server.Fleet.Routing;
using RunsStream.Server.Runs.Storage;
using RunsStream.Server.Runs.Storage.Postgres;

namespace RunsStream.Server.Runs.Fleet;

/// <summary>
/// Makes the server a fleet node when REDIS_URL and DATABASE_URL are set (docs/fleet.md): the
/// PostgreSQL store (chosen where the store is), the Redis bus and Socket.IO adapter, the
/// queue, the node (<see cref="FleetNode"/>, started after the runs domain) and routing by sid
/// to the nodes its heartbeats find.
/// </summary>
internal static class FleetHosting
{
    /// <summary>The options of a fleet node: its sids carry its tag, and other nodes' sessions are forwarded.</summary>
    public static RunsStreamOptions WithRouting(RunsStreamOptions options, NodeDirectory directory) =>
        options.Fleet is { } fleet && options.Routing is null
            ? options with { Routing = new SessionRouting(fleet.NodeId, directory) }
            : options;

    /// <summary>
    /// The Socket.IO adapter of a fleet node: room broadcasts reach every node's sockets. The
    /// bus (and its Redis connection) is resolved when the first namespace is made.
    /// </summary>
    public static Func<SocketIONamespace, SocketIOAdapter>? AdapterFactory(RunsStreamOptions options, Func<RedisRunBus> bus)
    {
        if (options.Fleet is not { } fleet)
        {
            return null;
        }
        Func<SocketIONamespace, SocketIOAdapter>? factory = null;
        return ns => (factory ??= RedisSocketIOAdapter.Factory(bus().Connection, new RedisAdapterOptions { ServerId = fleet.NodeId }))(ns);
    }

    public static void AddFleet(this IServiceCollection services, RunsStreamOptions options, NodeDirectory directory)
    {
        if (options.Fleet is not { } fleet)
        {
            return;
        }
        services.AddSingleton(directory);
        services.AddSingleton(sp => RedisRunBus.ConnectAsync(fleet.RedisUrl, sp.GetRequiredService<ILogger<RedisRunBus>>()).GetAwaiter().GetResult());
        services.AddSingleton(sp => new PostgresRunQueue(((PostgresRunStore)sp.GetRequiredService<IRunStore>()).DataSource));
        services.AddSingleton(sp =>
        {
            var node = new FleetNode(
                sp.GetRequiredService<RunsService>(),
                (PostgresRunStore)sp.GetRequiredService<IRunStore>(),
                sp.GetRequiredService<PostgresRunQueue>(),
                sp.GetRequiredService<RedisRunBus>(),
                fleet,
                sp.GetRequiredService<TimeProvider>(),
                sp.GetRequiredService<ILogger<FleetNode>>());
            node.NodesChanged += nodes => directory.Update(nodes.ToDictionary(n => n.Key, n => new Uri(n.Value), StringComparer.Ordinal));
            return node;
        });
        // After RunsLifetime: it starts once the executors recovered, and stops claiming first.
        services.AddHostedService(sp => sp.GetRequiredService<FleetNode>());
    }
}
