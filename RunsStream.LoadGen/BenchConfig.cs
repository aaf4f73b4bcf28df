namespace RunsStream.LoadGen;

/// <summary>
/// The sizes of one bench run. <see cref="Full"/> is issue 12's definition: fan-out cases of
/// about 2 GB delivered, so that each server's CPU is read over a second or more, and every
/// scenario 3 times; <see cref="Quick"/> keeps every scenario small and runs it once, to check
/// that the bench works.
/// </summary>
internal sealed record BenchConfig
{
    public required string Root { get; init; }

    public required string WorkDir { get; init; }

    public required string Mode { get; init; }

    /// <summary>Another build of RunsStream.Server.dll to measure (e.g. to compare a change); default: the repo's Release build.</summary>
    public string? OursDll { get; init; }

    public string Token { get; init; } = "bench-" + Guid.NewGuid().ToString("N");

    /// <summary>Fan-out cases: subscribers, bytes per subscriber (the run's size), namespace.</summary>
    public required FanOutCase[] FanOut { get; init; }

    /// <summary>
    /// The least server CPU, in seconds, over which a fan-out case's CPU figures are trusted; a
    /// case under it is grown (<see cref="Scenarios.FanOutSizing"/>). 0: no check (quick runs).
    /// </summary>
    public double MinServerCpuSeconds { get; init; }

    /// <summary>
    /// The largest run a fan-out case may grow to: the Node server keeps a run's whole output in
    /// its V8 heap (about 4 GB at most by default), so a run must stay well under that.
    /// </summary>
    public long MaxRunBytes { get; init; } = 2L * 1024 * MB;

    /// <summary>
    /// RUN_LOG_MAX_BYTES given to both servers: above any run a scenario makes, so that no run
    /// is capped and each server stores and replays all of it.
    /// </summary>
    public long RunLogMaxBytes => 2 * MaxRunBytes;

    public required int[] LatencySubscribers { get; init; }

    public required int LatencyLinesPerSecond { get; init; }

    public required int LatencySeconds { get; init; }

    public required int IdleConnections { get; init; }

    public required int LateJoinSubscribers { get; init; }

    public required long LateJoinBytes { get; init; }

    public required int StalledReaders { get; init; }

    public required long StalledBytes { get; init; }

    public required int PollingSubscribers { get; init; }

    public required long PollingBytes { get; init; }

    /// <summary>How often every scenario is repeated, each time on fresh servers (<c>--repeats N</c>).</summary>
    public int Repeats { get; init; } = 3;

    /// <summary>How long one scenario may take before its subscribers count as failed.</summary>
    public TimeSpan ScenarioTimeout { get; init; } = TimeSpan.FromSeconds(120);

    public const long MB = 1024 * 1024;

    public static BenchConfig Full(string root, string workDir) => new()
    {
        Root = root,
        WorkDir = workDir,
        Mode = "full",
        // At least 2 GB delivered per case. 100 x 20 MB and 1000 x 2 MB gave RunsStream 0.55-0.7 s
        // of CPU on 2 cores (2026-12): grown to where it spends 2 s or more, so that a faster
        // server still reads over 1 s without a discarded first repetition. The /runs case is
        // the web terminal's namespace.
        FanOut = [new(1, 2048 * MB), new(100, 64 * MB), new(1000, 8 * MB), new(100, 64 * MB, "/runs")],
        MinServerCpuSeconds = 1.0,
        LatencySubscribers = [100, 1000],
        LatencyLinesPerSecond = 200,
        LatencySeconds = 10,
        IdleConnections = 2000,
        LateJoinSubscribers = 50,
        LateJoinBytes = 10 * MB,
        StalledReaders = 10,
        StalledBytes = 30 * MB,
        PollingSubscribers = 100,
        PollingBytes = 2 * MB,
    };

    public static BenchConfig Quick(string root, string workDir) => new()
    {
        Root = root,
        WorkDir = workDir,
        Mode = "quick",
        FanOut = [new(1, 1 * MB), new(100, 32 * 1024), new(1000, 16 * 1024), new(100, 32 * 1024, "/runs")],
        LatencySubscribers = [10, 100],
        LatencyLinesPerSecond = 200,
        LatencySeconds = 2,
        IdleConnections = 200,
        LateJoinSubscribers = 5,
        LateJoinBytes = 1 * MB,
        StalledReaders = 3,
        StalledBytes = 3 * MB,
        PollingSubscribers = 10,
        PollingBytes = 256 * 1024,
        ScenarioTimeout = TimeSpan.FromSeconds(60),
        Repeats = 1,
    };
}

/// <summary>One fan-out case: one run of <paramref name="Bytes"/> to <paramref name="Subscribers"/> WebSocket subscribers on <paramref name="Namespace"/>.</summary>
internal sealed record FanOutCase(int Subscribers, long Bytes, string Namespace = "/");
