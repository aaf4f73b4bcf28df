using Microsoft.Extensions.Logging;
using RunsStream.Server.Runs.Storage;

namespace RunsStream.Server.Runs.Fleet;

/// <summary>What the runs domain asks of its fleet (<see cref="IRunFleet"/>), and what the fleet's channels bring it.</summary>
internal sealed partial class FleetNode
{
    public void Follow(MirrorSync mirror)
    {
        var feed = new MirrorFeed(mirror, _bus, ex => FleetLog.MirrorFillFailed(_logger, mirror.Run.RunId, ex.Message));
        if (!_feeds.TryAdd(mirror, feed))
        {
            _ = feed.DisposeAsync().AsTask();
        }
    }

    public void Unfollow(MirrorSync mirror)
    {
        if (_feeds.TryRemove(mirror, out var feed))
        {
            _ = feed.DisposeAsync().AsTask();
        }
    }

    public void RunQueued()
    {
        _ = _bus.PublishQueuedAsync();
        Wake(); // this node may have a free slot itself
    }

    public void SlotFreed(RunState run)
    {
        _ = ReleaseWhenDurableAsync(run);
        Wake();
    }

    /// <summary>The lease is renewed until the run's last events are committed, then released.</summary>
    private async Task ReleaseWhenDurableAsync(RunState run)
    {
        while (!_stopping.IsCancellationRequested)
        {
            try
            {
                await _store.FlushAsync(_stopping.Token).ConfigureAwait(false);
                break;
            }
            catch (StoreUnavailableException)
            {
                // PostgreSQL is away: the writes wait, and so does the lease.
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
        _runs.ReleaseLease(run);
    }

    public async Task CancelElsewhereAsync(RunRecord record, string reason, string? by, CancellationToken cancellationToken)
    {
        if (record.Status == RunStatus.Queued
            && await _queue.CancelQueuedAsync(record.RunId, reason, by, _time.GetUtcNow(), cancellationToken).ConfigureAwait(false) is { } cancelled)
        {
            Publish([cancelled]);
            return;
        }
        // Claimed by a node: it hears at once over Redis, or at its next renewal from the row.
        await _queue.RequestCancelAsync(record.RunId, reason, by, cancellationToken).ConfigureAwait(false);
        await _bus.PublishCancelAsync(record.RunId, reason, _options.NodeId).ConfigureAwait(false);
    }

    public async Task<PublishOutcome> PublishAsync(string runId, IReadOnlyList<PublishedEvent> events, string? by, CancellationToken cancellationToken)
    {
        var (outcome, appended) = await _queue.PublishExternalAsync(runId, events, by, _time, cancellationToken).ConfigureAwait(false);
        Publish(appended);
        return outcome;
    }

    /// <summary>Events the store committed (this node's appends) go to the other nodes' mirrors.</summary>
    private void OnCommitted(IReadOnlyList<RunEvent> events) => _ = _bus.PublishRunEventsAsync(events);

    /// <summary>Events written straight by a queue transaction (reaper, cancel of a queued run, external publish).</summary>
    private void Publish(IReadOnlyList<RunEvent> events)
    {
        if (events.Count > 0)
        {
            _ = _bus.PublishRunEventsAsync(events);
            foreach (var e in events)
            {
                // This node's own mirror of the run hears it from Redis too; the store check covers a Redis outage.
                FleetLog.Appended(_logger, e.RunId, e.Seq, e.Status?.ToWire() ?? e.Type.ToWire());
            }
        }
    }

    private void OnCancelRequested(CancelRequest request) => CancelHere(request.RunId, request.Reason);

    public void Resize(string runId, Execution.TerminalSize size) => _ = _bus.PublishResizeAsync(runId, size);

    /// <summary>A resize asked of the fleet: applies when this node executes the run.</summary>
    private void OnResizeRequested(ResizeRequest request) => _runs.ResizeIfExecutedHere(request.RunId, request.Size);

    /// <summary>A cancel asked of this node: applies when it executes the run, else it is another node's.</summary>
    private void CancelHere(string runId, string reason)
    {
        if (!_runs.ExecutesHere(runId))
        {
            return;
        }
        try
        {
            _runs.Cancel(runId, reason);
        }
        catch (Exception ex) when (ex is RunConflictException or RunsException)
        {
            // It ended meanwhile.
        }
    }

    /// <summary>Redis is back: what the feeds missed while it was away is read from the store.</summary>
    private void OnResynced()
    {
        foreach (var sync in _feeds.Keys)
        {
            _ = FillQuietlyAsync(sync);
        }
        Wake();
    }

    private async Task FillQuietlyAsync(MirrorSync sync)
    {
        try
        {
            await sync.FillAsync(_stopping.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            FleetLog.MirrorFillFailed(_logger, sync.Run.RunId, ex.Message);
        }
        catch (OperationCanceledException)
        {
        }
    }
}
