using Docker.DotNet.Models;

namespace RunsStream.Server.Runs.Execution.Docker;

/// <summary>Turns a <see cref="ContainerSpec"/> into the Engine API's container-create body, checking it first.</summary>
internal static class ContainerParameters
{
    /// <summary>Network mode of a run allowed the network: the engine's default bridge.</summary>
    public const string AllowedNetworkMode = "bridge";

    /// <summary>Network mode otherwise: a loopback interface only.</summary>
    public const string NoNetworkMode = "none";

    /// <exception cref="RunStartException">The spec cannot be run; the message says why.</exception>
    public static CreateContainerParameters For(ContainerSpec spec, DockerOptions options)
    {
        var image = string.IsNullOrWhiteSpace(spec.Image) ? options.DefaultImage : spec.Image.Trim();
        if (image is null)
        {
            throw new RunStartException("no image: the run names none and DOCKER_IMAGE is not set");
        }
        if (spec.Command.Count == 0 || spec.Command[0].Length == 0)
        {
            throw new RunStartException("no command to run in the container");
        }
        if (!Path.IsPathFullyQualified(spec.WorkspaceDirectory) || !Directory.Exists(spec.WorkspaceDirectory))
        {
            throw new RunStartException($"the workspace '{spec.WorkspaceDirectory}' is not an existing absolute directory");
        }
        // A bind source with ':' or ',' would be read as more mount options by the engine.
        if (spec.WorkspaceDirectory.AsSpan().IndexOfAny(':', ',') >= 0)
        {
            throw new RunStartException($"the workspace path '{spec.WorkspaceDirectory}' contains ':' or ',', which a bind mount cannot name");
        }
        var limits = spec.Limits ?? new ContainerLimits();
        CheckPositive(limits.MemoryBytes, "memory limit");
        CheckPositive(limits.NanoCpus, "CPU limit");
        CheckPositive(limits.Pids, "process limit");

        var labels = new Dictionary<string, string>(spec.Labels ?? new Dictionary<string, string>())
        {
            [ContainerLabels.Run] = spec.RunId,
            [ContainerLabels.Owner] = options.Owner,
        };
        return new CreateContainerParameters
        {
            Image = image,
            Cmd = spec.Command.ToList(),
            Env = Environment(spec.Environment),
            WorkingDir = ContainerSpec.WorkspacePath,
            Labels = labels,
            AttachStdout = true,
            AttachStderr = true,
            Tty = false,
            OpenStdin = false,
            HostConfig = new HostConfig
            {
                Binds = [$"{spec.WorkspaceDirectory}:{ContainerSpec.WorkspacePath}:rw"],
                NetworkMode = spec.NetworkAllowed ? AllowedNetworkMode : NoNetworkMode,
                Memory = limits.MemoryBytes ?? 0,
                // Swap equal to memory: no swap on top, so the limit is what the run can use.
                MemorySwap = limits.MemoryBytes ?? 0,
                NanoCPUs = limits.NanoCpus ?? 0,
                PidsLimit = limits.Pids,
                // A tiny init as PID 1 passes the stop's SIGTERM on to the command (PID 1
                // ignores signals it has no handler for) and reaps orphans.
                Init = true,
                SecurityOpt = ["no-new-privileges"],
                AutoRemove = false, // removed by us after its exit code and OOM flag are read
            },
        };
    }

    private static List<string> Environment(IReadOnlyDictionary<string, string>? variables)
    {
        var list = new List<string>();
        foreach (var (name, value) in variables ?? new Dictionary<string, string>())
        {
            if (name.Length == 0 || name.Contains('=') || name.Contains('\0') || value.Contains('\0'))
            {
                throw new RunStartException($"environment variable name '{name}' is not valid (empty, or contains '=' or NUL)");
            }
            list.Add($"{name}={value}");
        }
        return list;
    }

    private static void CheckPositive(long? value, string what)
    {
        if (value is <= 0)
        {
            throw new RunStartException($"the {what} must be positive, not {value}");
        }
    }
}
