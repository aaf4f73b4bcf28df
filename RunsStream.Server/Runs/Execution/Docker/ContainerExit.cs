namespace RunsStream.Server.Runs.Execution.Docker;

/// <summary>How a run's container ended.</summary>
/// <param name="ExitCode">The command's exit status, or 128 + the signal number when a signal ended it.</param>
/// <param name="OomKilled">The engine says the kernel's OOM killer ended a process of the container.</param>
/// <param name="Stopped">It was ended by <see cref="DockerContainerRun.StopAsync"/> (a cancel), not by itself.</param>
/// <param name="Reason">
/// Why it ended, for people, when it did not simply exit: null for a plain exit.
/// </param>
internal sealed record ContainerExit(int ExitCode, bool OomKilled, bool Stopped, string? Reason)
{
    private const int SigKillStatus = 128 + 9;

    /// <summary>Names the reason from what the engine reported and what the runner did.</summary>
    public static ContainerExit From(long statusCode, bool oomKilled, bool stopped, long? memoryLimit)
    {
        var code = (int)statusCode;
        string? reason = (oomKilled, stopped, code) switch
        {
            (true, _, _) => $"out of memory: the OOM killer ended it (memory limit {Describe(memoryLimit)})",
            (_, true, _) => "stopped (canceled)",
            // Nothing inside a container can SIGKILL its init process; outside, only the engine
            // (a stop, which we know of) or the kernel. Podman with conmon 2.1 on cgroup v1 loses
            // its OOM flag (conmon writes the file where podman does not look), so a SIGKILL under a
            // memory limit is said as what it most likely was, without claiming certainty.
            (_, _, SigKillStatus) when memoryLimit is not null =>
                $"killed (SIGKILL) with a memory limit of {Describe(memoryLimit)}: most likely out of memory",
            (_, _, SigKillStatus) => "killed (SIGKILL)",
            _ => null,
        };
        return new ContainerExit(code, oomKilled, stopped, reason);
    }

    private static string Describe(long? bytes) => bytes switch
    {
        null => "none",
        >= 1 << 20 => $"{bytes.Value / (1 << 20)} MiB",
        _ => $"{bytes.Value} bytes",
    };
}
