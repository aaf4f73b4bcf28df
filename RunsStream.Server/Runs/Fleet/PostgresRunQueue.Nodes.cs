using Npgsql;

namespace RunsStream.Server.Runs.Fleet;

/// <summary>The node table: who is in the fleet, its sid tag and the URL other nodes forward to.</summary>
internal sealed partial class PostgresRunQueue
{
    /// <summary>Records that <paramref name="nodeId"/> is alive now (PostgreSQL's clock), with its tag and URL.</summary>
    public async Task HeartbeatAsync(string nodeId, string tag, string url, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand("""
            INSERT INTO fleet_nodes(node_id, tag, url, started_at, heartbeat_at) VALUES($1, $2, $3, now(), now())
            ON CONFLICT(node_id) DO UPDATE SET tag = EXCLUDED.tag, url = EXCLUDED.url, heartbeat_at = now()
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = nodeId });
        command.Parameters.Add(new NpgsqlParameter { Value = tag });
        command.Parameters.Add(new NpgsqlParameter { Value = url });
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Tag to URL of the nodes whose last heartbeat is within <paramref name="maxAge"/>; when two
    /// live nodes share a tag (a collision of 48 bits, or a node id reused), the latest heartbeat wins.
    /// </summary>
    public async Task<IReadOnlyDictionary<string, string>> LiveNodesAsync(TimeSpan maxAge, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand(
            "SELECT tag, url FROM fleet_nodes WHERE heartbeat_at >= now() - $1 ORDER BY heartbeat_at");
        command.Parameters.Add(new NpgsqlParameter { Value = maxAge });
        var nodes = new Dictionary<string, string>(StringComparer.Ordinal);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            nodes[reader.GetString(0)] = reader.GetString(1);
        }
        return nodes;
    }
}
