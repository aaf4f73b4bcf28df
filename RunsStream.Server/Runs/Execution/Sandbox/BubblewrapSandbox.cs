using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using Microsoft.Extensions.Logging;

namespace RunsStream.Server.Runs.Execution.Sandbox;

/// <summary>
/// The sandbox for untrusted commands without a container engine: bubblewrap (namespaces, a
/// read-only system, the workspace as the only writable place, no network) plus limits on
/// memory and processes (cgroups) and on CPU time and file size (rlimits).
/// See <see cref="BubblewrapCommand"/> for what the run sees.
/// </summary>
internal sealed partial class BubblewrapSandbox
{
    private const string BwrapName = "bwrap";
    private const string PrlimitName = "prlimit";

    // Joins the v1 limit cgroups listed before "--" (as the server's user), then execs the rest.
    private const string JoinLimitsScript = "while [ \"$1\" != -- ]; do echo $$ > \"$1\" || exit 125; shift; done; shift; exec \"$@\"";

    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(30);

    private readonly string? _bwrap;
    private readonly string? _prlimit;
    private readonly SandboxCgroups _cgroups;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly string? _unavailable;

    private BubblewrapSandbox(
        SandboxLimits limits, string? bwrap, string? prlimit, SandboxCgroups cgroups, string? unavailable, TimeProvider time, ILogger logger)
    {
        Limits = limits;
        _bwrap = bwrap;
        _prlimit = prlimit;
        _cgroups = cgroups;
        _unavailable = unavailable;
        _time = time;
        _logger = logger;
    }

    /// <summary>The limits every sandboxed run gets.</summary>
    public SandboxLimits Limits { get; }

    /// <summary>
    /// Finds bwrap and prlimit on <paramref name="searchPath"/> (PATH when null) and the limit
    /// cgroups, and proves with one real sandbox, as <paramref name="user"/>, that bwrap can
    /// make its namespaces here (it cannot where unprivileged user namespaces are off).
    /// </summary>
    public static BubblewrapSandbox Open(
        SandboxLimits limits, RunUser? user, string? runCgroupsRoot, string dataDirectory, TimeProvider time, ILogger logger, string? searchPath = null)
    {
        ArgumentNullException.ThrowIfNull(limits);
        searchPath ??= Environment.GetEnvironmentVariable("PATH") ?? "";
        var bwrap = FindProgram(BwrapName, searchPath);
        var prlimit = FindProgram(PrlimitName, searchPath);
        var cgroups = SandboxCgroups.Open(runCgroupsRoot, dataDirectory);
        var unavailable =
            bwrap is null ? "bubblewrap (bwrap) is not installed (Debian: apt-get install bubblewrap)"
            : prlimit is null ? "prlimit (util-linux) is not installed"
            : cgroups.Unavailable ?? Probe(bwrap, user);
        if (unavailable is null)
        {
            Log.SandboxOn(logger, bwrap!, cgroups.IsUnified ? "cgroup v2" : "cgroup v1");
        }
        else
        {
            Log.SandboxOff(logger, unavailable);
        }
        return new BubblewrapSandbox(limits, bwrap, prlimit, cgroups, unavailable, time, logger);
    }

    /// <summary>True when runs can be sandboxed here; otherwise <paramref name="reason"/> says why not.</summary>
    public bool IsAvailable([NotNullWhen(false)] out string? reason)
    {
        reason = _unavailable is null ? null : "the sandbox is unavailable: " + _unavailable;
        return reason is null;
    }

    /// <summary>
    /// Turns a prepared run (<see cref="RunContainment.Prepare"/>) into a sandboxed one: its
    /// limits set, the sandbox wrapped around its command.
    /// </summary>
    /// <exception cref="RunStartException">Unavailable, or the limits could not be set.</exception>
    public SandboxRun Prepare(string runId, ProcessStartRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!IsAvailable(out var reason))
        {
            throw new RunStartException(reason);
        }
        SandboxLimitGroup limits;
        RunCgroup? cgroup;
        try
        {
            (limits, cgroup) = _cgroups.Create(runId, request.Cgroup, Limits);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new RunStartException($"The sandbox's limits could not be set: {ex.Message}", ex);
        }
        List<string> asServerUser = [];
        if (limits.JoinFiles.Count > 0)
        {
            asServerUser.AddRange(["/bin/sh", "-c", JoinLimitsScript, "runsstream-join-limits"]);
            asServerUser.AddRange(limits.JoinFiles);
            asServerUser.Add("--");
        }
        var wrapper = new ProcessWrapper(asServerUser, BubblewrapCommand.Create(_prlimit!, _bwrap!, request.WorkingDirectory, Limits, terminal: request.Tty is not null));
        return new SandboxRun(request with { Cgroup = cgroup, Wrapper = wrapper }, limits, Limits, _time, _logger);
    }

    /// <summary>v1 limit folders of runs a previous server process left (call after their processes were stopped).</summary>
    public async Task RemoveLeftoversAsync()
    {
        foreach (var cgroup in _cgroups.Existing())
        {
            await cgroup.KillAndRemoveAsync(TimeSpan.FromSeconds(10), _time).ConfigureAwait(false);
        }
    }

    /// <summary>At shutdown, once every run has ended.</summary>
    public void Shutdown() => _cgroups.RemoveRootsIfEmpty();

    private static string? FindProgram(string name, string searchPath) =>
        searchPath.Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(folder => Path.Combine(folder, name))
            .FirstOrDefault(path => File.Exists(path) && File.GetUnixFileMode(path).HasFlag(UnixFileMode.OtherExecute));

    // Runs "true" in a sandbox like a run's, as the run's user; null when that works.
    private static string? Probe(string bwrap, RunUser? user)
    {
        var start = new ProcessStartInfo
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        if (user is not null)
        {
            start.FileName = "setpriv";
            foreach (var arg in new[] { "--reuid=" + user.Uid.ToString(CultureInfo.InvariantCulture), "--regid=" + user.Gid.ToString(CultureInfo.InvariantCulture), "--init-groups", "--no-new-privs", "--", bwrap })
            {
                start.ArgumentList.Add(arg);
            }
        }
        else
        {
            start.FileName = bwrap;
        }
        // "/" as the workspace: the probe writes nothing.
        foreach (var arg in BubblewrapCommand.Bubblewrap(bwrap, "/").Skip(1))
        {
            start.ArgumentList.Add(arg);
        }
        start.ArgumentList.Add("/bin/true");
        try
        {
            using var process = Process.Start(start)!;
            process.StandardInput.Close();
            var error = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(ProbeTimeout))
            {
                process.Kill();
                return "bwrap did not finish a trial sandbox";
            }
            return process.ExitCode == 0 ? null : $"bwrap cannot make a sandbox here (user namespaces off?): {error.Result.Trim()}";
        }
        catch (Exception ex) when (ex is System.ComponentModel.Win32Exception or IOException)
        {
            return $"bwrap could not be started: {ex.Message}";
        }
    }

    // Event ids 4795-4799: Runs/Execution sandbox (4790-4794 in SandboxRun).
    private static partial class Log
    {
        [LoggerMessage(4795, LogLevel.Information, "Sandboxed runs use {Bwrap} with limits in {Cgroups}")]
        public static partial void SandboxOn(ILogger logger, string bwrap, string cgroups);

        [LoggerMessage(4796, LogLevel.Warning, "Runs cannot be sandboxed: {Reason}")]
        public static partial void SandboxOff(ILogger logger, string reason);
    }
}
