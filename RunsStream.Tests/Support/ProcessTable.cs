namespace RunsStream.Tests.Support;

/// <summary>Looks processes up in /proc, to prove what a run left running (or did not).</summary>
internal static class ProcessTable
{
    /// <summary>Pids of live processes (zombies excluded) whose command line has the argument <paramref name="argument"/>.</summary>
    public static IReadOnlyList<int> WithArgument(string argument)
    {
        var found = new List<int>();
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), out var pid))
            {
                continue;
            }
            try
            {
                var args = File.ReadAllText(Path.Combine(directory, "cmdline")).Split('\0');
                if (args.Contains(argument) && !IsZombie(directory))
                {
                    found.Add(pid);
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // gone meanwhile
            }
        }
        return found;
    }

    /// <summary>SIGKILL to each pid: a test's own cleanup of what it may have left.</summary>
    public static void Kill(IEnumerable<int> pids)
    {
        foreach (var pid in pids)
        {
            try
            {
                System.Diagnostics.Process.GetProcessById(pid).Kill();
            }
            catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
            {
            }
        }
    }

    /// <summary>A unique argument for <c>sleep</c> (a fraction of a second more than <paramref name="seconds"/>), to find that process later.</summary>
    public static string UniqueSleep(int seconds) => $"{seconds}.{Random.Shared.Next(100_000, 999_999)}";

    private static bool IsZombie(string directory)
    {
        var stat = File.ReadAllText(Path.Combine(directory, "stat"));
        var close = stat.LastIndexOf(')');
        return close > 0 && close + 2 < stat.Length && stat[close + 2] is 'Z' or 'X';
    }
}
