using RunsStream.Server.Runs.Storage;

namespace RunsStream.Server.Runs;

/// <summary>
/// One run: its record (metadata and counters) and its append. Appending an event assigns the
/// next seq, queues it for the store, retains it (<see cref="RunLog"/>) and hands it to the live
/// subscribers (<see cref="RunFanout"/>) under one lock, private to this class, so a subscriber
/// switching from replay to live can neither miss nor repeat an event. The other jobs are
/// parts with their own state: flow control towards the store (<see cref="StoreFlowControl"/>),
/// catch-up reads from the store (<see cref="RunStoreReader"/>) and the process
/// (<see cref="RunExecution"/>).
/// </summary>
internal sealed partial class RunState : IPersistenceListener
{
    private readonly object _lock = new();
    private readonly IRunStore _store;
    private RunLog _log;
    private readonly RunFanout _fanout = new();
    private readonly RunStoreReader _storeReader;
    private readonly StoreFlowControl _flow;
    private TaskCompletionSource _appended = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private bool _retired;
    private RunStage[]? _stages;

    /// <summary>A run nobody has created yet: subscribers wait on it, a publisher may create it.</summary>
    internal RunState(string runId, long logCapBytes, IRunStore store)
    {
        RunId = runId;
        _store = store;
        _log = new RunLog(runId, logCapBytes);
        _storeReader = new RunStoreReader(runId, store);
        _flow = new StoreFlowControl(() => store.Health.IsWritable);
    }

    /// <summary>A run this server executes, created now (its first event, `queued`, is the caller's).</summary>
    /// <param name="command">The command; null for a pipeline (<paramref name="stages"/>).</param>
    internal RunState(string runId, long logCapBytes, IRunStore store, string? command, string? workspaceId, DateTimeOffset createdAt, string executor = "process", IReadOnlyList<RunStage>? stages = null, Execution.TerminalSize? tty = null)
        : this(runId, logCapBytes, store)
    {
        Tty = tty;
        Command = command;
        WorkspaceId = workspaceId;
        CreatedAt = createdAt;
        Executor = executor;
        _stages = stages?.ToArray();
    }

    /// <summary>A run known only to the store (finished, or from an earlier process).</summary>
    internal RunState(RunRecord record, long logCapBytes, IRunStore store)
    {
        RunId = record.RunId;
        _store = store;
        _log = new RunLog(record.RunId, logCapBytes, record.Gap, record.LastSeq);
        _storeReader = new RunStoreReader(record.RunId, store);
        _flow = new StoreFlowControl(() => store.Health.IsWritable);
        CopyMetadata(record);
        LastSeq = record.LastSeq;
        StdoutBytes = record.StdoutBytes;
        StderrBytes = record.StderrBytes;
    }

    /// <summary>The record's metadata (not its log's position: the caller's to set).</summary>
    private void CopyMetadata(RunRecord record)
    {
        Status = record.Status;
        Command = record.Command;
        WorkspaceId = record.WorkspaceId;
        CreatedAt = record.CreatedAt;
        StartedAt = record.StartedAt;
        FinishedAt = record.FinishedAt;
        ExitCode = record.ExitCode;
        Reason = record.Reason;
        IsExternal = record.External;
        Executor = record.Executor;
        Tty = record.Tty;
        _stages = record.Stages?.ToArray();
        CreatedBy = record.CreatedBy;
        CancelledBy = record.CancelledBy;
    }

    public string RunId { get; }

    /// <summary>Null while nobody has created the run (a subscriber is waiting for it).</summary>
    public RunStatus? Status { get; private set; }

    public string? Command { get; private set; }

    public string? WorkspaceId { get; private set; }

    /// <summary>Who started the run (set by the creator before its first event), or whose publish created it.</summary>
    public string? CreatedBy { get; internal set; }

    /// <summary>Who asked to cancel the run; null when nobody did.</summary>
    public string? CancelledBy { get; private set; }

    /// <summary>The executor's name; null for an external run.</summary>
    public string? Executor { get; private set; }

    /// <summary>A terminal run's starting size; null for a run on pipes.</summary>
    public Execution.TerminalSize? Tty { get; private set; }

    /// <summary>The stages of a pipeline run as they are now; null for a run of one command.</summary>
    public IReadOnlyList<RunStage>? Stages
    {
        get { lock (_lock) return _stages?.ToArray(); }
    }

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

    public long StdoutBytes { get; private set; }

    public long StderrBytes { get; private set; }

    /// <summary>The process of a run this server executes.</summary>
    internal RunExecution Execution { get; } = new();

    public int SubscriberCount
    {
        get { lock (_lock) return _fanout.Count; }
    }

