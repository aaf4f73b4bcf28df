using RunsStream.Protocol.SocketIO;
using RunsStream.Server.Runs.Execution;
using RunsStream.Server.Runs.Storage;

namespace RunsStream.Server.Runs;

/// <summary>
/// One run: its metadata, its event log and its subscribers. Appending an event assigns the
/// next seq, retains it and hands it to the live subscribers under one lock, so a subscriber
/// switching from replay to live can neither miss nor repeat an event.
/// </summary>
public sealed class RunState : IPersistenceListener
{
    private readonly object _lock = new();
    private readonly IRunStore _store;
    private readonly RunLog _log;
    private readonly List<RunSubscription> _live = new();
    private readonly HashSet<RunSubscription> _subscribers = new();
    private TaskCompletionSource _appended = new(TaskCreationOptions.RunContinuationsAsynchronously);

    internal RunState(string runId, long logCapBytes, IRunStore store)
    {
        RunId = runId;
        _store = store;
        _log = new RunLog(runId, logCapBytes);
    }

    /// <summary>A run known only to the store (finished, or from an earlier process).</summary>
    internal RunState(RunRecord record, long logCapBytes, IRunStore store)
    {
        RunId = record.RunId;
        _store = store;
        _log = new RunLog(record.RunId, logCapBytes, record.Gap, record.LastSeq);
        Status = record.Status;
        Command = record.Command;
        WorkspaceId = record.WorkspaceId;
        CreatedAt = record.CreatedAt;
        StartedAt = record.StartedAt;
        FinishedAt = record.FinishedAt;
        ExitCode = record.ExitCode;
        Reason = record.Reason;
        IsExternal = record.External;
        LastSeq = record.LastSeq;
        StdoutBytes = record.StdoutBytes;
        StderrBytes = record.StderrBytes;
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

    public long StdoutBytes { get; private set; }

    public long StderrBytes { get; private set; }

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

    /// <summary>
    /// An external run whose first published event is output: it is running from now on,
    /// without an implicit status event (docs/api.md section 3.6).
    /// </summary>
    internal void MarkExternalRunning(DateTimeOffset now)
    {
        lock (_lock)
        {
            Status = RunStatus.Running;
            StartedAt = now;
            _store.Enqueue(new SaveRunWrite(Snapshot()!));
        }
    }

    /// <summary>The run's metadata as stored; null while nobody created the run.</summary>
    public RunRecord? Snapshot()
    {
        lock (_lock)
        {
            return Status is { } status
                ? new RunRecord(RunId, status, Command, WorkspaceId, CreatedAt, StartedAt, FinishedAt, ExitCode, Reason, IsExternal, LastSeq, StdoutBytes, StderrBytes, _log.Gap)
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
            e = create(LastSeq + 1);
            LastSeq = e.Seq;
            Persist(e);
            Deliver(e);
            appended = _appended;
            _appended = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
        appended.TrySetResult();
        return e;
    }

    /// <summary>Queues the event (and, on a status, the metadata) for the store and applies the retention cap.</summary>
    private void Persist(RunEvent e)
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
        _store.Enqueue(new AppendEventWrite(e, offset, streamOffset, this));
        if (_log.Append(e, offset) is { } dropped)
        {
            _store.Enqueue(new DropEventsWrite(RunId, dropped.From, dropped.To, _log.Gap));
        }
        if (e.Type == RunEventType.Status && e.Status is { } status)
        {
            ApplyStatus(e, status);
            _store.Enqueue(new SaveRunWrite(Snapshot()!));
        }
    }

    void IPersistenceListener.OnPersisted(long seq)
    {
        TaskCompletionSource? caughtUp = null;
        lock (_lock)
        {
            _log.OnPersisted(seq, IsFinished);
            if (_storeCaughtUp is { } waiter && _log.UnpersistedBytes <= MaxUnpersistedBytes / 2)
            {
                caughtUp = waiter;
                _storeCaughtUp = null;
            }
        }
        caughtUp?.TrySetResult();
    }

    /// <summary>Output a run may have waiting for the store before its pipes are paused.</summary>
    public const long MaxUnpersistedBytes = 32L * 1024 * 1024;

    private TaskCompletionSource? _storeCaughtUp;

    /// <summary>
    /// Flow control for the output pump: completes at once unless the store is far behind, or
    /// cannot write at all and this run has output it has not stored (then the run pauses at
    /// once rather than fill memory; the commit that stores that output releases it).
    /// </summary>
    internal ValueTask WaitForStoreAsync()
    {
        lock (_lock)
        {
            if (_log.UnpersistedBytes <= (_store.Health.IsWritable ? MaxUnpersistedBytes : 0))
            {
                return ValueTask.CompletedTask;
            }
            _storeCaughtUp ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            return new ValueTask(_storeCaughtUp.Task);
        }
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
        SocketIOEncodedPacket? root = null; // e.Encode("/") is cached on the event
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
            if (_log.TryRead(afterSeq, maxEvents, maxBytes) is { } fromMemory)
            {
                return fromMemory;
            }
        }
        // Older than the memory window: those events are durable, read them from the store.
        return ReadStoreAsync(afterSeq, maxEvents, maxBytes).GetAwaiter().GetResult();
    }

