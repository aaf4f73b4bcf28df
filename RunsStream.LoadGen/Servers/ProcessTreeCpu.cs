namespace RunsStream.LoadGen.Servers;

/// <summary>CPU seconds of a process and its live children (PostgreSQL's backends are children of the postmaster).</summary>
internal static class ProcessTreeCpu
{
    public static double Seconds(int root)
    {
        var total = 0.0;
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid))
            {
                continue;
            }
            try
            {
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                var parent = int.Parse(fields[1]);
                if (pid == root || parent == root)
                {
                    // utime, stime, and for the root also its waited-for children's (cutime, cstime): backends that ended.
                    total += long.Parse(fields[11]) + long.Parse(fields[12]);
                    if (pid == root)
                    {
                        total += long.Parse(fields[13]) + long.Parse(fields[14]);
                    }
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException)
            {
                // The process ended while being read.
            }
        }
        return total / ProcStats.TicksPerSecond;
    }
}
