using System.Security.Cryptography;
using System.Text;

namespace RunsStream.Server.Configuration;

/// <summary>
/// Fleet mode (issue 14, docs/fleet.md): many nodes sharing one PostgreSQL (the store and the
/// queue) and one Redis (live events, cancels, wake-ups). On when both REDIS_URL and
/// DATABASE_URL are set; <see cref="RunsStreamOptions.Fleet"/> is null otherwise.
/// </summary>
public sealed record FleetOptions
{
    /// <summary>Default of <see cref="Lease"/>, in seconds (LEASE_SECONDS).</summary>
    public const int DefaultLeaseSeconds = 10;

    /// <summary>Shortest lease: it must outlast a few renewals, which run every 2 s.</summary>
    public const int MinLeaseSeconds = 3;

    /// <summary>Longest lease: how long a dead node's runs may wait to be failed.</summary>
    public const int MaxLeaseSeconds = 3600;

    /// <summary>REDIS_URL as given: <c>redis://[user:password@]host[:port][/db]</c> (rediss:// for TLS) or a StackExchange.Redis configuration string.</summary>
    public required string RedisUrl { get; init; }

    /// <summary><see cref="RedisUrl"/> as a StackExchange.Redis configuration string.</summary>
    public required string RedisConfiguration { get; init; }

    /// <summary>DATABASE_URL as an Npgsql connection string (a <c>postgres://</c> URI is converted).</summary>
    public required string DatabaseConnectionString { get; init; }

    /// <summary>NODE_ID: this node's name in the fleet; stable across restarts, so that a node that comes back knows its runs. Default <c>&lt;hostname&gt;-&lt;port&gt;</c>.</summary>
    public required string NodeId { get; init; }

    /// <summary>NODE_URL: where other nodes reach this one (to forward a session's requests). Default <c>http://&lt;HOST&gt;:&lt;PORT&gt;</c>.</summary>
    public required string NodeUrl { get; init; }

    /// <summary>LEASE_SECONDS: how long a claimed run's lease lasts without renewal. Default 10 s.</summary>
    public TimeSpan Lease { get; init; } = TimeSpan.FromSeconds(DefaultLeaseSeconds);

    /// <summary>
    /// This node's tag in Engine.IO sids: the first 8 base64url characters of SHA-256 of
    /// <see cref="NodeId"/>, then a dot (base64url has none, so the tag ends unambiguously).
    /// </summary>
    public string SidTag => TagOf(NodeId);

    /// <summary>The sid tag of a node id (see <see cref="SidTag"/>).</summary>
    public static string TagOf(string nodeId) =>
        Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(nodeId)))[..8].Replace('+', '-').Replace('/', '_') + ".";

    /// <summary>Leaves the secrets out (a record prints every property otherwise, and options get logged).</summary>
    public override string ToString() => $"FleetOptions {{ NodeId = {NodeId}, NodeUrl = {NodeUrl}, Lease = {Lease} }}";
}
