using System.Globalization;
using System.Security.Cryptography;
using Microsoft.Extensions.Configuration;

namespace RunsStream.Server.Configuration;

/// <summary>
/// Builds <see cref="RunsStreamOptions"/> from configuration: environment variable names
/// (HOST, PORT, WS_AUTH_TOKEN, ...) at the root, or the same names under "RunsStream" in
/// appsettings.json. A bad value stops the start with a message naming the setting.
/// </summary>
public static class OptionsLoader
{
    /// <summary>The options <paramref name="configuration"/> sets, validated.</summary>
    /// <exception cref="OptionsException">A setting has a bad value; the message names it.</exception>
    public static RunsStreamOptions Load(IConfiguration configuration)
    {
        string? Get(string name) => Setting(configuration, name);

        var defaults = new RunsStreamOptions();
        var token = ReadToken(Get("WS_AUTH_TOKEN"), Get("WS_AUTH_TOKEN_FILE"));
        var dataDir = Get("DATA_DIR") ?? defaults.DataDirectory;
        var options = new RunsStreamOptions
        {
            Host = Get("HOST") ?? defaults.Host,
            Port = ParseInt("PORT", Get("PORT"), defaults.Port, 0, 65535),
            AuthToken = token ?? NewToken(),
            AuthTokenGenerated = token is null,
            CorsOrigins = (Get("CORS_ORIGINS") ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
            MaxConcurrentRuns = ParseInt("MAX_CONCURRENT_RUNS", Get("MAX_CONCURRENT_RUNS"), defaults.MaxConcurrentRuns, 1, 10_000),
            RunTimeout = ParseOptionalDuration("RUN_TIMEOUT", Get("RUN_TIMEOUT")),
            CancelGrace = ParseDuration("CANCEL_GRACE", Get("CANCEL_GRACE"), defaults.CancelGrace, allowZero: true),
            Store = (Get("STORE") ?? defaults.Store).ToLowerInvariant(),
            DataDirectory = dataDir,
            WorkspaceRoot = Get("WORKSPACE_ROOT") ?? Path.Combine(dataDir, "workspaces"),
            MaxBodyBytes = ParseLong("MAX_BODY_BYTES", Get("MAX_BODY_BYTES"), defaults.MaxBodyBytes, 1024, 1L << 31),
            MaxCommandLength = ParseInt("MAX_COMMAND_LENGTH", Get("MAX_COMMAND_LENGTH"), defaults.MaxCommandLength, 1, 1 << 24),
            RunRetention = Get("RUN_RETENTION") is { } retention ? ParseOptionalDuration("RUN_RETENTION", retention) : defaults.RunRetention,
            RunLogMaxBytes = ParseLong("RUN_LOG_MAX_BYTES", Get("RUN_LOG_MAX_BYTES"), defaults.RunLogMaxBytes, 1024, long.MaxValue),
            PingInterval = ParseDuration("PING_INTERVAL", Get("PING_INTERVAL"), defaults.PingInterval),
            PingTimeout = ParseDuration("PING_TIMEOUT", Get("PING_TIMEOUT"), defaults.PingTimeout),
            MaxBufferedBytes = ParseLong("MAX_BUFFERED_BYTES", Get("MAX_BUFFERED_BYTES"), defaults.MaxBufferedBytes, 1024 * 1024, long.MaxValue),
            AllowEIO3 = ParseBool("ALLOW_EIO3", Get("ALLOW_EIO3"), defaults.AllowEIO3),
            WebRoot = Get("WEB_ROOT"),
            RunAsUser = Get("RUN_AS_USER"),
            Sandbox = Runs.Execution.Sandbox.SandboxLimits.Load(configuration),
            Docker = LoadDocker(Get, dataDir),
            DockerRuns = Runs.Execution.Docker.DockerSettings.Load(configuration),
            Jwt = Auth.JwtOptions.Load(Get),
            TlsCertificate = Get("TLS_CERT"),
            TlsKey = Get("TLS_KEY"),
            TlsRedirectPort = Get("TLS_REDIRECT_PORT") is { } redirect ? ParseInt("TLS_REDIRECT_PORT", redirect, 0, 1, 65535) : null,
            Observability = Diagnostics.ObservabilityOptions.Load(configuration),
        };
        if ((options.TlsCertificate is null) != (options.TlsKey is null))
        {
            throw new OptionsException(options.TlsCertificate is null ? "TLS_KEY is set without TLS_CERT; set both or neither." : "TLS_CERT is set without TLS_KEY; set both or neither.");
        }
        if (options.TlsRedirectPort is not null && !options.Tls)
        {
            throw new OptionsException("TLS_REDIRECT_PORT needs TLS_CERT and TLS_KEY.");
        }
        options = options with { Fleet = FleetOptionsLoader.Load(Get, options.Host, options.Port) };
        if (options.Store is not ("sqlite" or "memory"))
        {
            throw new OptionsException($"STORE must be sqlite or memory; got \"{options.Store}\".");
        }
        if (options.AuthToken.Length < 8)
        {
            throw new OptionsException("WS_AUTH_TOKEN must be at least 8 characters.");
        }
        return options;
    }

    /// <summary>
    /// WS_AUTH_TOKEN, or the first line of the file WS_AUTH_TOKEN_FILE names (a secret mounted
    /// as a file stays out of the server's environment and of /proc); null when neither is set.
    /// </summary>
    private static string? ReadToken(string? token, string? file)
    {
        if (file is null)
        {
            return token;
        }
        if (token is not null)
        {
            throw new OptionsException("Set WS_AUTH_TOKEN or WS_AUTH_TOKEN_FILE, not both.");
        }
        try
        {
            var text = File.ReadLines(file).FirstOrDefault()?.Trim();
            return string.IsNullOrEmpty(text)
                ? throw new OptionsException($"WS_AUTH_TOKEN_FILE {file} is empty.")
                : text;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new OptionsException($"WS_AUTH_TOKEN_FILE {file} cannot be read: {ex.Message}");
        }
    }

    private static string NewToken() => Convert.ToHexString(RandomNumberGenerator.GetBytes(24)).ToLowerInvariant();

    private static int ParseInt(string name, string? value, int fallback, int min, int max) =>
        (int)ParseLong(name, value, fallback, min, max);

    private static Runs.Execution.Docker.DockerOptions LoadDocker(Func<string, string?> get, string dataDirectory)
    {
        try
        {
            return Runs.Execution.Docker.DockerOptions.FromEnvironment(get, Runs.Execution.Docker.ContainerLabels.OwnerOf(dataDirectory));
        }
        catch (ArgumentException ex)
        {
            throw new OptionsException(ex.Message);
        }
    }

    /// <summary>
    /// A setting's trimmed value: the environment name at the root of the configuration, else
    /// the same name under "RunsStream" (appsettings.json); null when neither is set or blank.
    /// </summary>
    internal static string? Setting(IConfiguration configuration, string name)
    {
        var value = configuration[name];
        if (string.IsNullOrWhiteSpace(value))
        {
            value = configuration.GetSection("RunsStream")[name];
        }
        return string.IsNullOrWhiteSpace(value) ? null : value.Trim();
    }

    /// <summary>"true"/"1"/"yes" or "false"/"0"/"no", any case; anything else is refused with the setting's name.</summary>
    internal static bool ParseBool(string name, string? value, bool fallback) => value?.ToLowerInvariant() switch
    {
        null => fallback,
        "true" or "1" or "yes" => true,
        "false" or "0" or "no" => false,
        _ => throw new OptionsException($"{name} must be true or false; got \"{value}\"."),
    };

    internal static long ParseLong(string name, string? value, long fallback, long min, long max)
    {
        if (value is null)
        {
            return fallback;
        }
        if (!long.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var parsed) || parsed < min || parsed > max)
        {
            throw new OptionsException($"{name} must be a whole number from {min} to {max}; got \"{value}\".");
        }
        return parsed;
    }

