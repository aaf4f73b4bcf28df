using System.Collections.Concurrent;
using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using RunsStream.Server.Configuration;
using RunsStream.Server.Fleet.Routing;
using RunsStream.Server.Runs.Storage;
using RunsStream.Server.Runs.Storage.Postgres;

namespace RunsStream.Server.Runs.Fleet;

/// <summary>
/// This node's part in the fleet (docs/fleet.md): it claims queued runs while it has free
/// slots, renews the leases of the runs it executes, reaps the runs of nodes that died,
/// publishes what its store committed, feeds the mirrors its subscribers watch, and carries
/// cancels across nodes. It starts after the runs domain recovered its executors (no process
/// of an earlier life is left) and stops claiming before the runs are stopped.
/// </summary>
internal sealed partial class FleetNode : IRunFleet, IHostedLifecycleService, IAsyncDisposable
{
    /// <summary>How often leases are renewed and the heartbeat is written.</summary>
    public static readonly TimeSpan BeatInterval = TimeSpan.FromSeconds(2);

    /// <summary>How often mirrors compare their last seq with the store's, the reaper looks, and an idle node looks at the queue.</summary>
    public static readonly TimeSpan CheckInterval = TimeSpan.FromSeconds(1);

    private readonly RunsService _runs;
    private readonly PostgresRunStore _store;
    private readonly PostgresRunQueue _queue;
    private readonly RedisRunBus _bus;
    private readonly FleetOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly ConcurrentDictionary<MirrorSync, MirrorFeed> _feeds = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<Task> _loops = new();
    private volatile bool _claiming = true;

    public FleetNode(RunsService runs, PostgresRunStore store, PostgresRunQueue queue, RedisRunBus bus, FleetOptions options, TimeProvider time, ILogger<FleetNode> logger)
    {
        _runs = runs;
        _store = store;
        _queue = queue;
        _bus = bus;
        _options = options;
        _time = time;
        _logger = logger;
        runs.JoinFleet(this);
    }

    /// <summary>The node's tag, the prefix of its Engine.IO sids.</summary>
    public string Tag => NodeTags.For(_options.NodeId);

    /// <summary>Whether the last round trip to PostgreSQL succeeded.</summary>
    public bool DatabaseReachable { get; private set; }

    /// <summary>This node's NODE_ID.</summary>
    public string NodeId => _options.NodeId;

    /// <summary>Whether the Redis connection is up now.</summary>
    public bool RedisConnected => _bus.IsConnected;

    /// <summary>Tag to URL of the live nodes, from the heartbeats (for forwarding by sid).</summary>
    public event Action<IReadOnlyDictionary<string, string>>? NodesChanged;

    public Task StartingAsync(CancellationToken cancellationToken)
    {
        _store.Committed += OnCommitted;
        _bus.CancelRequested += OnCancelRequested;
        _bus.ResizeRequested += OnResizeRequested;
        _bus.RunQueued += Wake;
        _bus.Resynced += OnResynced;
        return Task.CompletedTask;
    }

