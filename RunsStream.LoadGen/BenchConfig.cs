namespace RunsStream.LoadGen;

/// <summary>
/// The sizes of one bench run. <see cref="Full"/> is the definition (about 6 minutes
/// for both servers on 2 cores); <see cref="Quick"/> keeps every scenario at a tenth or less,
/// to check that the bench works.
/// </summary>
internal sealed record BenchConfig
{
    public required string Root { get; init; }

    public required string WorkDir { get; init; }

    public required string Mode { get; init; }

    /// <summary>Another build of RunsStream.Server.dll to measure (e.g. to compare a change); default: the repo's Release build.</summary>
    public string? OursDll { get; init; }

    public string Token { get; init; } = "bench-" + Guid.NewGuid().ToString("N");

    /// <summary>Fan-out: (subscribers, bytes per subscriber).</summary>
    public required (int Subscribers, long Bytes)[] FanOut { get; init; }

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

    /// <summary>How often the short scenarios (fan-out, late join, stalled, polling) repeat on one server.</summary>
    public int Repeats { get; init; } = 3;

    /// <summary>
    /// The order scenario's repetitions, quick runs included: its counts move with scheduling, a
    /// median and a range need at least 3, and each repetition takes about a second.
    /// </summary>
    public int OrderRepeats => Math.Max(Repeats, 3);

    /// <summary>Fan-out variants last a fraction of a second each: more repetitions for a steadier median.</summary>
    public int FanOutRepeats => Repeats == 1 ? 1 : Repeats + 2;

    /// <summary>How long one scenario may take before its subscribers count as failed.</summary>
    public TimeSpan ScenarioTimeout { get; init; } = TimeSpan.FromSeconds(120);

    public const long MB = 1024 * 1024;

    public static BenchConfig Full(string root, string workDir) => new()
    {
        Root = root,
        WorkDir = workDir,
        Mode = "full",
        FanOut = [(1, 10 * MB), (100, 2 * MB), (1000, 200 * 1024)],
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
        FanOut = [(1, 1 * MB), (10, 256 * 1024), (100, 32 * 1024)],
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
