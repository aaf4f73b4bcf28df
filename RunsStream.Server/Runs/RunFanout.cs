namespace RunsStream.Server.Runs;

/// <summary>
/// Live fan-out of one run: its subscribers, and which of them are live (handed each event as
/// it is appended) rather than catching up from the log. Not thread-safe: <see cref="RunState"/>
/// calls it under the lock that also orders its appends, so that a subscriber going live and
/// the next append cannot cross (it neither misses nor repeats an event).
/// </summary>
internal sealed class RunFanout
{
    private readonly HashSet<IRunSubscriber> _subscribers = new();
    private readonly List<IRunSubscriber> _live = new();

    /// <summary>Subscribers, live or catching up.</summary>
    public int Count => _subscribers.Count;

    public int LiveCount => _live.Count;

    /// <summary>
    /// How many times a live subscriber did not take an event and went back to catching up
    /// (it fell behind, or was stopping just before its removal). A subscriber that keeps up
    /// never counts: a count that grows during a fan-out it could keep up with means
    /// subscribers are re-reading the log, the costly path.
    /// </summary>
    public long LiveFallbacks { get; private set; }

    public void Add(IRunSubscriber subscriber) => _subscribers.Add(subscriber);

    public void Remove(IRunSubscriber subscriber)
    {
        _subscribers.Remove(subscriber);
        _live.Remove(subscriber);
    }

    /// <summary>A caught-up subscriber is handed events from now on; one that left stays out.</summary>
    public void GoLive(IRunSubscriber subscriber)
    {
        if (_subscribers.Contains(subscriber) && !_live.Contains(subscriber))
        {
            _live.Add(subscriber);
        }
    }

    public bool IsLive(IRunSubscriber subscriber) => _live.Contains(subscriber);

    /// <summary>
    /// Hands the event to every live subscriber. One that does not take it leaves the live
    /// list: it catches up from the log at its own pace, so it never slows the others.
    /// </summary>
    public void Deliver(RunEvent e)
    {
        for (var i = _live.Count - 1; i >= 0; i--)
        {
            if (!_live[i].TryDeliverLive(e))
            {
                _live.RemoveAt(i);
                LiveFallbacks++;
            }
        }
    }
}
