using RunsStream.Server.Runs.Storage;

namespace RunsStream.Server.Runs.Fleet;

/// <summary>A run this node claimed from the queue, and the lease's fencing token its writes carry (<see cref="StoreWrite.Fence"/>).</summary>
internal sealed record ClaimedRun(RunRecord Run, long Fence);

/// <summary>
/// The answer to a lease renewal: the runs whose lease was taken over (the node must
/// terminate them at once; their writes are fenced anyway), and the cancels asked of this node
/// through the store (runs.cancel_reason: the path that works while Redis is down).
/// </summary>
internal sealed record LeaseRenewal(IReadOnlyList<string> Lost, IReadOnlyDictionary<string, string> CancelRequested);
