using RunsStream.Server.Configuration;

namespace RunsStream.Tests.Support;

/// <summary>
/// RUNSSTREAM_TEST_FLEET=1 runs the runs-server tests against a two-node fleet (issue 14: "the
/// whole runs-server test suite also passes against a 2-node fleet"): every
/// <see cref="RunsServerHost"/> a test starts is node 0 of a fleet of its own (a redis-server, a
/// fresh PostgreSQL database and a second node with the same settings, sharing the workspace
/// root), so its runs execute on either node and its clients, talking to node 0, see the runs
/// of node 1 through the fleet. scripts/test runs the suite once more this way.
/// </summary>
internal static class FleetUnderTest
{
    public const string Variable = "RUNSSTREAM_TEST_FLEET";

    public static bool Enabled => Environment.GetEnvironmentVariable(Variable) is "1" or "true";

    /// <param name="options">Node 0's settings, as the test made them.</param>
    /// <param name="dataDirectory">The folder the host made for the test (deleted with it; the peer's is beside it).</param>
    /// <param name="configureBuilder">As for <see cref="RunsServerHost.StartAsync"/>, for both nodes.</param>
    public static async Task<RunsServerHost> StartAsync(RunsStreamOptions options, string dataDirectory, Action<Microsoft.AspNetCore.Builder.WebApplicationBuilder>? configureBuilder)
    {
        var redis = await RedisServer.StartNewAsync();
        var companions = new List<IAsyncDisposable> { redis };
        try
        {
            var database = await (await PostgresServer.SharedAsync()).CreateDatabaseAsync();
            FleetOptions Fleet(string nodeId, int port) => new()
            {
                RedisUrl = redis.Url,
                RedisConfiguration = redis.Configuration,
                DatabaseConnectionString = database,
                NodeId = nodeId,
                NodeUrl = $"http://127.0.0.1:{port}",
            };
            var peerDirectory = dataDirectory.TrimEnd('/') + "-peer";
            Directory.CreateDirectory(peerDirectory);
            var peerPort = FreePorts.Next();
            var peer = await RunsServerHost.StartBuiltAsync(
                options with { Port = peerPort, DataDirectory = peerDirectory, Fleet = Fleet("node-1", peerPort) }, peerDirectory, configureBuilder);
            companions.Add(peer);
            var port = options.Port == 0 ? FreePorts.Next() : options.Port;
            var host = await RunsServerHost.StartBuiltAsync(options with { Port = port, Fleet = Fleet("node-0", port) }, dataDirectory, configureBuilder);
            host.Companions.AddRange(companions);
            return host;
        }
        catch
        {
            for (var i = companions.Count - 1; i >= 0; i--)
            {
                await companions[i].DisposeAsync();
            }
            throw;
        }
    }
}
