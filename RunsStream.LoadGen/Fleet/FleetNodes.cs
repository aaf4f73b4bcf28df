using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using RunsStream.LoadGen.Scenarios;
using RunsStream.LoadGen.Servers;

namespace RunsStream.LoadGen.Fleet;

/// <summary>
/// The fleet nodes of one repetition: RunsStream processes sharing the Redis and PostgreSQL that
/// scripts/bench --fleet started (REDIS_URL, DATABASE_URL), each on a port chosen before it
/// starts (its NODE_URL names it), each with a <see cref="ScenarioContext"/> for its clients.
/// The database is emptied before the first node starts, so every repetition begins alike.
/// Nodes can be started one by one: a run posted while only node 0 is up is claimed by node 0.
/// </summary>
internal sealed partial class FleetNodes : IAsyncDisposable
{
    private readonly BenchConfig _config;
    private readonly FleetServices _services;
    private readonly string _scenario;
    private readonly List<(ServerUnderTest Server, ScenarioContext Context)> _nodes = new();

    /// <summary>Which node claimed each run, from the nodes' "Claimed run" log lines.</summary>
    private readonly ConcurrentDictionary<string, int> _claimedBy = new();

    private FleetNodes(BenchConfig config, FleetServices services, string scenario)
    {
        _config = config;
        _services = services;
        _scenario = scenario;
    }

    public int Count => _nodes.Count;

    public ServerUnderTest Server(int index) => _nodes[index].Server;

    public ScenarioContext Context(int index) => _nodes[index].Context;

    /// <summary>Empties the database and starts <paramref name="count"/> nodes (more with <see cref="AddAsync"/>).</summary>
    public static async Task<FleetNodes> StartAsync(BenchConfig config, FleetServices services, string scenario, int count)
    {
        await services.ResetDatabaseAsync();
        var nodes = new FleetNodes(config, services, scenario);
        try
        {
            for (var i = 0; i < count; i++)
            {
                await nodes.AddAsync();
            }
        }
        catch
        {
            await nodes.DisposeAsync();
            throw;
        }
        return nodes;
    }

    /// <summary>Starts one more node (index: the count before) and warms it up.</summary>
    public async Task<ScenarioContext> AddAsync()
    {
        var index = _nodes.Count;
        var port = FreePort();
        var environment = new Dictionary<string, string>
        {
            ["REDIS_URL"] = _services.RedisUrl,
            ["DATABASE_URL"] = _services.DatabaseUrl,
            ["NODE_ID"] = $"bench-node{index}",
            ["NODE_URL"] = $"http://127.0.0.1:{port}",
            ["PORT"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        var server = await ServerUnderTest.StartAsync(ServerKind.Ours, _config, $"{_scenario}-node{index}", environment, line =>
        {
            if (ClaimedLine().Match(line) is { Success: true } m)
            {
                _claimedBy[m.Groups[1].Value] = index;
            }
        });
        var context = new ScenarioContext(server, _config);
        _nodes.Add((server, context));
        await Warmup.RunAsync(context);
        return context;
    }

    /// <summary>The index of the node that claimed <paramref name="runId"/>; null when none said so yet.</summary>
    public int? ClaimedBy(string runId) => _claimedBy.TryGetValue(runId, out var node) ? node : null;

    /// <summary>Waits (up to 30 s) until some node claimed <paramref name="runId"/>.</summary>
    public async Task<int> WaitClaimedAsync(string runId)
    {
        var started = Stopwatch.GetTimestamp();
        while (Stopwatch.GetElapsedTime(started) < TimeSpan.FromSeconds(30))
        {
            if (ClaimedBy(runId) is { } node)
            {
                return node;
            }
            await Task.Delay(10);
        }
        throw new TimeoutException($"no node claimed {runId} within 30 s");
    }

    /// <summary>All nodes' CPU seconds (utime + stime of each process), summed.</summary>
    public double TotalCpuSeconds() => _nodes.Sum(n => n.Server.Stats.CpuSeconds());

    public async ValueTask DisposeAsync()
    {
        // Stopped last-started first, so that no run is handed over to a node about to stop.
        for (var i = _nodes.Count - 1; i >= 0; i--)
        {
            await _nodes[i].Context.DisposeAsync();
            await _nodes[i].Server.DisposeAsync();
        }
        _nodes.Clear();
    }

    /// <summary>A free loopback port, known before the node starts: NODE_URL must name it.</summary>
    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    [GeneratedRegex(@"Claimed run (\S+) \(lease token")]
    private static partial Regex ClaimedLine();
}
