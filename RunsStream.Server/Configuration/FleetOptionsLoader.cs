using System.Globalization;
using Npgsql;

namespace RunsStream.Server.Configuration;

/// <summary>
/// Reads the fleet's settings (REDIS_URL, DATABASE_URL, NODE_ID, NODE_URL, LEASE_SECONDS).
/// Each bad value is an <see cref="OptionsException"/> naming the setting; the URLs' passwords
/// never appear in a message.
/// </summary>
internal static class FleetOptionsLoader
{
    private const int MaxNodeIdLength = 200;

    /// <summary>The fleet's options, or null when neither REDIS_URL nor DATABASE_URL is set.</summary>
    /// <param name="host">HOST and <paramref name="port"/> PORT, for NODE_ID's and NODE_URL's defaults.</param>
    public static FleetOptions? Load(Func<string, string?> get, string host, int port)
    {
        var redis = get("REDIS_URL");
        var database = get("DATABASE_URL");
        if (redis is null && database is null)
        {
            return null;
        }
        if (redis is null || database is null)
        {
            var (missing, set) = redis is null ? ("REDIS_URL", "DATABASE_URL") : ("DATABASE_URL", "REDIS_URL");
            throw new OptionsException($"{set} is set but {missing} is not: fleet mode needs both (unset {set} for a single node).");
        }
        var nodeId = get("NODE_ID") ?? (port == 0
            ? throw new OptionsException("NODE_ID must be set in fleet mode when PORT is 0 (its default, <hostname>-<port>, would not be stable).")
            : $"{Environment.MachineName}-{port.ToString(CultureInfo.InvariantCulture)}");
        if (nodeId.Length > MaxNodeIdLength || nodeId.Any(c => char.IsWhiteSpace(c) || char.IsControl(c)))
        {
            throw new OptionsException($"NODE_ID must be at most {MaxNodeIdLength} characters without spaces; got \"{nodeId}\".");
        }
        return new FleetOptions
        {
            RedisUrl = redis,
            RedisConfiguration = RedisConfiguration(redis),
            DatabaseConnectionString = DatabaseConnectionString(database),
            NodeId = nodeId,
            NodeUrl = NodeUrl(get("NODE_URL"), host, port),
            Lease = TimeSpan.FromSeconds(OptionsLoader.ParseLong("LEASE_SECONDS", get("LEASE_SECONDS"),
                FleetOptions.DefaultLeaseSeconds, FleetOptions.MinLeaseSeconds, FleetOptions.MaxLeaseSeconds)),
        };
    }