    /// <summary>The run's metadata as stored; null while nobody created the run.</summary>
    public RunRecord? Snapshot()
    {
        lock (_lock)
        {
            return Status is { } status
                ? new RunRecord(RunId, status, Command, WorkspaceId, CreatedAt, StartedAt, FinishedAt, ExitCode, Reason, IsExternal, LastSeq, StdoutBytes, StderrBytes, _log.Gap)
                {
                    Executor = Executor,
                    Stages = _stages?.ToArray(),
                    Tty = Tty,
                    CreatedBy = CreatedBy,
                    CancelledBy = CancelledBy,
                }
                : null;
        }
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
            if (_mirror)
            {
                throw new InvalidOperationException($"Run '{RunId}' is executed by another node: its events come from there");
            }
            e = create(LastSeq + 1);
            LastSeq = e.Seq;
            Persist(e);
            _fanout.Deliver(e);
            appended = _appended;
            _appended = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
        appended.TrySetResult();
        return e;
    }

    /// <summary>
    /// Appends a batch from an external executor, all or nothing, creating the run on first
    /// use. Nothing is appended unless the answer is <see cref="PublishOutcome.Accepted"/>.
    /// </summary>
    internal PublishOutcome Publish(IReadOnlyList<PublishedEvent> events, TimeProvider time, string? by = null)
    {
        lock (_lock)
        {
            if (_retired)
            {
                return PublishOutcome.Retired;
            }
            if (Exists && !IsExternal)
            {
                return PublishOutcome.ExecutedHere;
            }
            if (IsFinished)
            {
                return PublishOutcome.Finished;
            }
            if (!Exists)
            {
                if (events.Count == 0)
                {
                    return PublishOutcome.NothingToCreate;
                }
                if (_store.IsDeleted(RunId))
                {
                    return PublishOutcome.Deleted;
                }
                CreatedBy = by;
                CreateExternal(time.GetUtcNow(), startsWithOutput: events[0].Type != RunEventType.Status);
            }
            foreach (var published in events)
            {
                var now = time.GetUtcNow();
                Append(seq => published.Type == RunEventType.Status
                    ? RunEvent.ForStatus(RunId, seq, published.Status!.Value, now, published.Reason ?? DefaultReason(published.Status.Value), published.ExitCode)
                    : new RunEvent(RunId, seq, published.Type, published.Data, now));
            }
            return PublishOutcome.Accepted;
        }
    }

    /// <summary>
    /// An external run whose first published event is output is running from now on, without
    /// an implicit status event (docs/api.md section 3.6).
    /// </summary>
    private void CreateExternal(DateTimeOffset now, bool startsWithOutput)
    {
        IsExternal = true;
        CreatedAt = now;
        if (startsWithOutput)
        {
            Status = RunStatus.Running;
            StartedAt = now;
            _store.Enqueue(new SaveRunWrite(Snapshot()!));
        }
    }

    /// <summary>Records who asked for the cancel; stored with the run's next save (its cancelled status).</summary>
    internal void RecordCancelRequest(string by)
    {
        lock (_lock)
        {
            CancelledBy ??= by;
        }
    }

    private static string? DefaultReason(RunStatus status) => status switch
    {
        RunStatus.Failed => "Failed",
        RunStatus.Cancelled => "Cancelled",
        _ => null,
    };

    /// <summary>
    /// An awaited run that nobody created and nobody waits for any more is retired: true when
    /// it was, and then nothing can create it through this instance (a publisher asks again).
    /// </summary>
    internal bool TryRetire()
    {
        lock (_lock)
        {
            if (Exists || _fanout.Count > 0)
            {
                return false;
            }
            _retired = true;
            return true;
        }
    }

    /// <summary>Queues the event (and, on a status, the metadata) for the store and applies the retention cap.</summary>
    private void Persist(RunEvent e)
    {
        var (offset, streamOffset) = CountOutput(e);
        _flow.OnAppended(e.DataBytes);
        _store.Enqueue(new AppendEventWrite(e, offset, streamOffset, this) { Fence = Fence });
        if (_log.Append(e, offset) is { } dropped)
        {
            _store.Enqueue(new DropEventsWrite(RunId, dropped.From, dropped.To, _log.Gap) { Fence = Fence });
        }
        if (ApplyMetadata(e))
        {
            _store.Enqueue(new SaveRunWrite(Snapshot()!) { Fence = Fence });
        }
    }

    /// <summary>Adds the event's output to the counters; returns where its data starts in the output and in its stream.</summary>
    private (long Offset, long StreamOffset) CountOutput(RunEvent e)
    {
        var offset = StdoutBytes + StderrBytes;
        long streamOffset = 0;
        if (e.Type == RunEventType.Stdout)
        {
            streamOffset = StdoutBytes;
            StdoutBytes += e.DataBytes;
        }
        else if (e.Type == RunEventType.Stderr)
        {
            streamOffset = StderrBytes;
            StderrBytes += e.DataBytes;
        }
        return (offset, streamOffset);
    }

