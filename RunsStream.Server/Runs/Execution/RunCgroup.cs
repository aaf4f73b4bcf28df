using System.Globalization;

namespace RunsStream.Server.Runs.Execution;

/// <summary>
/// One run's cgroup (v2). Every process the run starts is born into it and cannot leave it, not
/// even by calling setsid, so stopping the cgroup stops the whole run.
/// </summary>
internal sealed class RunCgroup
{
    private const string ProcsFile = "cgroup.procs";
    private const string KillFile = "cgroup.kill";   // Linux 5.14+
    private const string EventsFile = "cgroup.events";

    public RunCgroup(string path) => Path = path;

    /// <summary>The cgroup's directory.</summary>
    public string Path { get; }

    /// <summary>The file a process writes its pid into to join the cgroup.</summary>
    public string ProcsPath => System.IO.Path.Combine(Path, ProcsFile);

    /// <summary>True while the directory exists.</summary>
    public bool Exists => Directory.Exists(Path);

    /// <summary>True while any process is in the cgroup.</summary>
    public bool IsPopulated
    {
        get
        {
            try
            {
                foreach (var line in File.ReadLines(System.IO.Path.Combine(Path, EventsFile)))
                {
                    if (line.StartsWith("populated ", StringComparison.Ordinal))
                    {
                        return line != "populated 0";
                    }
                }
                return Members().Count > 0;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                return false; // removed
            }
        }
    }

    /// <summary>The pids in the cgroup now.</summary>
    public IReadOnlyList<int> Members()
    {
        try
        {
            return File.ReadAllLines(ProcsPath)
                .Select(line => int.TryParse(line, NumberStyles.None, CultureInfo.InvariantCulture, out var pid) ? pid : 0)
                .Where(pid => pid > 1)
                .ToList();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }

    /// <summary>Sends <paramref name="signal"/> to every process in the cgroup.</summary>
    public void Signal(int signal)
    {
        foreach (var pid in Members())
        {
            ProcessGroup.TrySignalProcess(pid, signal);
        }
    }

    /// <summary>SIGKILL to every process in the cgroup, including ones forked meanwhile.</summary>
    public void Kill()
    {
        try
        {
            File.WriteAllText(System.IO.Path.Combine(Path, KillFile), "1");
            return;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // No cgroup.kill before Linux 5.14: signal what is there; a fork racing with this
            // is caught by the next call (the caller repeats until the cgroup is empty).
        }
        Signal(ProcessGroup.SigKill);
    }

    /// <summary>
    /// Kills what is left, waits (up to <paramref name="timeout"/>) until nothing is, and removes
    /// the cgroup. False if it could not be emptied in time.
    /// </summary>
    public async Task<bool> KillAndRemoveAsync(TimeSpan timeout, TimeProvider time)
    {
        var deadline = time.GetUtcNow() + timeout;
        while (true)
        {
            if (!Exists)
            {
                return true;
            }
            if (IsPopulated)
            {
                Kill();
            }
            else if (TryRemove())
            {
                return true;
            }
            if (time.GetUtcNow() >= deadline)
            {
                return false;
            }
            // Killed processes leave the cgroup within moments; there is no event to wait on
            // that works on every kernel, so look again shortly.
            await Task.Delay(TimeSpan.FromMilliseconds(10), time).ConfigureAwait(false);
        }
    }

    private bool TryRemove()
    {
        try
        {
            Directory.Delete(Path);
            return true;
        }
        catch (DirectoryNotFoundException)
        {
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false; // still busy
        }
    }
}
