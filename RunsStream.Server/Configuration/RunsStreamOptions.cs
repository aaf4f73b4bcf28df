namespace RunsStream.Server.Configuration;

/// <summary>
/// Every setting of the server, with its default. Read once at start from appsettings.json
/// (section "RunsStream") and environment variables (which win), then validated.
/// </summary>
/// <remarks>Immutable: build one with <see cref="OptionsLoader.Load"/>, or <c>new()</c> and <c>with</c>.</remarks>
public sealed record RunsStreamOptions
{
    /// <summary>Default of <see cref="Host"/>: loopback only.</summary>
    public const string DefaultHost = "127.0.0.1";
    /// <summary>Default of <see cref="Port"/>.</summary>
    public const int DefaultPort = 4000;
    /// <summary>Default of <see cref="MaxBodyBytes"/>: 1 MiB.</summary>
    public const long DefaultMaxBodyBytes = 1024 * 1024;
    /// <summary>Default of <see cref="MaxCommandLength"/>.</summary>
    public const int DefaultMaxCommandLength = 64 * 1024;
    /// <summary>Default of <see cref="RunLogMaxBytes"/>: 100 MB.</summary>
    public const long DefaultRunLogMaxBytes = 100L * 1024 * 1024;
    /// <summary>Default of <see cref="CancelGrace"/>, in seconds.</summary>
    public const double DefaultCancelGraceSeconds = 5;

    /// <summary>HOST: the address to listen on. Default 127.0.0.1.</summary>
    public string Host { get; init; } = DefaultHost;

    /// <summary>PORT. Default 4000; 0 picks a free port.</summary>
    public int Port { get; init; } = DefaultPort;

    /// <summary>WS_AUTH_TOKEN: required by every socket and REST call. Generated when unset.</summary>
    public string AuthToken { get; init; } = "";

    /// <summary>True when the token was generated at start (it is then printed).</summary>
    public bool AuthTokenGenerated { get; init; }

    /// <summary>CORS_ORIGINS: comma-separated allowed origins, "*" for any; empty sends no CORS headers.</summary>
    public IReadOnlyList<string> CorsOrigins { get; init; } = [];

    /// <summary>MAX_CONCURRENT_RUNS: processes running at once; more wait FIFO as queued. Default the processor count.</summary>
    public int MaxConcurrentRuns { get; init; } = Environment.ProcessorCount;

    /// <summary>RUN_TIMEOUT: longest a run may take, then it fails "timed out". Default off.</summary>
    public TimeSpan? RunTimeout { get; init; }

    /// <summary>CANCEL_GRACE: between SIGTERM and SIGKILL on cancel. Default 5 s.</summary>
    public TimeSpan CancelGrace { get; init; } = TimeSpan.FromSeconds(DefaultCancelGraceSeconds);

    /// <summary>STORE: "sqlite" (durable, in DATA_DIR; the default) or "memory" (nothing survives a restart).</summary>
    public string Store { get; init; } = "sqlite";

    /// <summary>DATA_DIR: where the server keeps its data. Default ./data.</summary>
    public string DataDirectory { get; init; } = "data";

    /// <summary>WORKSPACE_ROOT: runs execute in WORKSPACE_ROOT/&lt;workspaceId&gt;. Default DATA_DIR/workspaces.</summary>
    public string WorkspaceRoot { get; init; } = Path.Combine("data", "workspaces");

    /// <summary>MAX_BODY_BYTES: larger request bodies get 413. Default 1 MiB.</summary>
    public long MaxBodyBytes { get; init; } = DefaultMaxBodyBytes;

    /// <summary>MAX_COMMAND_LENGTH: longest accepted command, in characters. Default 65536.</summary>
    public int MaxCommandLength { get; init; } = DefaultMaxCommandLength;

    /// <summary>RUN_LOG_MAX_BYTES: output retained per run for replay and /log; past it the middle is dropped. Default 100 MB.</summary>
    public long RunLogMaxBytes { get; init; } = DefaultRunLogMaxBytes;

    /// <summary>RUN_RETENTION: finished runs older than this are deleted (then 410 Gone); null keeps them. Default 30 days.</summary>
    public TimeSpan? RunRetention { get; init; } = TimeSpan.FromDays(30);

    /// <summary>Socket.IO ping interval (PING_INTERVAL). Default 25 s, as the reference server.</summary>
    public TimeSpan PingInterval { get; init; } = TimeSpan.FromSeconds(25);

