using Microsoft.Extensions.Logging;

namespace RunsStream.Server.Runs.Execution;

/// <summary>
/// On start, before runs a previous server process left unfinished are marked failed: stops
/// every process those runs still have (their cgroups, and their process groups where the
/// recorded leader is still the same process), so nothing keeps running with nobody owning it.
/// </summary>
internal static partial class LeftoverProcesses
{
    // A killed process leaves its cgroup within milliseconds; a kernel busy reaping thousands
    // of them may take longer. Past this the start goes on and the failure is logged.
    private static readonly TimeSpan EmptyTimeout = TimeSpan.FromSeconds(10);

    /// <summary>Kills what is left; returns the number of runs that still had processes.</summary>
    public static async Task<int> StopAsync(RunProcessLedger ledger, RunCgroups cgroups, TimeProvider time, ILogger logger)
    {
        var stopped = 0;
        foreach (var entry in ledger.ReadAll())
        {
            var killed = false;
            if (entry.CgroupPath is { } path && IsRunCgroup(path, entry.RunId))
            {
                var cgroup = new RunCgroup(path);
                killed = cgroup.IsPopulated;
                if (!await cgroup.KillAndRemoveAsync(EmptyTimeout, time).ConfigureAwait(false))
                {
                    Log.CgroupNotEmptied(logger, entry.RunId, path);
                }
            }
            // Without a cgroup (or for anything that escaped it): the group, if it is still ours.
            foreach (var pid in entry.Process.LivingMembers())
            {
                killed |= ProcessGroup.TrySignalProcess(pid, ProcessGroup.SigKill);
            }
            if (killed)
            {
                stopped++;
                Log.LeftoverKilled(logger, entry.RunId, entry.Process.ProcessGroup);
            }
            ledger.Remove(entry.RunId);
        }
        // A crash between creating a run's cgroup and recording it leaves a cgroup only.
        foreach (var cgroup in cgroups.Existing())
        {
            if (cgroup.IsPopulated)
            {
                stopped++;
                Log.LeftoverKilled(logger, Path.GetFileName(cgroup.Path), 0);
            }
            await cgroup.KillAndRemoveAsync(EmptyTimeout, time).ConfigureAwait(false);
        }
        return stopped;
    }

    // Only ever a cgroup that a run of ours made: named after the run, a real cgroup directory.
    private static bool IsRunCgroup(string path, string runId) =>
        Path.GetFileName(path) == runId && File.Exists(Path.Combine(path, "cgroup.procs"));

    // Event ids 4770-4779: Runs/Execution recovery.
    private static partial class Log
    {
        [LoggerMessage(4770, LogLevel.Warning, "Run {RunId} still had processes from before the restart (process group {ProcessGroup}); killed them")]
        public static partial void LeftoverKilled(ILogger logger, string runId, int processGroup);

        [LoggerMessage(4771, LogLevel.Error, "The cgroup {Path} of run {RunId} could not be emptied")]
        public static partial void CgroupNotEmptied(ILogger logger, string runId, string path);
    }
}
