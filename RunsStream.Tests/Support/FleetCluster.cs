using Microsoft.AspNetCore.Builder;
using RunsStream.Server.Configuration;

namespace RunsStream.Tests.Support;

/// <summary>
/// A fleet on this machine: its own redis-server, a fresh database on the test run's PostgreSQL,
/// and N in-process nodes (the same composition as Program.cs, fleet mode), each on a port
/// known before it starts (NODE_URL). Everything is stopped with it, by pid for the services.
/// </summary>
public sealed class FleetCluster : IAsyncDisposable
{
    private readonly List<RunsServerHost?> _nodes = [];
    private readonly Func<RunsStreamOptions, RunsStreamOptions>? _configure;
    private readonly Action<int, WebApplicationBuilder>? _configureBuilder;

    private FleetCluster(RedisServer redis, string database, Func<RunsStreamOptions, RunsStreamOptions>? configure, Action<int, WebApplicationBuilder>? configureBuilder)
    {
        // (PostgreSQL is the test run's shared instance, or the caller's: see StartAsync.)
        Redis = redis;
        DatabaseConnectionString = database;
        _configure = configure;
        _configureBuilder = configureBuilder;
    }

    public RedisServer Redis { get; }

    public string DatabaseConnectionString { get; }

    /// <summary>The nodes by index; a stopped node's entry is null until it is started again.</summary>
    public IReadOnlyList<RunsServerHost?> Nodes => _nodes;

    /// <summary>Node <paramref name="index"/>, which must be running.</summary>
    public RunsServerHost this[int index] => _nodes[index] ?? throw new InvalidOperationException($"node {index} is stopped");

    /// <param name="nodes">How many nodes to start now (more with <see cref="AddNodeAsync"/>).</param>
    /// <param name="configure">Settings on top of each node's fleet settings.</param>
    /// <param name="postgres">The PostgreSQL to use (a test that stops it has its own); default the test run's.</param>
    /// <param name="configureBuilder">Adds to node i's services before its app is built (as for <see cref="RunsServerHost.StartAsync"/>).</param>
    public static async Task<FleetCluster> StartAsync(int nodes = 2, Func<RunsStreamOptions, RunsStreamOptions>? configure = null, PostgresServer? postgres = null, Action<int, WebApplicationBuilder>? configureBuilder = null)
    {
        var redis = await RedisServer.StartNewAsync();
        var cluster = new FleetCluster(redis, await (postgres ?? await PostgresServer.SharedAsync()).CreateDatabaseAsync(), configure, configureBuilder);
        try
        {
            for (var i = 0; i < nodes; i++)
            {
                cluster._nodes.Add(null);
                await cluster.StartNodeAsync(i);
            }
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
        return cluster;
    }

    /// <summary>The fleet settings of node <paramref name="index"/> on <paramref name="port"/>.</summary>
    public FleetOptions OptionsFor(int index, int port) => new()
    {
        RedisUrl = Redis.Url,
        RedisConfiguration = Redis.Configuration,
        DatabaseConnectionString = DatabaseConnectionString,
        NodeId = $"node-{index}",
        NodeUrl = $"http://127.0.0.1:{port}",
    };

    /// <summary>Starts one more node; its index is the count before.</summary>
    public Task<RunsServerHost> AddNodeAsync()
    {
        _nodes.Add(null);
        return StartNodeAsync(_nodes.Count - 1);
    }

    /// <summary>
    /// The settings of a node run as its own process (<see cref="ServerProcess"/>) in this fleet:
    /// NODE_ID <paramref name="nodeId"/> on <paramref name="port"/>.
    /// </summary>
    public Dictionary<string, string> ProcessEnvironment(string nodeId, int port) => new()
    {
        ["REDIS_URL"] = Redis.Url,
        ["DATABASE_URL"] = DatabaseConnectionString,
        ["NODE_ID"] = nodeId,
        ["NODE_URL"] = $"http://127.0.0.1:{port}",
        ["PORT"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    /// <summary>Starts node <paramref name="index"/> (again: same NODE_ID, a new port and data directory).</summary>
    public async Task<RunsServerHost> StartNodeAsync(int index)
    {
        var port = FreePorts.Next();
        var node = await RunsServerHost.StartAsync(o =>
        {
            var fleet = o with { Port = port, Fleet = OptionsFor(index, port) };
            return _configure?.Invoke(fleet) ?? fleet;
        }, _configureBuilder is { } configureBuilder ? builder => configureBuilder(index, builder) : null);
        _nodes[index] = node;
        return node;
    }

    /// <summary>Stops node <paramref name="index"/> the way a host stops (its runs end, its sessions close).</summary>
    public async Task StopNodeAsync(int index)
    {
        if (_nodes[index] is { } node)
        {
            _nodes[index] = null;
            await node.DisposeAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        for (var i = _nodes.Count - 1; i >= 0; i--)
        {
            await StopNodeAsync(i);
        }
        await Redis.DisposeAsync();
    }
}