    /// <summary>
    /// A <c>postgres://</c> or <c>postgresql://</c> URI (user, password, host, port, database,
    /// and the query's sslmode, connect_timeout, application_name) as an Npgsql connection
    /// string; anything else must be an Npgsql connection string already.
    /// </summary>
    internal static string DatabaseConnectionString(string value)
    {
        if (!value.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase) && !value.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase))
        {
            try
            {
                var given = new NpgsqlConnectionStringBuilder(value);
                return string.IsNullOrEmpty(given.Host)
                    ? throw new OptionsException("DATABASE_URL names no host: use postgres://user:password@host:port/database or an Npgsql connection string with Host=.")
                    : given.ConnectionString;
            }
            catch (ArgumentException ex)
            {
                throw new OptionsException($"DATABASE_URL is neither a postgres:// URL nor a valid Npgsql connection string ({ex.Message}).");
            }
        }
        if (!Uri.TryCreate(value, UriKind.Absolute, out var uri) || uri.Host.Length == 0)
        {
            throw new OptionsException("DATABASE_URL must look like postgres://user:password@host:port/database; it does not parse as a URL.");
        }
        var builder = new NpgsqlConnectionStringBuilder
        {
            Host = uri.Host.Trim('[', ']'),
            Port = uri.IsDefaultPort || uri.Port < 0 ? 5432 : uri.Port,
        };
        if (uri.UserInfo.Length > 0)
        {
            var colon = uri.UserInfo.IndexOf(':');
            builder.Username = Uri.UnescapeDataString(colon < 0 ? uri.UserInfo : uri.UserInfo[..colon]);
            if (colon >= 0)
            {
                builder.Password = Uri.UnescapeDataString(uri.UserInfo[(colon + 1)..]);
            }
        }
        var database = Uri.UnescapeDataString(uri.AbsolutePath.TrimStart('/'));
        if (database.Length > 0)
        {
            builder.Database = database;
        }
        foreach (var pair in uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var (key, text) = pair.IndexOf('=') is var eq and >= 0
                ? (Uri.UnescapeDataString(pair[..eq]), Uri.UnescapeDataString(pair[(eq + 1)..]))
                : (Uri.UnescapeDataString(pair), "");
            ApplyQuery(builder, key, text);
        }
        return builder.ConnectionString;
    }

    private static void ApplyQuery(NpgsqlConnectionStringBuilder builder, string key, string value)
    {
        switch (key.ToLowerInvariant())
        {
            case "sslmode":
                builder.SslMode = value.ToLowerInvariant() switch
                {
                    "disable" => SslMode.Disable,
                    "allow" => SslMode.Allow,
                    "prefer" => SslMode.Prefer,
                    "require" => SslMode.Require,
                    "verify-ca" => SslMode.VerifyCA,
                    "verify-full" => SslMode.VerifyFull,
                    _ => throw new OptionsException($"DATABASE_URL's sslmode must be disable, allow, prefer, require, verify-ca or verify-full; got \"{value}\"."),
                };
                break;
            case "connect_timeout":
                builder.Timeout = (int)OptionsLoader.ParseLong("DATABASE_URL's connect_timeout", value, 15, 1, 1024);
                break;
            case "application_name":
                builder.ApplicationName = value;
                break;
            default:
                throw new OptionsException($"DATABASE_URL has the query parameter \"{key}\", which is not supported (sslmode, connect_timeout, application_name are).");
        }
    }

    /// <summary>
    /// <c>redis://[user:password@]host[:port][/db]</c> (rediss:// with TLS) as a
    /// StackExchange.Redis configuration string; anything else is taken as one already.
    /// </summary>
    internal static string RedisConfiguration(string value)
    {
        var tls = value.StartsWith("rediss://", StringComparison.OrdinalIgnoreCase);
        if (!tls && !value.StartsWith("redis://", StringComparison.OrdinalIgnoreCase))
        {
            return value;
        }
        if (!Uri.TryCreate(value, UriKind.Absolute, out var uri) || uri.Host.Length == 0)
        {
            throw new OptionsException("REDIS_URL must look like redis://host:port; it does not parse as a URL.");
        }
        var parts = new List<string> { $"{uri.Host}:{(uri.Port > 0 ? uri.Port : 6379).ToString(CultureInfo.InvariantCulture)}" };
        if (uri.UserInfo.Length > 0)
        {
            var colon = uri.UserInfo.IndexOf(':');
            var user = Uri.UnescapeDataString(colon < 0 ? "" : uri.UserInfo[..colon]);
            var password = Uri.UnescapeDataString(colon < 0 ? uri.UserInfo : uri.UserInfo[(colon + 1)..]);
            if (user.Length > 0)
            {
                parts.Add("user=" + user);
            }
            parts.Add("password=" + password);
        }
        var db = uri.AbsolutePath.Trim('/');
        if (db.Length > 0)
        {
            parts.Add("defaultDatabase=" + OptionsLoader.ParseLong("REDIS_URL's database", db, 0, 0, 1 << 16).ToString(CultureInfo.InvariantCulture));
        }
        if (tls)
        {
            parts.Add("ssl=true");
        }
        // A node starts and runs while Redis is down (docs/fleet.md); it connects when Redis comes.
        parts.Add("abortConnect=false");
        return string.Join(',', parts);
    }

    private static string NodeUrl(string? value, string host, int port)
    {
        if (value is null)
        {
            // A wildcard address is where this node listens, not where others reach it.
            var reachable = host is "0.0.0.0" or "::" or "[::]" ? Environment.MachineName : host;
            return $"http://{(reachable.Contains(':') ? $"[{reachable}]" : reachable)}:{port.ToString(CultureInfo.InvariantCulture)}";
        }
        if (!Uri.TryCreate(value, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || uri.Host.Length == 0)
        {
            throw new OptionsException($"NODE_URL must be an http:// or https:// URL; got \"{value}\".");
        }
        return value.TrimEnd('/');
    }
}
