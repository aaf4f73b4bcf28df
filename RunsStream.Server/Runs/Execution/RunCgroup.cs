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

    /// <summary>True when the cgroup has the interface file <paramref name="name"/> (its controller is on).</summary>
    public bool Has(string name) => File.Exists(System.IO.Path.Combine(Path, name));

    /// <summary>Writes a limit such as <c>memory.max</c>; false when the kernel refuses it.</summary>
    public bool TryWrite(string name, string value)
    {
        try
        {
            File.WriteAllText(System.IO.Path.Combine(Path, name), value);
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>
    /// The number after <paramref name="key"/> in a flat keyed file (<c>memory.events</c>
    /// <c>oom_kill</c>, <c>pids.events</c> <c>max</c>); 0 when the file or the key is missing.
    /// </summary>
    public long ReadCount(string name, string key)
    {
        try
        {
            foreach (var line in File.ReadLines(System.IO.Path.Combine(Path, name)))
            {
                if (line.Length > key.Length && line[key.Length] == ' ' && line.StartsWith(key, StringComparison.Ordinal))
                {
                    return long.TryParse(line.AsSpan(key.Length + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var count) ? count : 0;
                }
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
        }
        return 0;
    }

    /// <summary>A new, empty cgroup inside this one (where the run's processes go when this one carries limits).</summary>
    /// <exception cref="IOException">It could not be made.</exception>
    public RunCgroup CreateChild(string name)
    {
        var child = new RunCgroup(System.IO.Path.Combine(Path, name));
        Directory.CreateDirectory(child.Path);
        return child;
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
            // A sandboxed run's processes live in a child of the cgroup that carries its
            // limits; cgroup.kill and "populated" cover children, rmdir does not.
            foreach (var child in Directory.EnumerateDirectories(Path))
            {
                if (!new RunCgroup(child).TryRemove())
                {
                    return false;
                }
            }
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
