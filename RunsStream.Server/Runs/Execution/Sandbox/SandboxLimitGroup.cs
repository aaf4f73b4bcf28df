using System.Globalization;

namespace RunsStream.Server.Runs.Execution.Sandbox;

/// <summary>
/// The cgroups that hold one sandboxed run's memory and process limits, and tell afterwards
/// whether it reached one. Either the run's own cgroup (v2 with the memory and pids
/// controllers: the run's processes then go into a child of it, so the limits and their
/// counters outlive the child that <see cref="RunProcess"/> removes), or one folder per
/// controller in the v1 hierarchies (machines where memory and pids are still bound to v1).
/// </summary>
internal sealed class SandboxLimitGroup
{
    private readonly RunCgroup _memory;
    private readonly RunCgroup _pids;
    private readonly bool _unified;

    private SandboxLimitGroup(RunCgroup memory, RunCgroup pids, bool unified)
    {
        _memory = memory;
        _pids = pids;
        _unified = unified;
    }

    /// <summary>v1 only: the cgroup.procs files the run joins before it drops its privileges.</summary>
    public IReadOnlyList<string> JoinFiles => _unified ? [] : [_memory.ProcsPath, _pids.ProcsPath];

    /// <summary>Times the kernel killed a process of the run for want of memory.</summary>
    public long OomKills => _memory.ReadCount(_unified ? "memory.events" : "memory.oom_control", "oom_kill");

    /// <summary>Times a fork of the run was refused by the process limit.</summary>
    public long ForksRefused => _pids.ReadCount("pids.events", "max");

    /// <summary>Limits on <paramref name="cgroup"/> itself (v2).</summary>
    /// <exception cref="IOException">A limit could not be set.</exception>
    public static SandboxLimitGroup Unified(RunCgroup cgroup, SandboxLimits limits)
    {
        Set(cgroup, "memory.max", limits.MemoryBytes);
        // Swapped-out pages do not count in memory.max: without this a hog swaps instead.
        if (cgroup.Has("memory.swap.max"))
        {
            Set(cgroup, "memory.swap.max", 0);
        }
        Set(cgroup, "pids.max", limits.Processes);
        return new SandboxLimitGroup(cgroup, cgroup, unified: true);
    }

    /// <summary>Limits on new folders in the v1 memory and pids hierarchies.</summary>
    /// <exception cref="IOException">A folder could not be made or a limit set.</exception>
    public static SandboxLimitGroup Legacy(string memoryRoot, string pidsRoot, string runId, SandboxLimits limits)
    {
        var memory = new RunCgroup(Path.Combine(memoryRoot, runId));
        var pids = new RunCgroup(Path.Combine(pidsRoot, runId));
        Directory.CreateDirectory(memory.Path);
        Directory.CreateDirectory(pids.Path);
        var group = new SandboxLimitGroup(memory, pids, unified: false);
        try
        {
            Set(memory, "memory.limit_in_bytes", limits.MemoryBytes);
            // memory+swap no higher than memory: swap off for the run (the order matters,
            // memsw may never be below the memory limit).
            if (memory.Has("memory.memsw.limit_in_bytes"))
            {
                Set(memory, "memory.memsw.limit_in_bytes", limits.MemoryBytes);
            }
            Set(pids, "pids.max", limits.Processes);
            return group;
        }
        catch (IOException)
        {
            group.RemoveNow();
            throw;
        }
    }

    /// <summary>SIGKILL to every process the limits cover.</summary>
    public void Kill()
    {
        _memory.Kill();
        if (!_unified)
        {
            _pids.Kill();
        }
    }

    /// <summary>Kills what is left and removes the folders; false if they could not be emptied in time.</summary>
    public async Task<bool> RemoveAsync(TimeSpan timeout, TimeProvider time)
    {
        var removed = await _memory.KillAndRemoveAsync(timeout, time).ConfigureAwait(false);
        if (!_unified)
        {
            removed &= await _pids.KillAndRemoveAsync(timeout, time).ConfigureAwait(false);
        }
        return removed;
    }

    private void RemoveNow()
    {
        foreach (var cgroup in new[] { _memory, _pids })
        {
            try
            {
                Directory.Delete(cgroup.Path);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
            }
        }
    }

    private static void Set(RunCgroup cgroup, string file, long value)
    {
        if (!cgroup.TryWrite(file, value.ToString(CultureInfo.InvariantCulture)))
        {
            throw new IOException($"cannot set {file} of {cgroup.Path}");
        }
    }
}