    /// <summary>Applies a status or stage event to the run's metadata; true when the metadata changed.</summary>
    private bool ApplyMetadata(RunEvent e)
    {
        if (e.Type == RunEventType.Status && e.Status is { } status)
        {
            ApplyStatus(e, status);
            return true;
        }
        if (e.Stage is { } stage && _stages is not null && (uint)stage.Index < (uint)_stages.Length)
        {
            ApplyStage(e, stage);
            return true;
        }
        return false;
    }

    private void ApplyStage(RunEvent e, StageMark mark)
    {
        var stage = _stages![mark.Index];
        _stages[mark.Index] = mark.Status switch
        {
            StageStatus.Running => stage with { Status = StageStatus.Running, StartedAt = e.Timestamp },
            _ => stage with { Status = mark.Status, EndedAt = e.Timestamp, ExitCode = mark.ExitCode },
        };
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

    void IPersistenceListener.OnPersisted(long seq)
    {
        long durable;
        lock (_lock)
        {
            durable = _log.OnPersisted(seq, IsFinished);
        }
        _flow.OnPersisted(durable);
    }

    /// <summary>
    /// Another node took this run over (its lease expired): this node must not go on executing
    /// it. Its writes are dropped by the store from now on; the new owner has already ended the
    /// run in the store (failed, "node lost"), so ending it here is only to stop the process.
    /// </summary>
    void IPersistenceListener.OnFenced(string runId) => Execution.RequestEnd(RunStatus.Failed, FencedReason, TimeSpan.Zero);

    /// <summary>The reason a run's local execution ends with when its lease was lost.</summary>
    internal const string FencedReason = "lease lost";

    /// <summary>Flow control for the output pump: see <see cref="StoreFlowControl"/>.</summary>
    internal ValueTask WaitForStoreAsync() => _flow.WaitAsync();

    /// <summary>Retained events after <paramref name="afterSeq"/> (a marker where output was dropped), from memory or the store.</summary>
    public ValueTask<List<RunEvent>> ReadEventsAsync(long afterSeq, int maxEvents = 1024, long maxBytes = 256 * 1024)
    {
        long gapToSeq, durableSeq;
        lock (_lock)
        {
            if (_log.TryRead(afterSeq, maxEvents, maxBytes) is { } fromMemory)
            {
                return ValueTask.FromResult(fromMemory);
            }
            (gapToSeq, durableSeq) = (_log.Gap.Exists ? _log.Gap.ToSeq : 0, _log.PersistedSeq);
        }
        // Older than the memory window: those events are durable, read them from the store.
        return new ValueTask<List<RunEvent>>(_storeReader.ReadAsync(afterSeq, maxEvents, maxBytes, gapToSeq, durableSeq));
    }

    /// <summary>Completes when an event after <paramref name="afterSeq"/> exists.</summary>
    public Task WaitForEventAsync(long afterSeq, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            return LastSeq > afterSeq ? Task.CompletedTask : _appended.Task.WaitAsync(cancellationToken);
        }
    }

    /// <summary>How often a live subscriber of this run fell back to catching up (<see cref="RunFanout.LiveFallbacks"/>).</summary>
    internal long LiveFallbacks
    {
        get { lock (_lock) return _fanout.LiveFallbacks; }
    }

    internal void AddSubscriber(IRunSubscriber subscriber)
    {
        lock (_lock)
        {
            _fanout.Add(subscriber);
        }
    }

    internal void RemoveSubscriber(IRunSubscriber subscriber)
    {
        lock (_lock)
        {
            _fanout.Remove(subscriber);
        }
    }

    /// <summary>
    /// Called by a catching-up subscriber: when it has every event so far it becomes live
    /// (null); otherwise it gets the next batch to send, from memory or from the store.
    /// </summary>
    internal ValueTask<List<RunEvent>?> NextBatchOrGoLiveAsync(IRunSubscriber subscriber)
    {
        long gapToSeq, durableSeq;
        lock (_lock)
        {
            if (subscriber.NextSeq > LastSeq)
            {
                _fanout.GoLive(subscriber);
                return ValueTask.FromResult<List<RunEvent>?>(null);
            }
            if (_log.TryRead(subscriber.NextSeq - 1, RunSubscription.CatchUpBatchEvents, RunSubscription.CatchUpBatchBytes) is { } fromMemory)
            {
                return ValueTask.FromResult<List<RunEvent>?>(fromMemory);
            }
            (gapToSeq, durableSeq) = (_log.Gap.Exists ? _log.Gap.ToSeq : 0, _log.PersistedSeq);
        }
        return AwaitStore(_storeReader.ReadAsync(subscriber.NextSeq - 1, RunSubscription.CatchUpBatchEvents, RunSubscription.CatchUpBatchBytes, gapToSeq, durableSeq));

        static async ValueTask<List<RunEvent>?> AwaitStore(Task<List<RunEvent>> read) => await read;
    }
}
