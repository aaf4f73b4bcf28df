using System.Globalization;

namespace RunsStream.Server.Runs.Execution;

/// <summary>
/// What identifies a run's process group across a crash of the server: the group id (the
/// leader's pid), the leader's start time in clock ticks since boot, and the boot. A pid is
/// reused sooner or later; the same pid with the same start time in the same boot is the same
/// process, so a leftover is never confused with a stranger that got its number.
/// </summary>
/// <param name="ProcessGroup">The leader's pid, which is the group id.</param>
/// <param name="StartTicks">Field 22 of /proc/&lt;pid&gt;/stat: when the leader started, in ticks since boot.</param>
/// <param name="BootId">/proc/sys/kernel/random/boot_id at the time.</param>
internal sealed record ProcessIdentity(int ProcessGroup, long StartTicks, string BootId)
{
    private const string BootIdPath = "/proc/sys/kernel/random/boot_id";

    /// <summary>A start time for a leader that was gone before it could be read: it matches nothing.</summary>
    public const long UnknownStart = -1;

    /// <summary>This boot's id; empty where /proc does not say.</summary>
    public static string CurrentBootId { get; } = ReadBootId();

    /// <summary>The identity of live process <paramref name="pid"/>, or null when it is gone.</summary>
    public static ProcessIdentity? Of(int pid) =>
        ProcStat.Read(pid) is { } stat ? new ProcessIdentity(pid, stat.StartTicks, CurrentBootId) : null;

    /// <summary>
    /// The pids of this group that still live: the leader if it is the same process, and every
    /// process of the group that started no earlier than it (children that outlived the leader).
    /// Empty after a reboot, and when the pid now belongs to another process.
    /// </summary>
    public IReadOnlyList<int> LivingMembers()
    {
        if (BootId != CurrentBootId || CurrentBootId.Length == 0 || StartTicks == UnknownStart)
        {
            return [];
        }
        if (ProcStat.Read(ProcessGroup) is { } leader && leader.StartTicks != StartTicks)
        {
            return []; // the number was reused: that group is someone else's
        }
        var members = new List<int>();
        foreach (var pid in ProcStat.AllPids())
        {
            if (ProcStat.Read(pid) is { } stat && stat.ProcessGroup == ProcessGroup && stat.StartTicks >= StartTicks)
            {
                members.Add(pid);
            }
        }
        return members;
    }

    private static string ReadBootId()
    {
        try
        {
            return File.ReadAllText(BootIdPath).Trim();
        }
        catch (IOException)
        {
            return "";
        }
        catch (UnauthorizedAccessException)
        {
            return "";
        }
    }

    /// <summary>The fields of /proc/&lt;pid&gt;/stat this needs.</summary>
    private readonly record struct ProcStat(int ProcessGroup, long StartTicks)
    {
        public static IEnumerable<int> AllPids()
        {
            foreach (var entry in Directory.EnumerateDirectories("/proc"))
            {
                if (int.TryParse(Path.GetFileName(entry), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
                {
                    yield return pid;
                }
            }
        }

        public static ProcStat? Read(int pid)
        {
            string text;
            try
            {
                text = File.ReadAllText($"/proc/{pid}/stat");
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                return null; // gone (or going)
            }
            // "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses, so the
            // fields are counted from the last ')'. After it: 3 state, 4 ppid, 5 pgrp, 22 starttime.
            var close = text.LastIndexOf(')');
            if (close < 0)
            {
                return null;
            }
            var fields = text[(close + 2)..].Split(' ');
            if (fields.Length < 20
                || !int.TryParse(fields[2], NumberStyles.Integer, CultureInfo.InvariantCulture, out var group)
                || !long.TryParse(fields[19], NumberStyles.Integer, CultureInfo.InvariantCulture, out var start))
            {
                return null;
            }
            return new ProcStat(group, start);
        }
    }
}