    private static TimeSpan? ParseOptionalDuration(string name, string? value)
    {
        if (value is null || value is "0" or "off" or "none")
        {
            return null;
        }
        return ParseDuration(name, value, TimeSpan.Zero);
    }

    /// <summary>Accepts "250ms", "5s", "2m", "1h", "30d" or a plain number of seconds.</summary>
    public static TimeSpan ParseDuration(string name, string? value, TimeSpan fallback, bool allowZero = false)
    {
        if (value is null)
        {
            return fallback;
        }
        var text = value.Trim().ToLowerInvariant();
        (string number, double scale) = text switch
        {
            _ when text.EndsWith("ms") => (text[..^2], 0.001),
            _ when text.EndsWith('s') => (text[..^1], 1),
            _ when text.EndsWith('m') => (text[..^1], 60),
            _ when text.EndsWith('h') => (text[..^1], 3600),
            _ when text.EndsWith('d') => (text[..^1], 86400),
            _ => (text, 1),
        };
        if (!double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out var amount) || amount < 0 || (amount == 0 && !allowZero)
            || double.IsInfinity(amount) || amount * scale > TimeSpan.MaxValue.TotalSeconds / 2)
        {
            throw new OptionsException($"{name} must be a duration such as 500ms, 5s, 2m or 1h; got \"{value}\".");
        }
        return TimeSpan.FromSeconds(amount * scale);
    }
}

/// <summary>A setting with a bad value; the message names it.</summary>
public sealed class OptionsException(string message) : Exception(message);
