using System.Diagnostics;
using System.Net;
using RunsStream.LoadGen.Client;
using RunsStream.LoadGen.Reporting;
using RunsStream.LoadGen.Servers;

namespace RunsStream.LoadGen.Scenarios;

/// <summary>
/// What every scenario needs against one started server: REST, many WebSocket or polling
/// subscribers connected in parallel, a measurement window (server CPU, this process's CPU,
/// wall time) and the completeness check.
/// </summary>
internal sealed class ScenarioContext(ServerUnderTest server, BenchConfig config) : IAsyncDisposable
{
    private readonly List<WsConnection> _connections = new();
    private readonly List<Task> _receivers = new();
    private readonly CancellationTokenSource _timeout = new(config.ScenarioTimeout * 5);

    public ServerUnderTest Server => server;

    public BenchConfig Config => config;

    public HttpClient Http { get; } = new(new SocketsHttpHandler
    {
        UseProxy = false,
        MaxConnectionsPerServer = int.MaxValue,
        PooledConnectionLifetime = System.Threading.Timeout.InfiniteTimeSpan,
        AutomaticDecompression = DecompressionMethods.None,
    })
    { Timeout = TimeSpan.FromSeconds(300) };

    public RunsRest Rest => new(Http, server.Url, config.Token);

    public CancellationToken Timeout => _timeout.Token;

    /// <summary>Opens <paramref name="count"/> WebSocket connections to <paramref name="ns"/> (<paramref name="parallel"/> at a time) and starts their receive loops.</summary>
    public async Task<WsConnection[]> ConnectAsync(int count, Func<int, Subscriber> create, int? receiveBufferSize = null, int parallel = 64, string ns = "/")
    {
        var connections = new WsConnection[count];
        await Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = parallel, CancellationToken = Timeout }, async (i, ct) =>
        {
            connections[i] = await WsConnection.ConnectAsync(server.EndPoint, config.Token, create(i), receiveBufferSize, ct, ns);
        });
        lock (_connections)
        {
            _connections.AddRange(connections);
            foreach (var connection in connections)
            {
                _receivers.Add(Task.Run(() => connection.RunAsync(untilClosed: false, Timeout)));
            }
        }
        return connections;
    }

    /// <summary>Subscribes every connection from seq 0 and waits for every acknowledgement.</summary>
    public static async Task SubscribeAllAsync(IEnumerable<WsConnection> connections, string runId)
    {
        var acks = new List<Task>();
        foreach (var connection in connections)
        {
            connection.Subscribe(runId, 0);
            acks.Add(connection.Subscriber.Subscribed);
        }
        await Task.WhenAll(acks).WaitAsync(TimeSpan.FromSeconds(60));
    }

    /// <summary>Waits until every subscriber has its terminal status (or failed, or the scenario timed out).</summary>
    public async Task WaitDoneAsync(IEnumerable<Subscriber> subscribers)
    {
        var all = Task.WhenAll(subscribers.Select(s => s.Done));
        await Task.WhenAny(all, Task.Delay(config.ScenarioTimeout, Timeout));
        if (!all.IsCompleted)
        {
            foreach (var s in subscribers.Where(s => !s.Done.IsCompleted))
            {
                s.Fail($"timed out after {config.ScenarioTimeout.TotalSeconds:0} s (next seq {s.NextSeq}, {s.OutputBytes} bytes)");
            }
        }
    }

    /// <summary>"ok", or the first failure and how many subscribers failed.</summary>
    public static string Verify(IReadOnlyCollection<Subscriber> subscribers, long expectedBytes)
    {
        var failures = subscribers.Select(s => (s, problem: s.Verify(expectedBytes))).Where(x => x.problem.Length > 0).ToList();
        return failures.Count == 0
            ? "ok"
            : $"{failures.Count}/{subscribers.Count} incomplete; #{failures[0].s.Index}: {failures[0].problem}";
    }

    public Window BeginWindow() => new(server.Stats);

    /// <summary>The first part of every measurement: the server's RSS at the start and its peak since <see cref="ProcStats.ResetPeak"/>.</summary>
    public Measurement NewMeasurement(string scenario, string variant, double rssStartBytes) =>
        new(scenario, variant, server.Kind.Name) { RssStartMB = rssStartBytes / BenchConfig.MB };

    /// <summary>Closes connections a repetition is done with (their server side is then freed too).</summary>
    public async Task CloseAsync(IEnumerable<WsConnection> connections)
    {
        var set = connections.ToHashSet();
        lock (_connections)
        {
            _connections.RemoveAll(set.Contains);
        }
        foreach (var connection in set)
        {
            await connection.DisposeAsync();
        }
        await Task.Delay(200);
    }

    public async ValueTask DisposeAsync()
    {
        WsConnection[] connections;
        lock (_connections)
        {
            connections = _connections.ToArray();
        }
        foreach (var connection in connections)
        {
            await connection.DisposeAsync();
        }
        await Task.WhenAny(Task.WhenAll(_receivers), Task.Delay(TimeSpan.FromSeconds(5)));
        Http.Dispose();
        _timeout.Dispose();
    }
}

/// <summary>A measured interval: wall time, server CPU seconds, load-generator CPU seconds.</summary>
internal sealed class Window
{
    private readonly ProcStats _stats;
    private readonly double _serverCpu;
    private readonly double _serverKernelCpu;
    private readonly TimeSpan _clientCpu;

    public Window(ProcStats stats)
    {
        _stats = stats;
        _serverCpu = stats.CpuSeconds();
        _serverKernelCpu = stats.KernelCpuSeconds();
        _clientCpu = Process.GetCurrentProcess().TotalProcessorTime;
        Started = Stopwatch.GetTimestamp();
    }

    public long Started { get; }

    public double ServerCpu { get; private set; }

    /// <summary>The server's CPU seconds spent in the kernel (system calls: mostly socket sends).</summary>
    public double ServerKernelCpu { get; private set; }

    public double ClientCpu { get; private set; }

    public double Seconds { get; private set; }

    public void End()
    {
        Seconds = Stopwatch.GetElapsedTime(Started).TotalSeconds;
        ServerCpu = _stats.CpuSeconds() - _serverCpu;
        ServerKernelCpu = _stats.KernelCpuSeconds() - _serverKernelCpu;
        ClientCpu = (Process.GetCurrentProcess().TotalProcessorTime - _clientCpu).TotalSeconds;
    }

    /// <summary>Seconds from the window's start to <paramref name="timestamp"/> (a Stopwatch timestamp).</summary>
    public double SecondsTo(long timestamp) => Stopwatch.GetElapsedTime(Started, timestamp).TotalSeconds;
}
