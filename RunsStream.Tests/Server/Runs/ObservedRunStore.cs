using RunsStream.Server.Runs;
using RunsStream.Server.Runs.Storage;

namespace RunsStream.Tests.Server.Runs;

/// <summary>
/// A real in-memory store whose event reads are counted and can be made to fail, as a failing
/// disk's would: for tests of what reads the store and when.
/// </summary>
internal sealed class ObservedRunStore(InMemoryRunStore inner) : IRunStore
{
    private int _reads;

    public int EventReads => Volatile.Read(ref _reads);

    /// <summary>Reads whose number is at most this fail with an IOException.</summary>
    public int FailFirstReads { get; init; }

    public List<RunEvent> ReadEvents(string runId, long afterSeq, int maxEvents, long maxBytes) =>
        Interlocked.Increment(ref _reads) <= FailFirstReads
            ? throw new IOException("disk read failed")
            : inner.ReadEvents(runId, afterSeq, maxEvents, maxBytes);

    public void Enqueue(StoreWrite write) => inner.Enqueue(write);

    public Task FlushAsync(CancellationToken cancellationToken = default) => inner.FlushAsync(cancellationToken);

    public StoreHealth Health => inner.Health;

    public RunRecord? GetRun(string runId) => inner.GetRun(runId);

    public IReadOnlyList<RunRecord> ListRuns(int limit, RunRecord? before, RunStatus? status, IReadOnlyCollection<string>? workspaces = null) => inner.ListRuns(limit, before, status, workspaces);

    public IReadOnlyList<RunRecord> ListUnfinished() => inner.ListUnfinished();

    public IEnumerable<OutputChunk> ReadOutput(string runId, RunEventType? stream, long from, long to) => inner.ReadOutput(runId, stream, from, to);

    public bool IsDeleted(string runId) => inner.IsDeleted(runId);

    public IReadOnlyList<string> DeleteFinishedBefore(DateTimeOffset cutoff) => inner.DeleteFinishedBefore(cutoff);

    public ValueTask DisposeAsync() => inner.DisposeAsync();
}
