using System.Text;

namespace RunsStream.Server.Runs.Storage;

/// <summary>
/// A store that keeps everything in process memory and nothing across restarts (STORE=memory):
/// for embedding, for throwaway servers, and to measure what the durable store costs.
/// </summary>
internal sealed class InMemoryRunStore : IRunStore
{
    private readonly object _lock = new();
    private readonly Dictionary<string, RunRecord> _runs = new(StringComparer.Ordinal);
    private readonly Dictionary<string, SortedList<long, StoredEvent>> _events = new(StringComparer.Ordinal);
    private readonly HashSet<string> _deleted = new(StringComparer.Ordinal);

    public void Enqueue(StoreWrite write)
    {
        lock (_lock)
        {
            switch (write)
            {
                case SaveRunWrite save:
                    var previous = _runs.GetValueOrDefault(save.Run.RunId);
                    _runs[save.Run.RunId] = previous is null ? save.Run : save.Run with { LastSeq = Math.Max(previous.LastSeq, save.Run.LastSeq) };
                    break;
                case AppendEventWrite append:
                    if (!_events.TryGetValue(append.Event.RunId, out var list))
                    {
                        _events[append.Event.RunId] = list = new SortedList<long, StoredEvent>();
                    }
                    list[append.Event.Seq] = new StoredEvent(append.Event, append.Offset, append.StreamOffset);
                    break;
                case DropEventsWrite drop:
                    if (_events.TryGetValue(drop.RunId, out var events))
                    {
                        for (var seq = drop.FromSeq; seq <= drop.ToSeq; seq++)
                        {
                            events.Remove(seq);
                        }
                    }
                    if (_runs.TryGetValue(drop.RunId, out var run))
                    {
                        _runs[drop.RunId] = run with { Gap = drop.Gap };
                    }
                    break;
            }
        }
        // Durable at once, but tell the owner outside its own append (as the real writer does).
        if (write is AppendEventWrite { Owner: { } owner } appended)
        {
            ThreadPool.UnsafeQueueUserWorkItem(static s => s.owner.OnPersisted(s.seq), (owner, seq: appended.Event.Seq), preferLocal: false);
        }
    }

    public Task FlushAsync(CancellationToken cancellationToken = default) => Task.CompletedTask;

    /// <summary>Memory never refuses a write.</summary>
    public StoreHealth Health => StoreHealth.Writable;

    public RunRecord? GetRun(string runId)
    {
        lock (_lock)
        {
            return _runs.GetValueOrDefault(runId);
        }
    }

    public IReadOnlyList<RunRecord> ListRuns(int limit, RunRecord? before, RunStatus? status, IReadOnlyCollection<string>? workspaces = null)
    {
        lock (_lock)
        {
            IEnumerable<RunRecord> runs = _runs.Values.OrderByDescending(r => r.CreatedAt).ThenByDescending(r => r.RunId, StringComparer.Ordinal);
            if (before is not null)
            {
                runs = runs.Where(r => r.CreatedAt < before.CreatedAt || (r.CreatedAt == before.CreatedAt && string.CompareOrdinal(r.RunId, before.RunId) < 0));
            }
            if (status is { } wanted)
            {
                runs = runs.Where(r => r.Status == wanted);
            }
            if (workspaces is not null)
            {
                runs = runs.Where(r => workspaces.Contains(r.WorkspaceId ?? Auth.RunsPrincipal.DefaultWorkspace));
            }
            return runs.Take(limit).ToList();
        }
    }

    public IReadOnlyList<RunRecord> ListUnfinished() => [];

    public List<RunEvent> ReadEvents(string runId, long afterSeq, int maxEvents, long maxBytes)
    {
        lock (_lock)
        {
            var result = new List<RunEvent>();
            var gap = _runs.GetValueOrDefault(runId)?.Gap ?? RetentionGap.None;
            if (!_events.TryGetValue(runId, out var events))
            {
                return result;
            }
            var markerPending = gap.Exists && afterSeq < gap.ToSeq;
            long bytes = 0;
            foreach (var (seq, stored) in events)
            {
                if (seq <= afterSeq || (gap.Exists && seq >= gap.FromSeq && seq <= gap.ToSeq))
                {
                    continue;
                }
                if (markerPending && seq > gap.ToSeq)
                {
                    result.Add(gap.Marker(runId));
                    markerPending = false;
                }
                result.Add(stored.Event);
                bytes += stored.Event.DataBytes;
                if (result.Count >= maxEvents || bytes >= maxBytes)
                {
                    return result;
                }
            }
            if (markerPending)
            {
                result.Add(gap.Marker(runId));
            }
            return result;
        }
    }

    public IEnumerable<OutputChunk> ReadOutput(string runId, RunEventType? stream, long from, long to)
    {
        List<StoredEvent> events;
        lock (_lock)
        {
            events = _events.TryGetValue(runId, out var list) ? list.Values.ToList() : [];
        }
        foreach (var stored in events)
        {
            var e = stored.Event;
            if (e.Type is RunEventType.Status or RunEventType.Stage || (stream is { } only && e.Type != only))
            {
                continue;
            }
            var offset = stream is null ? stored.Offset : stored.StreamOffset;
            if (offset < to && offset + Encoding.UTF8.GetByteCount(e.Data) > from)
            {
                yield return new OutputChunk(offset, e.Data);
            }
        }
    }

    public bool IsDeleted(string runId)
    {
        lock (_lock)
        {
            return _deleted.Contains(runId);
        }
    }

    public IReadOnlyList<string> DeleteFinishedBefore(DateTimeOffset cutoff)
    {
        lock (_lock)
        {
            var expired = _runs.Values.Where(r => r.CreatedAt < cutoff && r.Status.IsTerminal()).Select(r => r.RunId).ToList();
            foreach (var runId in expired)
            {
                _runs.Remove(runId);
                _events.Remove(runId);
                _deleted.Add(runId);
            }
            return expired;
        }
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private readonly record struct StoredEvent(RunEvent Event, long Offset, long StreamOffset);
}
