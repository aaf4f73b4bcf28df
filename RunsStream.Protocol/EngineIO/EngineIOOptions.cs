namespace RunsStream.Protocol.EngineIO;

/// <summary>
/// Options of the Engine.IO layer, named and defaulted as in the reference server
/// (engine.io ServerOptions). Read once when the server is built; <see cref="Validate"/> runs then.
/// </summary>
public sealed class EngineIOOptions
{
    public const int DefaultPingIntervalMs = 25_000;
    public const int DefaultPingTimeoutMs = 20_000;
    public const int DefaultUpgradeTimeoutMs = 10_000;
    public const int DefaultMaxPayload = 1_000_000;
    public const long DefaultMaxBufferedBytes = 16L * 1024 * 1024;
    public const int DefaultMaxPollingResponseBytes = 1024 * 1024;

    /// <summary>How often the server pings (handshake field pingInterval). Default 25 s.</summary>
    public TimeSpan PingInterval { get; set; } = TimeSpan.FromMilliseconds(DefaultPingIntervalMs);

    /// <summary>How long a pong may take before the session is closed. Default 20 s.</summary>
    public TimeSpan PingTimeout { get; set; } = TimeSpan.FromMilliseconds(DefaultPingTimeoutMs);

    /// <summary>How long an upgrade may take between the probe and the upgrade packet. Default 10 s.</summary>
    public TimeSpan UpgradeTimeout { get; set; } = TimeSpan.FromMilliseconds(DefaultUpgradeTimeoutMs);

    /// <summary>
    /// Largest inbound message or polling POST body in bytes (reference: maxHttpBufferSize;
    /// handshake field maxPayload). Default 1,000,000.
    /// </summary>
    public int MaxPayload { get; set; } = DefaultMaxPayload;

    /// <summary>Whether a polling session may upgrade to WebSocket. Default true.</summary>
    public bool AllowUpgrades { get; set; } = true;

    /// <summary>Transports accepted, "polling" and/or "websocket". Default both.</summary>
    public IList<string> Transports { get; set; } = new List<string> { TransportNames.Polling, TransportNames.WebSocket };

    /// <summary>
    /// Outbound bytes a session may hold for its client. A client that falls further behind is
    /// disconnected (slow-consumer policy) instead of growing the server's memory. Default 16 MiB.
    /// </summary>
    public long MaxBufferedBytes { get; set; } = DefaultMaxBufferedBytes;

    /// <summary>The most a single long-polling response carries; the client polls again at once. Default 1 MiB.</summary>
    public int MaxPollingResponseBytes { get; set; } = DefaultMaxPollingResponseBytes;

    /// <summary>CORS for the polling transport; null sends no CORS headers (same origin only).</summary>
    public CorsPolicy? Cors { get; set; }

    /// <summary>Optional gate run before a handshake; returning false answers 403 Forbidden (code 4).</summary>
    public Func<Microsoft.AspNetCore.Http.HttpContext, ValueTask<bool>>? AllowRequest { get; set; }

    public void Validate()
    {
        if (PingInterval <= TimeSpan.Zero) throw new ArgumentException("PingInterval must be positive.");
        if (PingTimeout <= TimeSpan.Zero) throw new ArgumentException("PingTimeout must be positive.");
        if (UpgradeTimeout <= TimeSpan.Zero) throw new ArgumentException("UpgradeTimeout must be positive.");
        if (MaxPayload <= 0) throw new ArgumentException("MaxPayload must be positive.");
        if (MaxBufferedBytes < MaxPayload) throw new ArgumentException("MaxBufferedBytes must be at least MaxPayload.");
        if (MaxPollingResponseBytes <= 0) throw new ArgumentException("MaxPollingResponseBytes must be positive.");
        if (Transports.Count == 0 || Transports.Any(t => t is not (TransportNames.Polling or TransportNames.WebSocket)))
        {
            throw new ArgumentException("Transports must be a non-empty subset of \"polling\" and \"websocket\".");
        }
    }
}

public static class TransportNames
{
    public const string Polling = "polling";
    public const string WebSocket = "websocket";
}
