using StackExchange.Redis;

namespace RunsStream.Server.Runs.Fleet;

/// <summary>
/// REDIS_URL as StackExchange.Redis takes it: <c>redis://[user:password@]host[:port][/db]</c>
/// (<c>rediss://</c> for TLS), or a StackExchange.Redis configuration string as it is.
/// </summary>
internal static class RedisUrl
{
    public const int DefaultPort = 6379;

    /// <summary>
    /// The configuration for <paramref name="value"/>, with AbortOnConnectFail off (a node starts
    /// and runs while Redis is down, and connects when it comes). Throws
    /// <see cref="FormatException"/> naming what is wrong.
    /// </summary>
    public static ConfigurationOptions Parse(string value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            throw new FormatException("REDIS_URL is empty.");
        }
        ConfigurationOptions options;
        if (value.StartsWith("redis://", StringComparison.OrdinalIgnoreCase) || value.StartsWith("rediss://", StringComparison.OrdinalIgnoreCase))
        {
            if (!Uri.TryCreate(value, UriKind.Absolute, out var uri) || string.IsNullOrEmpty(uri.Host))
            {
                throw new FormatException($"REDIS_URL \"{value}\" is not a redis://host:port URL.");
            }
            options = new ConfigurationOptions { Ssl = uri.Scheme.Equals("rediss", StringComparison.OrdinalIgnoreCase) };
            options.EndPoints.Add(uri.Host, uri.IsDefaultPort || uri.Port < 0 ? DefaultPort : uri.Port);
            if (uri.UserInfo.Length > 0)
            {
                var parts = uri.UserInfo.Split(':', 2);
                var user = Uri.UnescapeDataString(parts[0]);
                var password = parts.Length > 1 ? Uri.UnescapeDataString(parts[1]) : null;
                options.User = user.Length > 0 ? user : null;
                options.Password = password;
            }
            var path = uri.AbsolutePath.Trim('/');
            if (path.Length > 0)
            {
                options.DefaultDatabase = int.TryParse(path, out var db) && db >= 0
                    ? db
                    : throw new FormatException($"REDIS_URL \"{value}\": the path must be a database number.");
            }
        }
        else
        {
            try
            {
                options = ConfigurationOptions.Parse(value);
            }
            catch (ArgumentException e)
            {
                throw new FormatException($"REDIS_URL \"{value}\" is neither a redis:// URL nor a StackExchange.Redis configuration: {e.Message}", e);
            }
            if (options.EndPoints.Count == 0)
            {
                throw new FormatException($"REDIS_URL \"{value}\" names no host.");
            }
        }
        options.AbortOnConnectFail = false;
        // Back within a second or two of Redis returning, not the default's up to ten: until
        // then events reach other nodes only through their once-a-second check of the store.
        options.ReconnectRetryPolicy = new ExponentialRetry(250, 2000);
        return options;
    }
}
