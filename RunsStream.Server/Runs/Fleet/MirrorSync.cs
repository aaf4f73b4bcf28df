using RunsStream.Server.Runs.Storage;

namespace RunsStream.Server.Runs.Fleet;

/// <summary>
/// Keeps one mirror (<see cref="RunState.Mirror(RunRecord, long, IRunStore)"/>) in step with the
/// shared store: events that come from the fleet's live feed are applied in seq order, and a
/// gap (an event missed while Redis was away, a feed that started after the run's first events,
/// a run created after the mirror was made) is filled from the store, where every published
/// event already is (the executing node publishes only what it committed). The feed and the
/// periodic check of the store's last seq call it at once: one at a time per mirror.
/// </summary>
internal sealed class MirrorSync(RunState mirror, IRunStore store)
{
    /// <summary>Events read from the store per round trip while filling a gap.</summary>
    public const int FillBatchEvents = 1024;

    /// <summary>Output bytes read from the store per round trip while filling a gap.</summary>
    public const long FillBatchBytes = 1024 * 1024;

    private readonly SemaphoreSlim _turn = new(1, 1);

    public RunState Run => mirror;

    /// <summary>Applies an event from the live feed, filling what is missing before it first.</summary>
    public async Task ApplyAsync(RunEvent e, CancellationToken cancellationToken = default)
    {
        await _turn.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (mirror.ApplyCommitted(e) == MirrorApply.Gap)
            {
                await FillLockedAsync(cancellationToken).ConfigureAwait(false);
                // Filled up to what the store holds, which includes e: a duplicate now, or applied.
                mirror.ApplyCommitted(e);
            }
        }
        finally
        {
            _turn.Release();
        }
    }

    /// <summary>Applies whatever the store holds beyond the mirror's last seq.</summary>
    public async Task FillAsync(CancellationToken cancellationToken = default)
    {
        await _turn.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await FillLockedAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _turn.Release();
        }
    }

    private async Task FillLockedAsync(CancellationToken cancellationToken)
    {
        if (!mirror.Exists)
        {
            // Off the caller's thread (a Redis callback may fill), and holding none while PostgreSQL answers.
            if (await Task.Run(() => store.GetRunAsync(mirror.RunId, cancellationToken), cancellationToken).ConfigureAwait(false) is not { } record)
            {
                return; // not created yet: its first event will come
            }
            mirror.AdoptRecord(record);
        }
        while (mirror.IsMirror)
        {
            var after = mirror.LastSeq;
            var batch = await Task.Run(() => store.ReadEventsAsync(mirror.RunId, after, FillBatchEvents, FillBatchBytes, cancellationToken), cancellationToken).ConfigureAwait(false);
            if (batch.Count == 0)
            {
                return;
            }
            foreach (var e in batch)
            {
                if (mirror.ApplyCommitted(e) == MirrorApply.Gap)
                {
                    return; // the store itself skips here (retention dropped it meanwhile); the next check retries
                }
            }
        }
    }
}
