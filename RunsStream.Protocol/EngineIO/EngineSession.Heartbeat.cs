namespace RunsStream.Protocol.EngineIO;

/// <summary>
/// The v4 heartbeat (engine.io-protocol v4, "Heartbeat"): the server sends PING every
/// pingInterval and closes the session when no PONG arrives within pingTimeout. One timer per
/// session serves both waits, created at the first ping. A v3 session's heartbeat runs the
/// other way (engine.io-protocol v3, "Heartbeat"): the client pings, the server answers PONG,
/// and closes the session when no ping came for pingInterval + pingTimeout.
/// </summary>
public sealed partial class EngineSession
{
    private ITimer? _heartbeatTimer;
    private bool _awaitingPong;
    private long _intervalStarted;

    private void SchedulePing()
    {
        lock (_lock)
        {
            if (_state != SessionState.Open)
            {
                return;
            }
            // A v3 session only ever waits for the client's ping: the timer's firing is the timeout.
            _awaitingPong = ProtocolVersion == 3;
            _intervalStarted = _time.GetTimestamp();
            _heartbeatTimer ??= _time.CreateTimer(static s => ((EngineSession)s!).OnHeartbeatTimer(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            _heartbeatTimer.Change(ProtocolVersion == 3 ? _options.PingInterval + _options.PingTimeout : _options.PingInterval, Timeout.InfiniteTimeSpan);
        }
    }

    /// <summary>Either the ping is due (send it, wait pingTimeout) or the pong is overdue.</summary>
    private void OnHeartbeatTimer()
    {
        bool pongOverdue;
        lock (_lock)
        {
            if (_state != SessionState.Open)
            {
                return;
            }
            pongOverdue = _awaitingPong;
            if (!pongOverdue)
            {
                _awaitingPong = true;
                _heartbeatTimer!.Change(_options.PingTimeout, Timeout.InfiniteTimeSpan);
            }
        }
        if (pongOverdue)
        {
            Abort("ping timeout");
        }
        else
        {
            Send(EngineFrame.Ping);
        }
    }

    /// <summary>
    /// A request for the session once pingInterval + pingTimeout have passed without a pong
    /// closes it as the timer would (the timer may run a little late): the answer then does not
    /// depend on which of the two comes first. True when the session is (now) closed.
    /// </summary>
    internal bool CloseIfPastPingTimeout()
    {
        lock (_lock)
        {
            if (_state != SessionState.Open || _heartbeatTimer is null
                || _time.GetElapsedTime(_intervalStarted) < _options.PingInterval + _options.PingTimeout)
            {
                return _state == SessionState.Closed;
            }
        }
        Abort("ping timeout");
        return true;
    }

    /// <summary>As the reference: any pong ends the wait and starts the next interval.</summary>
    private void OnPong() => SchedulePing();

    /// <summary>A v3 client's ping: answered with PONG, and the wait for the next one starts over.</summary>
    private void OnClientPing()
    {
        SchedulePing();
        Send(EngineFrame.Pong);
    }

    private void StopHeartbeat()
    {
        lock (_lock)
        {
            _heartbeatTimer?.Dispose();
        }
    }
}
