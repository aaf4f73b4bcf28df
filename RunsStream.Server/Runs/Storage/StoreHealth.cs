namespace RunsStream.Server.Runs.Storage;

/// <summary>
/// Whether the store can write now. While it cannot (a full disk, a failing device), its
/// writes are kept and retried, runs pause their output (flow control, see
/// <see cref="RunState.WaitForStoreAsync"/>) and /healthz reports "degraded" with
/// <see cref="Reason"/>.
/// </summary>
/// <param name="IsWritable">False from a failed commit until the next one succeeds.</param>
/// <param name="Reason">Why the last commit failed; null while writable.</param>
/// <param name="Since">When the first of the failures in a row happened.</param>
/// <param name="FailedAttempts">Commits that failed in a row.</param>
internal sealed record StoreHealth(bool IsWritable, string? Reason, DateTimeOffset? Since, int FailedAttempts)
{
    public static readonly StoreHealth Writable = new(true, null, null, 0);
}

/// <summary>
/// A flush could not complete because the store cannot write. While <see cref="Retrying"/>
/// the writes stay queued and are retried, and a later flush completes once they are durable;
/// otherwise the store's writer stopped and nothing will be written any more.
/// </summary>
internal sealed class StoreUnavailableException(string message, bool retrying, Exception? inner = null) : Exception(message, inner)
{
    public bool Retrying { get; } = retrying;
}
