using RunsStream.Protocol.SocketIO;
using RunsStream.Server.Runs.Execution;

namespace RunsStream.Server.Runs;

/// <summary>
/// One run: its metadata, its event log and its subscribers. Appending an event assigns the
/// next seq, retains it and hands it to the live subscribers under one lock, so a subscriber
/// switching from replay to live can neither miss nor repeat an event.
/// </summary>
public sealed class RunState
{
    private readonly object _lock = new();
    private readonly RunLog _log;
    private readonly List<RunSubscription> _live = new();
    private readonly HashSet<RunSubscription> _subscribers = new();
    private TaskCompletionSource _appended = new(TaskCreationOptions.RunContinuationsAsynchronously);

    internal RunState(string runId, long logCapBytes)
    {
        RunId = runId;
        _log = new RunLog(runId, logCapBytes);
    }

    public string RunId { get; }

    /// <summary>Null while nobody has created the run (a subscriber is waiting for it).</summary>
    public RunStatus? Status { get; private set; }

    public string? Command { get; private set; }

    public string? WorkspaceId { get; private set; }

    public DateTimeOffset CreatedAt { get; private set; }

    public DateTimeOffset? StartedAt { get; private set; }

    public DateTimeOffset? FinishedAt { get; private set; }

    public int? ExitCode { get; private set; }

    public string? Reason { get; private set; }

    /// <summary>Created by POST /runs/{id}/events: an external executor owns it.</summary>
    public bool IsExternal { get; private set; }

    public bool Exists => Status is not null;

    public bool IsFinished => Status is { } s && s.IsTerminal();

    public long LastSeq { get; private set; }

    internal object Sync => _lock;

    // Execution state, owned by RunsService.
    internal RunProcess? Process { get; set; }
    internal RunStatus? EndAs { get; set; }
    internal string? EndReason { get; set; }

    public int SubscriberCount
    {
        get { lock (_lock) return _subscribers.Count; }
    }

    internal void Initialize(string? command, string? workspaceId, bool external, DateTimeOffset createdAt)
    {
        Command = command;
        WorkspaceId = workspaceId;
        IsExternal = external;
        CreatedAt = createdAt;
    }

    /// <summary>Appends an event built for the next seq. Returns null when the run already ended.</summary>
    internal RunEvent? Append(Func<long, RunEvent> create)
    {
        TaskCompletionSource appended;
        RunEvent e;
        lock (_lock)
        {
            if (IsFinished)
            {
                return null;
            }
            e = create(LastSeq + 1);
            LastSeq = e.Seq;
            _log.Append(e);
            if (e.Type == RunEventType.Status && e.Status is { } status)
            {
                ApplyStatus(e, status);
            }
            Deliver(e);
            appended = _appended;
            _appended = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
        appended.TrySetResult();
        return e;
    }

    private void ApplyStatus(RunEvent e, RunStatus status)
    {
        Status = status;
        if (status == RunStatus.Running)
        {
            StartedAt ??= e.Timestamp;
        }
        if (status.IsTerminal())
        {
            FinishedAt = e.Timestamp;
            ExitCode = e.ExitCode;
            Reason = e.Reason;
        }
    }

    /// <summary>Hands the event to every live subscriber; one encoding per namespace.</summary>
    private void Deliver(RunEvent e)
    {
        if (_live.Count == 0)
        {
            return;
        }
        SocketIOEncodedPacket? root = null;
        SocketIOEncodedPacket? other = null;
        string? otherNs = null;
        for (var i = _live.Count - 1; i >= 0; i--)
        {
            var subscription = _live[i];
            if (!subscription.TryTakeLive(e.Seq))
            {
                _live.RemoveAt(i); // it fell behind: its pump catches up from the log
                continue;
            }
            var ns = subscription.Socket.Namespace.Name;
            SocketIOEncodedPacket packet;
            if (ns == "/")
            {
                packet = root ??= e.Encode(ns);
            }
            else
            {
                if (otherNs != ns)
                {
                    other = e.Encode(ns);
                    otherNs = ns;
                }
                packet = other!;
            }
            subscription.Socket.Send(packet);
        }
    }

    /// <summary>Retained events after <paramref name="afterSeq"/> (a marker where output was dropped).</summary>
    public List<RunEvent> ReadEvents(long afterSeq, int maxEvents = 1024, long maxBytes = 256 * 1024)
    {
        lock (_lock)
        {
            return _log.Read(afterSeq, maxEvents, maxBytes);
        }
    }

    /// <summary>Completes when an event after <paramref name="afterSeq"/> exists.</summary>
    public Task WaitForEventAsync(long afterSeq, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            return LastSeq > afterSeq ? Task.CompletedTask : _appended.Task.WaitAsync(cancellationToken);
        }
    }

    internal void AddSubscriber(RunSubscription subscription)
    {
        lock (_lock)
        {
            _subscribers.Add(subscription);
        }
    }

    internal void RemoveSubscriber(RunSubscription subscription)
    {
        lock (_lock)
        {
            _subscribers.Remove(subscription);
            _live.Remove(subscription);
        }
    }

    /// <summary>
    /// Called by a catching-up subscription: when it has every event so far it becomes live
    /// (returns true with no events); otherwise it gets the next batch to send.
    /// </summary>
    internal bool TryGoLive(RunSubscription subscription, out List<RunEvent> batch)
    {
        lock (_lock)
        {
            if (subscription.NextSeq > LastSeq)
            {
                if (_subscribers.Contains(subscription) && !_live.Contains(subscription))
                {
                    _live.Add(subscription);
                }
                batch = [];
                return true;
            }
            batch = _log.Read(subscription.NextSeq - 1, 512, 256 * 1024);
            return false;
        }
    }
}