    /// <summary>Completes when an event after <paramref name="afterSeq"/> exists.</summary>
    public Task WaitForEventAsync(long afterSeq, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            return LastSeq > afterSeq ? Task.CompletedTask : _appended.Task.WaitAsync(cancellationToken);
        }
    }

    /// <summary>Store batches recently read for this run, shared by subscribers replaying together.</summary>
    private const int StoreBatchCacheSize = 16;

    /// <summary>
    /// Catch-up reads from the store in progress at once, across runs: as many as there are
    /// cores. More would only add connections, each with its own cache and buffers.
    /// </summary>
    private static readonly SemaphoreSlim StoreReadSlots = new(Environment.ProcessorCount);

    private Task<List<RunEvent>> ReadFromStoreAsync(long afterSeq, int maxEvents, long maxBytes) => Task.Run(async () =>
    {
        await StoreReadSlots.WaitAsync();
        try
        {
            return _store.ReadEvents(RunId, afterSeq, maxEvents, maxBytes);
        }
        finally
        {
            StoreReadSlots.Release();
        }
    });

    private readonly LinkedList<(long After, int MaxEvents, long MaxBytes, Task<List<RunEvent>> Batch)> _storeBatches = new();

    /// <summary>
    /// Reads durable events from the store, off the caller's thread. Subscribers that replay the
    /// same finished run at once (a late join of many) ask for the same batches: each batch is
    /// read once, by the first to ask, the others await that read, and the last few are kept, so
    /// they share one read and, through each event's cached encoding, one frame per event.
    /// </summary>
    private Task<List<RunEvent>> ReadStoreAsync(long afterSeq, int maxEvents, long maxBytes)
    {
        if (!IsFinished)
        {
            // A live run's stored log still changes (retention drops): read it fresh.
            return ReadFromStoreAsync(afterSeq, maxEvents, maxBytes);
        }
        Task<List<RunEvent>> batch;
        var created = false;
        lock (_storeBatches)
        {
            var node = _storeBatches.First;
            while (node is not null && (node.Value.After != afterSeq || node.Value.MaxEvents != maxEvents || node.Value.MaxBytes != maxBytes))
            {
                node = node.Next;
            }
            if (node is not null)
            {
                _storeBatches.Remove(node);
            }
            else
            {
                node = new((afterSeq, maxEvents, maxBytes, ReadFromStoreAsync(afterSeq, maxEvents, maxBytes)));
                created = true;
            }
            _storeBatches.AddFirst(node);
            if (_storeBatches.Count > StoreBatchCacheSize)
            {
                _storeBatches.RemoveLast();
            }
            batch = node.Value.Batch;
        }
        if (created)
        {
            _ = batch.ContinueWith(ForgetFailedRead, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
        return batch;
    }

    /// <summary>A failed read is not kept: the next subscriber to ask reads again.</summary>
    private void ForgetFailedRead(Task<List<RunEvent>> failed)
    {
        lock (_storeBatches)
        {
            for (var node = _storeBatches.First; node is not null; node = node.Next)
            {
                if (ReferenceEquals(node.Value.Batch, failed))
                {
                    _storeBatches.Remove(node);
                    return;
                }
            }
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
    /// (null); otherwise it gets the next batch to send, from memory or from the store.
    /// </summary>
    internal ValueTask<List<RunEvent>?> NextBatchOrGoLiveAsync(RunSubscription subscription)
    {
        lock (_lock)
        {
            if (subscription.NextSeq > LastSeq)
            {
                if (_subscribers.Contains(subscription) && !_live.Contains(subscription))
                {
                    _live.Add(subscription);
                }
                return ValueTask.FromResult<List<RunEvent>?>(null);
            }
            if (_log.TryRead(subscription.NextSeq - 1, 512, 256 * 1024) is { } fromMemory)
            {
                return ValueTask.FromResult<List<RunEvent>?>(fromMemory);
            }
        }
        return AwaitStore(ReadStoreAsync(subscription.NextSeq - 1, 512, 256 * 1024));

        static async ValueTask<List<RunEvent>?> AwaitStore(Task<List<RunEvent>> read) => await read;
    }
}
