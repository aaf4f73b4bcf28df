using System.Collections.Concurrent;
using System.Diagnostics;
using RunsStream.Server.Runs;

namespace RunsStream.Server.Diagnostics;

/// <summary>
/// What the runs domain tells operations, at the few points of a run's life: accepted
/// (queued), taken from the queue, started, ended. Feeds <see cref="RunsMetrics"/> and one
/// trace span per run, from queued to its terminal status, with the run id, an event for
/// started and ended, and the status (OpenTelemetry's status: error for failed).
/// </summary>
internal sealed class RunsTelemetry(RunsMetrics? metrics)
{
    /// <summary>The source of the runs' spans (what a tracer listens to).</summary>
    public const string SourceName = "RunsStream.Server.Runs";

    /// <summary>Nothing recorded: for a service built without a host (tests, benchmarks).</summary>
    public static readonly RunsTelemetry None = new(null);

    private static readonly ActivitySource Source = new(SourceName);

    // Open spans by run id: a run's span outlives the request that queued it.
    private readonly ConcurrentDictionary<string, Activity> _spans = new(StringComparer.Ordinal);

    public RunsMetrics? Metrics => metrics;

    public void OnQueued(RunState run)
    {
        metrics?.OnCreated();
        // The span is a child of the request that created the run (POST /runs), but must not
        // become the current activity of that request: it is put back at once.
        var current = Activity.Current;
        var span = Source.StartActivity("run", ActivityKind.Internal);
        Activity.Current = current;
        if (span is null)
        {
            return; // nobody listens
        }
        span.SetTag("runsstream.run_id", run.RunId);
        span.SetTag("runsstream.executor", run.Executor);
        if (run.WorkspaceId is { } workspace)
        {
            span.SetTag("runsstream.workspace_id", workspace);
        }
        span.AddEvent(new ActivityEvent("queued"));
        _spans[run.RunId] = span;
    }

    public void OnDequeued(RunState run, DateTimeOffset now) => metrics?.OnDequeued(now - run.CreatedAt);

    /// <summary>A status event <paramref name="e"/> was appended to <paramref name="run"/>.</summary>
    public void OnStatus(RunState run, RunEvent e)
    {
        if (e.Status is not { } status)
        {
            return;
        }
        if (status == RunStatus.Running)
        {
            metrics?.OnStarted();
            if (_spans.TryGetValue(run.RunId, out var running))
            {
                running.AddEvent(new ActivityEvent("started", e.Timestamp));
            }
            return;
        }
        if (!status.IsTerminal())
        {
            return;
        }
        metrics?.OnFinished(status, e.Timestamp - (run.StartedAt ?? run.CreatedAt));
        if (!_spans.TryRemove(run.RunId, out var span))
        {
            return;
        }
        span.AddEvent(new ActivityEvent("ended", e.Timestamp));
        span.SetTag("runsstream.status", status.ToWire());
        if (e.ExitCode is { } exitCode)
        {
            span.SetTag("runsstream.exit_code", exitCode);
        }
        span.SetStatus(status == RunStatus.Failed ? ActivityStatusCode.Error : ActivityStatusCode.Ok, e.Reason);
        span.Stop();
    }
}