    /// <summary>
    /// After the runs domain recovered (no process of this node's previous life is left), that
    /// life's unfinished runs end as its lost runs would; then the node claims, beats and checks.
    /// </summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            Publish(await _queue.TakeOverOwnAsync(_options.NodeId, _time.GetUtcNow(), cancellationToken).ConfigureAwait(false));
            await BeatAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (IsTransient(ex))
        {
            FleetLog.DatabaseUnreachable(_logger, ex.Message); // the reapers end those runs once their leases expire
        }
        _loops.Add(Task.Run(ClaimLoopAsync));
        _loops.Add(Every(BeatInterval, BeatAsync));
        _loops.Add(Every(CheckInterval, CheckMirrorsAsync));
        _loops.Add(Every(CheckInterval, ReapAsync));
    }

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>No new claims once the host stops; leases are still renewed while the runs end.</summary>
    public Task StoppingAsync(CancellationToken cancellationToken)
    {
        _claiming = false;
        Wake();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task StoppedAsync(CancellationToken cancellationToken) => await DisposeAsync().ConfigureAwait(false);

    public async ValueTask DisposeAsync()
    {
        if (_stopping.IsCancellationRequested)
        {
            return;
        }
        _stopping.Cancel();
        _store.Committed -= OnCommitted;
        _bus.CancelRequested -= OnCancelRequested;
        _bus.ResizeRequested -= OnResizeRequested;
        _bus.RunQueued -= Wake;
        _bus.Resynced -= OnResynced;
        _wake.Writer.TryComplete();
        try
        {
            await Task.WhenAll(_loops).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
        foreach (var feed in _feeds.Values)
        {
            await feed.DisposeAsync().ConfigureAwait(false);
        }
        _feeds.Clear();
    }

    /// <summary>Claims queued runs while a slot is free; wakes on a queued run, a freed slot, or every second.</summary>
    private async Task ClaimLoopAsync()
    {
        var token = _stopping.Token;
        while (!token.IsCancellationRequested)
        {
            try
            {
                while (_claiming && _runs.HasFreeSlot
                    && await _queue.ClaimNextAsync(_options.NodeId, _options.Lease, token).ConfigureAwait(false) is { } claimed)
                {
                    DatabaseReachable = true;
                    FleetLog.Claimed(_logger, claimed.Run.RunId, claimed.Fence);
                    await _runs.ExecuteClaimedAsync(claimed.Run, claimed.Fence).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (IsTransient(ex))
            {
                DatabaseReachable = false;
                FleetLog.DatabaseUnreachable(_logger, ex.Message);
            }
            catch (Exception ex)
            {
                // Never the end of claiming on this node: logged, and the next round tries again.
                FleetLog.LoopFailed(_logger, "claim", ex);
            }
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(token);
            timeout.CancelAfter(CheckInterval);
            try
            {
                await _wake.Reader.ReadAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!token.IsCancellationRequested)
            {
                // a second without news: look at the queue anyway (Redis may be away)
            }
            catch (Exception) when (token.IsCancellationRequested || _wake.Reader.Completion.IsCompleted)
            {
                return;
            }
        }
    }

    private void Wake() => _wake.Writer.TryWrite(true);

    /// <summary>Heartbeat and lease renewal, every <see cref="BeatInterval"/>.</summary>
    private async Task BeatAsync(CancellationToken cancellationToken)
    {
        await _queue.HeartbeatAsync(_options.NodeId, Tag, _options.NodeUrl, cancellationToken).ConfigureAwait(false);
        NodesChanged?.Invoke(await _queue.LiveNodesAsync(_options.Lease * 3, cancellationToken).ConfigureAwait(false));
        var held = _runs.HeldLeases();
        if (held.Count > 0)
        {
            var renewal = await _queue.RenewAsync(_options.NodeId, held, _options.Lease, cancellationToken).ConfigureAwait(false);
            foreach (var runId in renewal.Lost)
            {
                FleetLog.LeaseLost(_logger, runId);
                _runs.LoseLease(runId);
            }
            foreach (var (runId, reason) in renewal.CancelRequested)
            {
                CancelHere(runId, reason);
            }
        }
        DatabaseReachable = true;
    }

    /// <summary>The reaper, every <see cref="CheckInterval"/>: runs whose lease expired end as their node's lost runs.</summary>
    private async Task ReapAsync(CancellationToken cancellationToken) =>
        Publish(await _queue.ReapExpiredAsync(_options.NodeId, _time.GetUtcNow(), cancellationToken).ConfigureAwait(false));

    /// <summary>Mirrors behind the store are filled (their feed missed events); idle ones retire.</summary>
    private async Task CheckMirrorsAsync(CancellationToken cancellationToken)
    {
        _runs.RetireIdleMirrors();
        var open = _feeds.Keys.Where(sync => !sync.Run.IsFinished).ToList();
        if (open.Count == 0)
        {
            return;
        }
        var stored = await _queue.LastSeqsAsync(open.Select(sync => sync.Run.RunId).ToList(), cancellationToken).ConfigureAwait(false);
        foreach (var sync in open)
        {
            if (stored.TryGetValue(sync.Run.RunId, out var last) && last > sync.Run.LastSeq)
            {
                await sync.FillAsync(cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private async Task Every(TimeSpan interval, Func<CancellationToken, Task> work)
    {
        var token = _stopping.Token;
        using var timer = new PeriodicTimer(interval, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(token).ConfigureAwait(false))
            {
                try
                {
                    await work(token).ConfigureAwait(false);
                }
                catch (Exception ex) when (IsTransient(ex) && !token.IsCancellationRequested)
                {
                    DatabaseReachable = false;
                    FleetLog.DatabaseUnreachable(_logger, ex.Message);
                }
                catch (Exception ex) when (!token.IsCancellationRequested)
                {
                    // A bug must not stop the heartbeat, the renewals or the reaper: the next tick tries again.
                    FleetLog.LoopFailed(_logger, work.Method.Name, ex);
                }
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
        }
    }

    /// <summary>What PostgreSQL being away looks like: the loops log it and try again at their next tick.</summary>
    private static bool IsTransient(Exception ex) =>
        ex is Npgsql.NpgsqlException or System.Net.Sockets.SocketException or TimeoutException or IOException or InvalidOperationException;
}
