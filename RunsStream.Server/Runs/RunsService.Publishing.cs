namespace RunsStream.Server.Runs;

/// <summary>The in-process API for external executors: their events appended to runs, under the rules of POST /runs/{runId}/events.</summary>
public sealed partial class RunsService
{
    /// <summary>
    /// Appends events from an external executor, creating the run on first use. All or
    /// nothing: a refused batch appends and creates nothing.
    /// </summary>
    /// <param name="runId">The run's id; it must match <c>^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$</c>.</param>
    /// <param name="events">The events in order; a terminal status may only come last.</param>
    /// <exception cref="RunsException">A bad run id or batch (bad_request), a run this server executes (conflict), a deleted run (gone).</exception>
    /// <exception cref="RunConflictException">The run has already finished.</exception>
    public void Publish(string runId, IReadOnlyList<PublishedEvent> events) => Publish(runId, events, null);

    /// <summary>As <see cref="Publish(string, IReadOnlyList{PublishedEvent})"/>; <paramref name="by"/> is recorded as createdBy of a run it creates.</summary>
    internal void Publish(string runId, IReadOnlyList<PublishedEvent> events, string? by)
    {
        if (_fleet is not null)
        {
            PublishAsync(runId, events, by).GetAwaiter().GetResult();
            return;
        }
        CheckPublish(runId, events);
        while (true)
        {
            var run = WaitFor(GetForSubscriptionAsync(runId)); // at once: the store is local outside a fleet
            switch (run.Publish(events, _time, by))
            {
                case PublishOutcome.Accepted:
                    return;
                case PublishOutcome.NothingToCreate:
                    ReleaseIfUnused(run);
                    return;
                case PublishOutcome.ExecutedHere:
                    throw RunsException.Conflict($"Run '{runId}' is executed by this server; it takes no published events");
                case PublishOutcome.Finished:
                    throw new RunConflictException(runId, run.Status!.Value);
                case PublishOutcome.Deleted:
                    throw new RunsException(RunsErrorCode.Gone, $"Run '{runId}' was deleted by the retention policy");
                case PublishOutcome.Retired:
                    continue; // its last subscriber left meanwhile: the next lookup has the current state
            }
        }
    }

    /// <summary>The checks of a publish that need no run: the id, and no event after a terminal status.</summary>
    private static void CheckPublish(string runId, IReadOnlyList<PublishedEvent> events)
    {
        if (!RunIds.IsValid(runId))
        {
            throw RunsException.BadRequest(RunIds.InvalidRunIdMessage);
        }
        // Events after the batch's own terminal status are a publish after a terminal status:
        // 409 as when the status came in an earlier batch (docs/api.md section 3.6).
        for (var i = 0; i < events.Count; i++)
        {
            if (events[i].Type == RunEventType.Status && events[i].Status!.Value.IsTerminal() && i != events.Count - 1)
            {
                throw RunsException.Conflict($"events[{i + 1}] follows the terminal status '{events[i].Data}' of events[{i}]; a run takes no events after its terminal status");
            }
        }
    }

    /// <summary>Appends one stdout event to <paramref name="runId"/> (see <see cref="Publish(string, IReadOnlyList{PublishedEvent})"/>).</summary>
    public void SendStdout(string runId, string data) => Publish(runId, [new PublishedEvent(RunEventType.Stdout, data)]);

    /// <summary>Appends one stderr event to <paramref name="runId"/> (see <see cref="Publish(string, IReadOnlyList{PublishedEvent})"/>).</summary>
    public void SendStderr(string runId, string data) => Publish(runId, [new PublishedEvent(RunEventType.Stderr, data)]);

    /// <summary>
    /// Appends a status event to <paramref name="runId"/> (see <see cref="Publish(string, IReadOnlyList{PublishedEvent})"/>); a failed or
    /// cancelled status without <paramref name="reason"/> gets "Failed" or "Cancelled".
    /// </summary>
    public void SendStatus(string runId, RunStatus status, string? reason = null, int? exitCode = null) =>
        Publish(runId, [new PublishedEvent(RunEventType.Status, status.ToWire(), status, reason, exitCode)]);
}
