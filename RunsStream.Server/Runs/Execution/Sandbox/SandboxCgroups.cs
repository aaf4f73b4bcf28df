using System.Security.Cryptography;
using System.Text;

namespace RunsStream.Server.Runs.Execution.Sandbox;

/// <summary>
/// Where sandboxed runs' memory and process limits are kept: in the runs' own cgroups when the
/// cgroup v2 hierarchy has the memory and pids controllers (they are switched on for the runs'
/// folder here), else in folders of the v1 memory and pids hierarchies (hybrid machines, where
/// those controllers are bound to v1 and the v2 hierarchy cannot have them). Neither: no
/// sandbox, since its limits could not be enforced.
/// </summary>
internal sealed class SandboxCgroups
{
    private const string MountInfoPath = "/proc/self/mountinfo";
    private const string OwnCgroupPath = "/proc/self/cgroup";
    private const string Controllers = "+memory +pids";

    private readonly string? _memoryRoot;
    private readonly string? _pidsRoot;

    private SandboxCgroups(bool unified, string? memoryRoot, string? pidsRoot, string? unavailable)
    {
        IsUnified = unified;
        _memoryRoot = memoryRoot;
        _pidsRoot = pidsRoot;
        Unavailable = unavailable;
    }

    /// <summary>True when the limits are set on the runs' own (v2) cgroups.</summary>
    public bool IsUnified { get; }

    /// <summary>Why limits cannot be set here; null when they can.</summary>
    public string? Unavailable { get; }

    /// <summary>Finds the hierarchies; <paramref name="runCgroupsRoot"/> is <see cref="RunCgroups.Root"/>.</summary>
    public static SandboxCgroups Open(string? runCgroupsRoot, string dataDirectory)
    {
        if (runCgroupsRoot is not null && EnableUnified(runCgroupsRoot))
        {
            return new SandboxCgroups(true, null, null, null);
        }
        var name = "runsstream-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Path.GetFullPath(dataDirectory))))[..12];
        var memory = LegacyRoot("memory", name, "memory.limit_in_bytes");
        var pids = LegacyRoot("pids", name, "pids.max");
        if (memory is not null && pids is not null)
        {
            return new SandboxCgroups(false, memory, pids, null);
        }
        return new SandboxCgroups(false, null, null,
            "no cgroup with the memory and pids controllers can be made for runs (neither in cgroup v2 nor in v1)");
    }

    /// <summary>
    /// The limits for run <paramref name="runId"/>, and the cgroup its processes join instead of
    /// <paramref name="runCgroup"/> (unchanged in v1).
    /// </summary>
    /// <exception cref="IOException">The limits could not be set.</exception>
    public (SandboxLimitGroup Limits, RunCgroup? Cgroup) Create(string runId, RunCgroup? runCgroup, SandboxLimits limits)
    {
        if (Unavailable is not null)
        {
            throw new IOException(Unavailable);
        }
        if (IsUnified)
        {
            if (runCgroup is null)
            {
                throw new IOException("the run has no cgroup to carry its limits");
            }
            var group = SandboxLimitGroup.Unified(runCgroup, limits);
            return (group, runCgroup.CreateChild("sandbox"));
        }
        return (SandboxLimitGroup.Legacy(_memoryRoot!, _pidsRoot!, runId, limits), runCgroup);
    }

    /// <summary>v1 folders left by runs of a previous server process (their processes are killed with the runs' cgroups).</summary>
    public IReadOnlyList<RunCgroup> Existing() =>
        IsUnified || Unavailable is not null
            ? []
            : [.. new[] { _memoryRoot!, _pidsRoot! }.SelectMany(Directory.EnumerateDirectories).Select(path => new RunCgroup(path))];

    /// <summary>At shutdown, once every run has ended: the v1 folders of this server go too.</summary>
    public void RemoveRootsIfEmpty()
    {
        foreach (var root in new[] { _memoryRoot, _pidsRoot })
        {
            try
            {
                if (root is not null)
                {
                    Directory.Delete(root); // rmdir: refused while a run's folder is still there
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
            }
        }
    }

    // Children of the runs' folder get a controller only if the folder and its parent list it
    // in cgroup.subtree_control. The parent refuses while it has processes of its own (the
    // "no internal processes" rule), unless it is the hierarchy's root.
    private static bool EnableUnified(string root)
    {
        var parent = Path.GetDirectoryName(root)!;
        new RunCgroup(parent).TryWrite("cgroup.subtree_control", Controllers);
        new RunCgroup(root).TryWrite("cgroup.subtree_control", Controllers);
        try
        {
            var enabled = File.ReadAllText(Path.Combine(root, "cgroup.subtree_control")).Split(' ', StringSplitOptions.TrimEntries);
            return enabled.Contains("memory") && enabled.Contains("pids");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    // "<mount of the v1 hierarchy with that controller>/<the server's cgroup in it>/<name>".
    private static string? LegacyRoot(string controller, string name, string probeFile)
    {
        try
        {
            var own = File.ReadLines(OwnCgroupPath)
                .Select(line => line.Split(':', 3))
                .FirstOrDefault(parts => parts.Length == 3 && parts[1].Split(',').Contains(controller))?[2];
            if (own is null)
            {
                return null;
            }
            foreach (var line in File.ReadLines(MountInfoPath))
            {
                var separator = line.IndexOf(" - ", StringComparison.Ordinal);
                if (separator < 0)
                {
                    continue;
                }
                var tail = line[(separator + 3)..].Split(' ');
                if (tail.Length < 3 || tail[0] != "cgroup" || !tail[2].Split(',').Contains(controller))
                {
                    continue;
                }
                var fields = line[..separator].Split(' ');
                var relative = own.StartsWith(fields[3], StringComparison.Ordinal) ? own[fields[3].Length..] : own;
                var root = Path.Combine(fields[4], relative.TrimStart('/'), name);
                Directory.CreateDirectory(root);
                return File.Exists(Path.Combine(root, probeFile)) ? root : null;
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
        }
        return null;
    }
}
