using RunsStream.Server.Runs;
using RunsStream.Server.Runs.Storage;

namespace RunsStream.Tests.Server.Runs;

/// <summary>
/// A fleet node's real store as its runs domain sees it, except that a synchronous run lookup
/// (GetRun, IsDeleted), which would hold a request thread while PostgreSQL answers, is counted
/// and fails. The async lookup of one run can be held, for tests of what waits on it.
/// </summary>
internal sealed class AsyncOnlyRunStore(IRunStore inner) : IRunStore
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, TaskCompletionSource> _held = new(StringComparer.Ordinal);
    private readonly Dictionary<string, TaskCompletionSource> _reached = new(StringComparer.Ordinal);
    private int _syncLookups;

    /// <summary>How many synchronous lookups were attempted (each one failed).</summary>
    public int SyncLookups => Volatile.Read(ref _syncLookups);

    /// <summary>
    /// Holds the next GetRunAsync of <paramref name="runId"/> until the returned gate is set;
    /// <paramref name="reached"/> completes once that lookup is waiting.
    /// </summary>
    public TaskCompletionSource HoldNextLookup(string runId, out Task reached)
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var arrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_lock)
        {
            _held[runId] = gate;
            _reached[runId] = arrived;
        }
        reached = arrived.Task;
        return gate;
    }

    public RunRecord? GetRun(string runId) => throw SyncLookup(nameof(GetRun), runId);

    public bool IsDeleted(string runId) => throw SyncLookup(nameof(IsDeleted), runId);

    private InvalidOperationException SyncLookup(string method, string runId)
    {
        Interlocked.Increment(ref _syncLookups);
        return new InvalidOperationException($"{method}({runId}) blocks a thread on the fleet's store; use its async version");
    }

    public async Task<RunRecord?> GetRunAsync(string runId, CancellationToken cancellationToken = default)
    {
        TaskCompletionSource? gate;
        lock (_lock)
        {
            if (_held.Remove(runId, out gate))
            {
                _reached.Remove(runId, out var arrived);
                arrived!.SetResult();
            }
        }
        if (gate is not null)
        {
            await gate.Task.WaitAsync(cancellationToken);
        }
        return await inner.GetRunAsync(runId, cancellationToken);
    }

    public Task<bool> IsDeletedAsync(string runId, CancellationToken cancellationToken = default) => inner.IsDeletedAsync(runId, cancellationToken);

    public void Enqueue(StoreWrite write) => inner.Enqueue(write);

    public Task FlushAsync(CancellationToken cancellationToken = default) => inner.FlushAsync(cancellationToken);

    public StoreHealth Health => inner.Health;

    public IReadOnlyList<RunRecord> ListRuns(int limit, RunRecord? before, RunStatus? status, IReadOnlyCollection<string>? workspaces = null) => inner.ListRuns(limit, before, status, workspaces);

    public Task<IReadOnlyList<RunRecord>> ListRunsAsync(int limit, RunRecord? before, RunStatus? status, IReadOnlyCollection<string>? workspaces = null, CancellationToken cancellationToken = default) =>
        inner.ListRunsAsync(limit, before, status, workspaces, cancellationToken);

    public IReadOnlyList<RunRecord> ListUnfinished() => inner.ListUnfinished();

    public Task<IReadOnlyList<RunRecord>> ListUnfinishedAsync(CancellationToken cancellationToken = default) => inner.ListUnfinishedAsync(cancellationToken);

    public List<RunEvent> ReadEvents(string runId, long afterSeq, int maxEvents, long maxBytes) => inner.ReadEvents(runId, afterSeq, maxEvents, maxBytes);

    public Task<List<RunEvent>> ReadEventsAsync(string runId, long afterSeq, int maxEvents, long maxBytes, CancellationToken cancellationToken = default) =>
        inner.ReadEventsAsync(runId, afterSeq, maxEvents, maxBytes, cancellationToken);

    public IEnumerable<OutputChunk> ReadOutput(string runId, RunEventType? stream, long from, long to) => inner.ReadOutput(runId, stream, from, to);

    public IAsyncEnumerable<OutputChunk> ReadOutputAsync(string runId, RunEventType? stream, long from, long to, CancellationToken cancellationToken = default) =>
        inner.ReadOutputAsync(runId, stream, from, to, cancellationToken);

    public IReadOnlyList<string> DeleteFinishedBefore(DateTimeOffset cutoff) => inner.DeleteFinishedBefore(cutoff);

    // The node's store is the app's, disposed with the app.
    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
