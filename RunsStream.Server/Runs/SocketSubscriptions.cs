namespace RunsStream.Server.Runs;

/// <summary>
/// One socket's subscriptions by run id. Almost every socket watches one run (the web
/// terminal, a CLI): that one is held in a field, and a dictionary is made only for a second,
/// so an idle subscribed connection does not carry an empty map. Thread-safe.
/// </summary>
internal sealed class SocketSubscriptions
{
    private RunSubscription? _single;
    private Dictionary<string, RunSubscription>? _more;
    private bool _closed;

    // Locked on itself: a lock object more per socket is what this type exists to save, and
    // no one else sees an instance (its socket's handlers hold it).
    private object Lock => this;

    /// <summary>
    /// Holds <paramref name="subscription"/> for its run, handing back in <paramref name="replaced"/>
    /// the one it replaces, if any. False once the socket has disconnected (<see cref="RemoveAll"/>):
    /// a subscribe that was still reading the store must not start then, nobody would stop it.
    /// </summary>
    public bool TryReplace(RunSubscription subscription, out RunSubscription? replaced)
    {
        lock (Lock)
        {
            replaced = _closed ? null : ReplaceLocked(subscription);
            return !_closed;
        }
    }

    private RunSubscription? ReplaceLocked(RunSubscription subscription)
    {
        var runId = subscription.Run.RunId;
        if (_more is null && (_single is null || _single.Run.RunId == runId))
        {
            var previous = _single;
            _single = subscription;
            return previous;
        }
        if (_more is null)
        {
            _more = new Dictionary<string, RunSubscription>(StringComparer.Ordinal) { [_single!.Run.RunId] = _single };
            _single = null;
        }
        _more.Remove(runId, out var replaced);
        _more[runId] = subscription;
        return replaced;
    }

    /// <summary>Lets go of the subscription to <paramref name="runId"/>; returns it, if there was one.</summary>
    public RunSubscription? Remove(string runId)
    {
        lock (Lock)
        {
            if (_single is { } single && single.Run.RunId == runId)
            {
                _single = null;
                return single;
            }
            return _more is not null && _more.Remove(runId, out var removed) ? removed : null;
        }
    }

    /// <summary>Lets go of every subscription (the socket disconnected) and takes none from then on; returns them.</summary>
    public RunSubscription[] RemoveAll()
    {
        lock (Lock)
        {
            RunSubscription[] all = _more is not null ? [.. _more.Values] : _single is { } single ? [single] : [];
            _single = null;
            _more = null;
            _closed = true;
            return all;
        }
    }
}
