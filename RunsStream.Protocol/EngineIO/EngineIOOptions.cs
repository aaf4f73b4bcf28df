using Microsoft.AspNetCore.Http;

namespace RunsStream.Protocol.EngineIO;

/// <summary>
/// Options of the Engine.IO layer, named and defaulted as in the reference server
/// (engine.io ServerOptions). An immutable value: set with an object initializer or derived with
/// <c>with</c>. Each property refuses a bad value when it is set, with an
/// <see cref="ArgumentException"/> naming it, so an options value never holds one; the one rule
/// between two properties (<see cref="MaxBufferedBytes"/> at least <see cref="MaxPayload"/>) is
/// checked when the server is built, which reads the options once.
/// </summary>
public sealed record EngineIOOptions
{
    /// <summary>Default of <see cref="PingInterval"/> in milliseconds (the reference's 25 s).</summary>
    public const int DefaultPingIntervalMs = 25_000;

    /// <summary>Default of <see cref="PingTimeout"/> in milliseconds (the reference's 20 s).</summary>
    public const int DefaultPingTimeoutMs = 20_000;

    /// <summary>Default of <see cref="UpgradeTimeout"/> in milliseconds (the reference's 10 s).</summary>
    public const int DefaultUpgradeTimeoutMs = 10_000;

    /// <summary>Default of <see cref="MaxPayload"/> in bytes (the reference's maxHttpBufferSize, 1e6).</summary>
    public const int DefaultMaxPayload = 1_000_000;

    /// <summary>Default of <see cref="MaxBufferedBytes"/>: 16 MiB.</summary>
    public const long DefaultMaxBufferedBytes = 16L * 1024 * 1024;

    /// <summary>Default of <see cref="MaxPollingResponseBytes"/>: 1 MiB.</summary>
    public const int DefaultMaxPollingResponseBytes = 1024 * 1024;

    /// <summary>How often the server pings (handshake field pingInterval). Positive; default 25 s.</summary>
    public TimeSpan PingInterval { get; init => field = Positive(value); } = TimeSpan.FromMilliseconds(DefaultPingIntervalMs);

    /// <summary>How long a pong may take before the session is closed. Positive; default 20 s.</summary>
    public TimeSpan PingTimeout { get; init => field = Positive(value); } = TimeSpan.FromMilliseconds(DefaultPingTimeoutMs);

    /// <summary>How long an upgrade may take between the probe and the upgrade packet. Positive; default 10 s.</summary>
    public TimeSpan UpgradeTimeout { get; init => field = Positive(value); } = TimeSpan.FromMilliseconds(DefaultUpgradeTimeoutMs);

    /// <summary>
    /// Largest inbound message or polling POST body in bytes (reference: maxHttpBufferSize;
    /// handshake field maxPayload). Positive; default 1,000,000.
    /// </summary>
    public int MaxPayload { get; init => field = (int)Positive(value); } = DefaultMaxPayload;

    /// <summary>Whether a polling session may upgrade to WebSocket. Default true.</summary>
    public bool AllowUpgrades { get; init; } = true;

    /// <summary>
    /// Transports accepted: a non-empty subset of <see cref="TransportNames.Polling"/> and
    /// <see cref="TransportNames.WebSocket"/>. Default both. The list is copied when set.
    /// </summary>
    public IReadOnlyList<string> Transports { get; init => field = KnownTransports(value); } = [TransportNames.Polling, TransportNames.WebSocket];

    /// <summary>
    /// Outbound bytes a session may hold for its client. A client that falls further behind is
    /// disconnected (slow-consumer policy) instead of growing the server's memory. At least
    /// <see cref="MaxPayload"/>; default 16 MiB.
    /// </summary>
    public long MaxBufferedBytes { get; init => field = Positive(value); } = DefaultMaxBufferedBytes;

    /// <summary>The most a single long-polling response carries; the client polls again at once. Positive; default 1 MiB.</summary>
    public int MaxPollingResponseBytes { get; init => field = (int)Positive(value); } = DefaultMaxPollingResponseBytes;

    /// <summary>
    /// Whether Engine.IO v3 clients (socket.io-client 2.x: <c>EIO=3</c>, Socket.IO protocol v4)
    /// may connect, as the reference's <c>allowEIO3</c>. Default false: their handshake is
    /// refused with "Unsupported protocol version" (code 5).
    /// </summary>
    public bool AllowEIO3 { get; init; }

    /// <summary>CORS for the polling transport; null (the default) sends no CORS headers (same origin only).</summary>
    public CorsPolicy? Cors { get; init; }

    /// <summary>Optional gate run before a handshake; returning false answers 403 Forbidden (code 4). Default none.</summary>
    public Func<HttpContext, ValueTask<bool>>? AllowRequest { get; init; }

    /// <summary>Longest <see cref="SidPrefix"/>: 16 characters.</summary>
    public const int MaxSidPrefixLength = 16;

    /// <summary>
    /// Text put before every new session id (default empty). A fleet gives each node its own
    /// prefix so that any node can tell from a sid which node holds the session and forward the
    /// request there, with no sticky sessions in the load balancer. At most
    /// <see cref="MaxSidPrefixLength"/> characters of the base64url alphabet (A-Z, a-z, 0-9,
    /// <c>-</c>, <c>_</c>) and <c>.</c>: characters that need no escaping in a query string
    /// and that cannot be confused with the random part, which never contains a <c>.</c>.
    /// </summary>
    public string SidPrefix { get; init => field = ValidSidPrefix(value); } = "";

    /// <summary>The rules between properties; each property checked its own value when it was set.</summary>
    internal void Validate()
    {
        if (MaxBufferedBytes < MaxPayload)
        {
            throw new ArgumentException(
                $"EngineIOOptions.MaxBufferedBytes ({MaxBufferedBytes}) must be at least MaxPayload ({MaxPayload}): a session must be able to hold one message.",
                nameof(MaxBufferedBytes));
        }
    }

    private static TimeSpan Positive(TimeSpan value, [System.Runtime.CompilerServices.CallerMemberName] string option = "") =>
        value > TimeSpan.Zero ? value : throw new ArgumentOutOfRangeException(option, value, $"EngineIOOptions.{option} must be positive.");

    private static long Positive(long value, [System.Runtime.CompilerServices.CallerMemberName] string option = "") =>
        value > 0 ? value : throw new ArgumentOutOfRangeException(option, value, $"EngineIOOptions.{option} must be positive.");

    private static string ValidSidPrefix(string value)
    {
        if (value is null || value.Length > MaxSidPrefixLength || !value.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
        {
            throw new ArgumentException(
                $"EngineIOOptions.SidPrefix must be at most {MaxSidPrefixLength} characters of A-Z, a-z, 0-9, '-', '_' and '.'.", nameof(SidPrefix));
        }
        return value;
    }

    private static string[] KnownTransports(IReadOnlyList<string> value)
    {
        ArgumentNullException.ThrowIfNull(value, nameof(Transports));
        if (value.Count == 0 || value.Any(t => t is not (TransportNames.Polling or TransportNames.WebSocket)))
        {
            throw new ArgumentException(
                "EngineIOOptions.Transports must be a non-empty subset of \"polling\" and \"websocket\".", nameof(Transports));
        }
        return [.. value.Distinct()];
    }
}

/// <summary>The transport names of the Engine.IO protocol, as they appear in the <c>transport</c> query parameter.</summary>
public static class TransportNames
{
    /// <summary>HTTP long-polling.</summary>
    public const string Polling = "polling";

    /// <summary>WebSocket.</summary>
    public const string WebSocket = "websocket";
}
