using Microsoft.Extensions.Logging;

namespace RunsStream.Server.Runs.Execution;

/// <summary>
/// Where, as whom and in what a run's process executes, and the record that lets the next
/// start stop it after a crash: the workspace (owned by the run's user), the run's user
/// (RUN_AS_USER), its cgroup, and its entry in the <see cref="RunProcessLedger"/>.
/// </summary>
internal sealed partial class RunContainment
{
    private readonly RunUser? _user;
    private readonly RunCgroups _cgroups;
    private readonly RunProcessLedger _ledger;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    /// <exception cref="ArgumentException">RUN_AS_USER names no account, or one the server cannot switch to.</exception>
    public RunContainment(string? runAsUser, string dataDirectory, string workspaceRoot, TimeProvider time, ILogger logger)
    {
        _user = RunUser.Resolve(runAsUser);
        if (_user is not null && ClosedAncestor(Path.GetFullPath(workspaceRoot)) is { } closed)
        {
            Log.WorkspaceRootClosed(logger, workspaceRoot, _user.Name, closed);
        }
        _cgroups = RunCgroups.Open(dataDirectory, logger);
        _ledger = new RunProcessLedger(dataDirectory);
        _time = time;
        _logger = logger;
    }

    /// <summary>The account runs execute as; null when they run as the server's own user.</summary>
    public RunUser? User => _user;

    /// <summary>True when each run gets its own cgroup.</summary>
    public bool HasCgroups => _cgroups.Available;

    /// <summary>The server's folder of run cgroups; null where runs have none.</summary>
    public string? CgroupsRoot => _cgroups.Root;

    /// <summary>Creates the workspace (given to the run's user) and the run's cgroup.</summary>
    /// <exception cref="IOException">The workspace could not be made.</exception>
    public ProcessStartRequest Prepare(string runId, string command, string workspace)
    {
        Directory.CreateDirectory(workspace);
        _user?.Own(workspace);
        return new ProcessStartRequest(command, workspace, User: _user, Cgroup: _cgroups.Create(runId));
    }

    /// <summary>The process could not be started: its empty cgroup goes.</summary>
    public Task StartFailedAsync(ProcessStartRequest request) =>
        request.Cgroup?.KillAndRemoveAsync(TimeSpan.FromSeconds(1), _time) ?? Task.CompletedTask;

    /// <summary>Records a started run, so that a crash of the server leaves nothing of it running.</summary>
    public void Started(string runId, RunProcess process)
    {
        try
        {
            _ledger.Record(new RunProcessLedger.Entry(runId, process.Identity, process.Cgroup?.Path));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // A full disk, say: the run goes on; its cgroup (where there is one) is still
            // found by name after a crash.
            Log.LedgerWriteFailed(_logger, runId, ex.Message);
        }
    }

    /// <summary>A run whose processes are all gone.</summary>
    public void Ended(string runId)
    {
        try
        {
            _ledger.Remove(runId);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Log.LedgerWriteFailed(_logger, runId, ex.Message);
        }
    }

    // The first existing folder above the workspaces that others cannot pass through: the run
    // still starts in its workspace (entered before the user switch), but cannot reach it, or
    // HOME, by its absolute path.
    private static string? ClosedAncestor(string path)
    {
        for (var folder = Path.GetDirectoryName(path); folder is not null; folder = Path.GetDirectoryName(folder))
        {
            if (Directory.Exists(folder) && !File.GetUnixFileMode(folder).HasFlag(UnixFileMode.OtherExecute))
            {
                return folder;
            }
        }
        return null;
    }

    /// <summary>At shutdown, once every run has ended: the server's cgroup folder goes too.</summary>
    public void Shutdown() => _cgroups.RemoveRootIfEmpty();

    /// <summary>On start: stops every process that runs of a previous server process still have.</summary>
    public Task<int> StopLeftoversAsync() => LeftoverProcesses.StopAsync(_ledger, _cgroups, _time, _logger);

    // Event ids 4780-4789: Runs/Execution containment.
    private static partial class Log
    {
        [LoggerMessage(4780, LogLevel.Warning, "The process record of run {RunId} could not be written: {Reason}")]
        public static partial void LedgerWriteFailed(ILogger logger, string runId, string reason);

        [LoggerMessage(4781, LogLevel.Warning, "WORKSPACE_ROOT {WorkspaceRoot} is below {Closed}, which {User} cannot pass through: runs start in their workspace but cannot reach it by its absolute path (nor HOME); choose a WORKSPACE_ROOT outside it")]
        public static partial void WorkspaceRootClosed(ILogger logger, string workspaceRoot, string user, string closed);
    }
}
