using RunsStream.Server.Runs.Storage;

namespace RunsStream.Server.Runs.Fleet;

/// <summary>
/// What the runs domain asks of the fleet it is part of (<see cref="RunsService.JoinFleet"/>):
/// the live feed of runs executed elsewhere, the shared queue and cross-node cancel and publish.
/// Outside a fleet there is none, and the runs domain schedules and appends on its own.
/// </summary>
internal interface IRunFleet
{
    /// <summary>Starts feeding a new mirror: its run's live events, and a fill from the store.</summary>
    void Follow(MirrorSync mirror);

    /// <summary>Stops feeding a mirror that nobody watches any more.</summary>
    void Unfollow(MirrorSync mirror);

    /// <summary>A run was queued and is durable: nodes with a free slot may claim it.</summary>
    void RunQueued();

    /// <summary>A run executed here ended and freed its slot: claim the next one.</summary>
    void SlotFreed(RunState run);

    /// <summary>
    /// Cancels a run this node does not execute: a queued one at once in the store (its
    /// `cancelled` event goes to every node), a claimed one by asking the node that holds it.
    /// </summary>
    Task CancelElsewhereAsync(RunRecord record, string reason, string? by, CancellationToken cancellationToken);

    /// <summary>Sends a tty run's new terminal size to the node that executes it.</summary>
    void Resize(string runId, Execution.TerminalSize size);

    /// <summary>Appends an external executor's events to a run in the shared store (all or nothing).</summary>
    Task<PublishOutcome> PublishAsync(string runId, IReadOnlyList<PublishedEvent> events, string? by, CancellationToken cancellationToken);
}
