using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging;

namespace RunsStream.Server.Runs.Execution;

/// <summary>
/// Where runs' cgroups live: a directory of the cgroup v2 hierarchy, below the server's own
/// cgroup, named after DATA_DIR (two servers with their own data never touch each other's
/// runs). Unavailable where there is no cgroup v2 hierarchy or the server may not write to it
/// (not root and not delegated); runs are then contained by their process group only.
/// </summary>
internal sealed partial class RunCgroups
{
    private const string MountInfoPath = "/proc/self/mountinfo";
    private const string OwnCgroupPath = "/proc/self/cgroup";

    private readonly ILogger _logger;

    private RunCgroups(string? root, ILogger logger)
    {
        Root = root;
        _logger = logger;
    }

    /// <summary>The directory holding one cgroup per running run; null when cgroups are unavailable.</summary>
    public string? Root { get; }

    public bool Available => Root is not null;

    /// <summary>No cgroups: runs are contained by their process group only.</summary>
    public static RunCgroups Unavailable(ILogger logger) => new(null, logger);

    /// <summary>Finds the cgroup v2 hierarchy and creates this server's directory in it.</summary>
    public static RunCgroups Open(string dataDirectory, ILogger logger)
    {
        var reason = "no cgroup v2 hierarchy is mounted";
        if (FindOwnCgroup() is { } own)
        {
            var key = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Path.GetFullPath(dataDirectory))))[..12];
            var root = Path.Combine(own, "runsstream-" + key);
            try
            {
                Directory.CreateDirectory(root);
                // A cgroup directory always has cgroup.procs; a plain directory means it is not one.
                if (File.Exists(Path.Combine(root, "cgroup.procs")))
                {
                    Log.CgroupsOn(logger, root);
                    return new RunCgroups(root, logger);
                }
                reason = $"{own} is not a cgroup v2 directory";
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                reason = $"cannot create {root}: {ex.Message}";
            }
        }
        Log.CgroupsOff(logger, reason);
        return new RunCgroups(null, logger);
    }

    /// <summary>A new, empty cgroup for <paramref name="runId"/>; null when cgroups are unavailable or it cannot be made.</summary>
    public RunCgroup? Create(string runId)
    {
        if (Root is null)
        {
            return null;
        }
        var path = Path.Combine(Root, runId);
        try
        {
            Directory.CreateDirectory(path);
            return new RunCgroup(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Log.CgroupCreateFailed(_logger, runId, ex.Message);
            return null;
        }
    }

    /// <summary>Removes this server's directory when no run's cgroup is left in it (at shutdown).</summary>
    public void RemoveRootIfEmpty()
    {
        if (Root is null)
        {
            return;
        }
        try
        {
            Directory.Delete(Root); // rmdir: refused while a run's cgroup is still there
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
        }
    }

    /// <summary>The cgroups left in this server's directory (by a previous process of it).</summary>
    public IReadOnlyList<RunCgroup> Existing() =>
        Root is null ? [] : Directory.EnumerateDirectories(Root).Select(path => new RunCgroup(path)).ToList();

    /// <summary>The server's own cgroup directory in the v2 hierarchy, or null.</summary>
    private static string? FindOwnCgroup()
    {
        try
        {
            // "0::/path" is the v2 line of /proc/self/cgroup.
            var own = File.ReadLines(OwnCgroupPath).FirstOrDefault(l => l.StartsWith("0::", StringComparison.Ordinal))?[3..];
            if (own is null)
            {
                return null;
            }
            foreach (var line in File.ReadLines(MountInfoPath))
            {
                // "id parent major:minor root mountpoint options ... - fstype source superoptions"
                var separator = line.IndexOf(" - ", StringComparison.Ordinal);
                if (separator < 0 || !line.AsSpan(separator + 3).StartsWith("cgroup2 "))
                {
                    continue;
                }
                var fields = line[..separator].Split(' ');
                var mountRoot = fields[3];
                var mountPoint = fields[4].Replace("\\040", " ", StringComparison.Ordinal);
                // Inside a cgroup namespace the mount's root is where "own" is relative to.
                var relative = own.StartsWith(mountRoot, StringComparison.Ordinal) ? own[mountRoot.Length..] : own;
                return Path.Combine(mountPoint, relative.TrimStart('/'));
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
        }
        return null;
    }

    // Event ids 4760-4769: Runs/Execution cgroups.
    private static partial class Log
    {
        [LoggerMessage(4760, LogLevel.Information, "Each run is contained in its own cgroup under {Root}")]
        public static partial void CgroupsOn(ILogger logger, string root);

        [LoggerMessage(4761, LogLevel.Warning, "Runs are contained by their process group only ({Reason}): a process that calls setsid itself can outlive its run")]
        public static partial void CgroupsOff(ILogger logger, string reason);

        [LoggerMessage(4762, LogLevel.Warning, "No cgroup for run {RunId}: {Reason}")]
        public static partial void CgroupCreateFailed(ILogger logger, string runId, string reason);
    }
}
