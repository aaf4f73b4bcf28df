namespace RunsStream.Server.Runs.Execution.Docker;

/// <summary>What one run's container runs, and in what box.</summary>
/// <param name="RunId">Goes into the <see cref="ContainerLabels.Run"/> label, for crash recovery.</param>
/// <param name="Image">The image; null takes <see cref="DockerOptions.DefaultImage"/>.</param>
/// <param name="Command">The argv inside the container (see <see cref="Shell"/>).</param>
/// <param name="WorkspaceDirectory">A host directory, mounted read-write at <see cref="WorkspacePath"/>, the working directory.</param>
/// <param name="Environment">Variables on top of the image's.</param>
/// <param name="Limits">Memory, CPU and process limits.</param>
/// <param name="NetworkAllowed">False: the container has only a loopback interface (network mode <c>none</c>).</param>
/// <param name="Labels">More labels; ours (<see cref="ContainerLabels"/>) win over these.</param>
internal sealed record ContainerSpec(
    string RunId,
    string? Image,
    IReadOnlyList<string> Command,
    string WorkspaceDirectory,
    IReadOnlyDictionary<string, string>? Environment = null,
    ContainerLimits? Limits = null,
    bool NetworkAllowed = false,
    IReadOnlyDictionary<string, string>? Labels = null)
{
    /// <summary>Where the workspace is inside the container.</summary>
    public const string WorkspacePath = "/workspace";

    /// <summary>A shell command line as argv, the way local runs run it (<c>/bin/sh -c</c>).</summary>
    public static IReadOnlyList<string> Shell(string command) => ["/bin/sh", "-c", command];
}

/// <summary>A container's limits; null leaves one unlimited.</summary>
/// <param name="MemoryBytes">Memory, swap included (the OOM killer ends the container's biggest process past it).</param>
/// <param name="NanoCpus">CPU time in billionths of a CPU (1.5 CPUs = 1_500_000_000).</param>
/// <param name="Pids">Processes and threads at once (a fork bomb gets EAGAIN from fork past it).</param>
internal sealed record ContainerLimits(long? MemoryBytes = null, long? NanoCpus = null, long? Pids = null);
