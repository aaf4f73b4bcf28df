using System.Collections.Concurrent;
using RunsStream.Server.Runs.Storage;

namespace RunsStream.Tests.Server.Runs.Storage.Postgres;

/// <summary>An owner of writes that records what the store told it.</summary>
internal sealed class RecordingListener : IPersistenceListener
{
    public ConcurrentQueue<long> Persisted { get; } = new();

    public ConcurrentQueue<string> Fenced { get; } = new();

    public void OnPersisted(long seq) => Persisted.Enqueue(seq);

    public void OnFenced(string runId) => Fenced.Enqueue(runId);
}