    /// <summary>Socket.IO ping timeout (PING_TIMEOUT). Default 20 s.</summary>
    public TimeSpan PingTimeout { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>Outbound bytes one connection may hold (MAX_BUFFERED_BYTES). Default 16 MiB.</summary>
    public long MaxBufferedBytes { get; init; } = 16L * 1024 * 1024;

    /// <summary>
    /// ALLOW_EIO3: also serve socket.io-client 2.x (Engine.IO v3, Socket.IO protocol v4), as
    /// the reference's allowEIO3. Default false: their handshake is refused (code 5).
    /// </summary>
    public bool AllowEIO3 { get; init; }

    /// <summary>
    /// RUN_AS_USER: the account runs execute as when the server runs as root (default
    /// <c>nobody</c>; <c>root</c> keeps them root). A server that is not root runs them as itself.
    /// </summary>
    public string? RunAsUser { get; init; }

    /// <summary>Directory of the built web page (WEB_ROOT). Default wwwroot beside the server.</summary>
    public string? WebRoot { get; init; }

    /// <summary>SANDBOX_MEMORY_BYTES, SANDBOX_PIDS, SANDBOX_CPU_SECONDS, SANDBOX_FILE_BYTES: what a run of the "sandbox" executor may use.</summary>
    internal Runs.Execution.Sandbox.SandboxLimits Sandbox { get; init; } = Runs.Execution.Sandbox.SandboxLimits.Default;

    /// <summary>DOCKER_HOST and DOCKER_IMAGE: the engine and image of the "docker" executor; null: the engine's usual socket, no default image.</summary>
    internal Runs.Execution.Docker.DockerOptions? Docker { get; init; }

    /// <summary>DOCKER_MEMORY_BYTES, DOCKER_CPUS, DOCKER_PIDS, DOCKER_NETWORK: what a run of the "docker" executor gets.</summary>
    internal Runs.Execution.Docker.DockerSettings DockerRuns { get; init; } = Runs.Execution.Docker.DockerSettings.Default;

    /// <summary>
    /// Sid routing of a fleet node (issue 14): its sids carry its tag and requests for other
    /// nodes' sessions are forwarded to them. Null (the default): a single node, plain sids.
    /// </summary>
    public Fleet.Routing.SessionRouting? Routing { get; init; }

    /// <summary>
    /// AUTH_JWT_SECRET, AUTH_JWT_PUBLIC_KEY or AUTH_JWKS, with AUTH_JWT_ISSUER, AUTH_JWT_AUDIENCE and
    /// AUTH_CLOCK_SKEW: signed tokens scoped to workspaces (issue 15); null: only WS_AUTH_TOKEN.
    /// </summary>
    internal Auth.JwtOptions? Jwt { get; init; }

    /// <summary>TLS_CERT: a PEM certificate (chain) file; with <see cref="TlsKey"/> the server speaks HTTPS and WSS only.</summary>
    public string? TlsCertificate { get; init; }

    /// <summary>TLS_KEY: the PEM private key file of <see cref="TlsCertificate"/>.</summary>
    public string? TlsKey { get; init; }

    /// <summary>
    /// TLS_REDIRECT_PORT: with TLS, a plain-HTTP port whose every request is redirected (308) to
    /// the HTTPS URL. Default none: with TLS there is no plain HTTP at all.
    /// </summary>
    public int? TlsRedirectPort { get; init; }

    /// <summary>Whether the server speaks HTTPS (TLS_CERT and TLS_KEY are set).</summary>
    public bool Tls => TlsCertificate is not null;

    /// <summary>
    /// Fleet mode (REDIS_URL and DATABASE_URL both set): the shared PostgreSQL and Redis, this
    /// node's id and URL, the lease. Null for a single node (SQLite or memory, as STORE says).
    /// </summary>
    public FleetOptions? Fleet { get; init; }

    /// <summary>METRICS_PUBLIC, OTEL_EXPORTER_OTLP_ENDPOINT, LOG_FORMAT: /metrics, traces and the log's format.</summary>
    internal Diagnostics.ObservabilityOptions Observability { get; init; } = Diagnostics.ObservabilityOptions.Default;

    /// <summary>The URL Kestrel listens on, from <see cref="Host"/> and <see cref="Port"/> (IPv6 in brackets).</summary>
    public string Url => $"{(Tls ? "https" : "http")}://{UrlHost}:{Port}";

    /// <summary>The host as a URL holds it (an IPv6 address in brackets).</summary>
    public string UrlHost => Host.Contains(':') ? $"[{Host}]" : Host;
}
