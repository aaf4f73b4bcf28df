using Microsoft.Extensions.Configuration;
using RunsStream.Server.Configuration;

namespace RunsStream.Server.Runs.Execution.Sandbox;

/// <summary>What one sandboxed run may use. Reaching a limit ends the run with a reason saying which.</summary>
/// <param name="MemoryBytes">SANDBOX_MEMORY_BYTES: memory of all its processes together (cgroup, swap off).</param>
/// <param name="Processes">SANDBOX_PIDS: processes and threads alive at once (cgroup pids.max).</param>
/// <param name="CpuSeconds">SANDBOX_CPU_SECONDS: CPU time of each process (RLIMIT_CPU, ended by SIGXCPU).</param>
/// <param name="FileBytes">SANDBOX_FILE_BYTES: the largest file it may write (RLIMIT_FSIZE, SIGXFSZ).</param>
internal sealed record SandboxLimits(long MemoryBytes, int Processes, int CpuSeconds, long FileBytes)
{
    /// <summary>Enough for compilers and test suites; too little for one run to starve the machine.</summary>
    public const long DefaultMemoryBytes = 512L * 1024 * 1024;

    /// <summary>Plenty for a build's parallel jobs; a fork bomb reaches it within milliseconds.</summary>
    public const int DefaultProcesses = 256;

    /// <summary>A minute of CPU per process: an endless loop ends, a real compile does not.</summary>
    public const int DefaultCpuSeconds = 60;

    /// <summary>1 GiB: build outputs fit, a "fill the disk" loop does not.</summary>
    public const long DefaultFileBytes = 1024L * 1024 * 1024;

    // Below these a shell cannot even start (bwrap, sh and the libc need a few MiB and pids).
    private const long MinMemoryBytes = 16L * 1024 * 1024;
    private const int MinProcesses = 8;

    public static SandboxLimits Default { get; } = new(DefaultMemoryBytes, DefaultProcesses, DefaultCpuSeconds, DefaultFileBytes);

    /// <summary>
    /// The SANDBOX_* settings, read like the others (<see cref="OptionsLoader"/>): environment
    /// names at the root or under "RunsStream" in appsettings.json.
    /// </summary>
    /// <exception cref="OptionsException">A setting has a bad value; the message names it.</exception>
    public static SandboxLimits Load(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        string? Get(string name) => OptionsLoader.Setting(configuration, name);
        return new SandboxLimits(
            OptionsLoader.ParseLong("SANDBOX_MEMORY_BYTES", Get("SANDBOX_MEMORY_BYTES"), DefaultMemoryBytes, MinMemoryBytes, long.MaxValue / 2),
            (int)OptionsLoader.ParseLong("SANDBOX_PIDS", Get("SANDBOX_PIDS"), DefaultProcesses, MinProcesses, 4_000_000),
            (int)OptionsLoader.ParseLong("SANDBOX_CPU_SECONDS", Get("SANDBOX_CPU_SECONDS"), DefaultCpuSeconds, 1, int.MaxValue - 1),
            OptionsLoader.ParseLong("SANDBOX_FILE_BYTES", Get("SANDBOX_FILE_BYTES"), DefaultFileBytes, 1, long.MaxValue / 2));
    }
}
