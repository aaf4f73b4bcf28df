using System.Globalization;

namespace RunsStream.Server.Runs.Execution;

/// <summary>
/// A file per running run in DATA_DIR/run-processes, written when its process starts and removed
/// when it ends: what identifies its processes (<see cref="ProcessIdentity"/> and its cgroup).
/// After a crash (kill -9, power loss) the next start reads what is left and stops those
/// processes before the runs are marked failed, so no command runs on with nobody owning it.
/// </summary>
internal sealed class RunProcessLedger
{
    /// <summary>The folder's name inside DATA_DIR.</summary>
    public const string FolderName = "run-processes";

    private readonly string _folder;

    public RunProcessLedger(string dataDirectory)
    {
        _folder = Path.Combine(Path.GetFullPath(dataDirectory), FolderName);
        Directory.CreateDirectory(_folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    /// <summary>One recorded run: its id, its process group and its cgroup (null without cgroups).</summary>
    public sealed record Entry(string RunId, ProcessIdentity Process, string? CgroupPath);

    /// <summary>Records a started run; durable when this returns (written to a temporary file, flushed and renamed).</summary>
    /// <exception cref="IOException">The record could not be written (a full disk, say).</exception>
    public void Record(Entry entry)
    {
        var text = string.Create(CultureInfo.InvariantCulture,
            $"{entry.Process.ProcessGroup} {entry.Process.StartTicks} {entry.Process.BootId}\n{entry.CgroupPath}\n");
        var path = PathOf(entry.RunId);
        var temporary = path + ".tmp";
        using (var file = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            using var writer = new StreamWriter(file);
            writer.Write(text);
            writer.Flush();
            file.Flush(flushToDisk: true);
        }
        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>Forgets a run whose processes are all gone.</summary>
    public void Remove(string runId)
    {
        File.Delete(PathOf(runId));
        File.Delete(PathOf(runId) + ".tmp");
    }

    /// <summary>Every run recorded and not removed: the leftovers of a crash, when read at start.</summary>
    public IReadOnlyList<Entry> ReadAll()
    {
        var entries = new List<Entry>();
        foreach (var path in Directory.EnumerateFiles(_folder))
        {
            if (path.EndsWith(".tmp", StringComparison.Ordinal))
            {
                File.Delete(path); // a crash while recording; its cgroup is still found by name
                continue;
            }
            if (Parse(Path.GetFileName(path), File.ReadAllLines(path)) is { } entry)
            {
                entries.Add(entry);
            }
            else
            {
                File.Delete(path); // unreadable: nothing in it can be trusted to name a process
            }
        }
        return entries;
    }

    private static Entry? Parse(string runId, string[] lines)
    {
        var fields = lines.Length > 0 ? lines[0].Split(' ') : [];
        if (fields.Length != 3
            || !int.TryParse(fields[0], NumberStyles.None, CultureInfo.InvariantCulture, out var group) || group <= 1
            || !long.TryParse(fields[1], NumberStyles.None, CultureInfo.InvariantCulture, out var start))
        {
            return null;
        }
        var cgroup = lines.Length > 1 && lines[1].Length > 0 ? lines[1] : null;
        return new Entry(runId, new ProcessIdentity(group, start, fields[2]), cgroup);
    }

    private string PathOf(string runId) => Path.Combine(_folder, runId);
}
