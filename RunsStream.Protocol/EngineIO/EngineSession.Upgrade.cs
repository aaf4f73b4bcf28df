using RunsStream.Protocol.EngineIO.Parser;
using RunsStream.Protocol.EngineIO.Transports;

namespace RunsStream.Protocol.EngineIO;

/// <summary>
/// The upgrade from long-polling to WebSocket (engine.io-protocol v4, "Upgrade"): the client
/// probes the new transport with "2probe", the server answers "3probe" and releases the pending
/// poll with NOOP, the client sends "5" and the WebSocket takes over the outbound queue. Frames
/// stay in the one queue throughout, so nothing is lost or reordered.
/// </summary>
public sealed partial class EngineSession
{
    private WebSocketTransport? _probe;
    private bool _upgrading;
    private ITimer? _upgradeTimer;

    /// <summary>True while a probe is open or once upgraded: a further WebSocket is refused.</summary>
    internal bool HasWebSocket
    {
        get { lock (_lock) return _probe is not null || WebSocket is not null; }
    }

    internal bool TryBeginProbe(WebSocketTransport probe)
    {
        lock (_lock)
        {
            if (_state != SessionState.Open || _probe is not null || WebSocket is not null || !_options.AllowUpgrades)
            {
                return false;
            }
            _probe = probe;
            _upgradeTimer = _time.CreateTimer(static s => ((EngineSession)s!).OnUpgradeTimeout(), this, _options.UpgradeTimeout, Timeout.InfiniteTimeSpan);
            return true;
        }
    }

    private void OnProbePacket(WebSocketTransport probe, EnginePacket packet)
    {
        if (packet.Type == EnginePacketType.Ping && packet.IsProbe)
        {
            probe.SendControl(EngineFrame.ProbePong.WebSocketFrame);
            lock (_lock)
            {
                _upgrading = true;
            }
            Polling?.ReleaseForUpgrade();
            return;
        }
        if (packet.Type == EnginePacketType.Upgrade && _upgrading)
        {
            CompleteUpgrade(probe);
            return;
        }
        // Anything else on an unfinished probe is a protocol error of that transport only.
        probe.Close(WebSockets.WebSocketCloseCodes.ProtocolError, "invalid upgrade packet");
        StopUpgrade();
    }

    private void CompleteUpgrade(WebSocketTransport probe)
    {
        lock (_lock)
        {
            if (_state == SessionState.Closed || !ReferenceEquals(_probe, probe))
            {
                return;
            }
            _upgradeTimer?.Dispose();
            _upgradeTimer = null;
            _probe = null;
            _upgrading = false;
            WebSocket = probe;
        }
        Polling?.ReleaseForUpgrade();
        probe.Activate();
        Log.Upgraded(_logger, Id);
        if (_state == SessionState.Closing)
        {
            probe.CloseAfterDrain();
        }
    }

    /// <summary>True between "2probe" and "5": a poll is answered at once instead of held.</summary>
    internal bool IsUpgrading
    {
        get { lock (_lock) return _upgrading; }
    }

    private void OnUpgradeTimeout()
    {
        WebSocketTransport? probe;
        lock (_lock)
        {
            probe = _probe;
        }
        probe?.Close(WebSockets.WebSocketCloseCodes.PolicyViolation, "upgrade timeout");
        StopUpgrade();
    }

    private void StopUpgrade()
    {
        lock (_lock)
        {
            _upgradeTimer?.Dispose();
            _upgradeTimer = null;
            _probe = null;
            _upgrading = false;
        }
        if (WebSocket is null)
        {
            Polling?.CancelRelease();
        }
    }
}
