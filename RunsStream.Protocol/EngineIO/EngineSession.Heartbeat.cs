namespace RunsStream.Protocol.EngineIO;

/// <summary>
/// The v4 heartbeat (engine.io-protocol v4, "Heartbeat"): the server sends PING every
/// pingInterval and closes the session when no PONG arrives within pingTimeout.
/// </summary>
public sealed partial class EngineSession
{
    private ITimer? _pingTimer;
    private ITimer? _pingTimeoutTimer;

    private void SchedulePing()
    {
        lock (_lock)
        {
            if (_state != SessionState.Open)
            {
                return;
            }
            _pingTimer ??= _time.CreateTimer(static s => ((EngineSession)s!).OnPingDue(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            _pingTimer.Change(_options.PingInterval, Timeout.InfiniteTimeSpan);
        }
    }

    private void OnPingDue()
    {
        lock (_lock)
        {
            if (_state != SessionState.Open)
            {
                return;
            }
            _pingTimeoutTimer ??= _time.CreateTimer(static s => ((EngineSession)s!).OnPingTimeout(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            _pingTimeoutTimer.Change(_options.PingTimeout, Timeout.InfiniteTimeSpan);
        }
        Send(EngineFrame.Ping);
    }

    private void OnPingTimeout() => Abort("ping timeout");

    private void OnPong()
    {
        lock (_lock)
        {
            _pingTimeoutTimer?.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        }
        SchedulePing();
    }

    private void StopHeartbeat()
    {
        lock (_lock)
        {
            _pingTimer?.Dispose();
            _pingTimeoutTimer?.Dispose();
        }
    }
}
