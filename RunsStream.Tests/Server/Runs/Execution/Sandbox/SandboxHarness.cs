using Microsoft.Extensions.Logging.Abstractions;
using RunsStream.Server.Runs.Execution;
using RunsStream.Server.Runs.Execution.Sandbox;
using RunsStream.Tests.Server.Runs.Execution;

namespace RunsStream.Tests.Server.Runs.Execution.Sandbox;

/// <summary>
/// Real sandboxed runs as the server makes them: a scratch DATA_DIR, the runs' cgroups, the
/// run user (nobody, the tests run as root), a workspace per run, bwrap. Runs the same
/// command unsandboxed too, so each test shows that the sandbox is what stops it.
/// </summary>
internal sealed class SandboxHarness : IAsyncDisposable
{
    public static readonly TimeSpan AwaitTimeout = TimeSpan.FromSeconds(90);

    private readonly List<RunProcess> _started = [];
    private readonly List<string> _folders = [];
    private readonly RunCgroups _cgroups;
    private int _runs;

    public SandboxHarness(SandboxLimits? limits = null)
    {
        DataDirectory = NewFolder("runsstream-sbx-data-");
        User = RunUser.Resolve(null);
        _cgroups = RunCgroups.Open(DataDirectory, NullLogger.Instance);
        Sandbox = BubblewrapSandbox.Open(
            limits ?? SandboxLimits.Default, User, _cgroups.Root, DataDirectory, TimeProvider.System, NullLogger.Instance);
        Assert.That(Sandbox.IsAvailable(out var reason), Is.True, reason);
    }

    public string DataDirectory { get; }

    public RunUser? User { get; }

    public BubblewrapSandbox Sandbox { get; }

    /// <summary>A sandboxed run, started and watched.</summary>
    public Run StartSandboxed(string command) => Start(command, sandboxed: true);

    /// <summary>The same command as an ordinary run (same user, same kind of workspace).</summary>
    public Run StartPlain(string command) => Start(command, sandboxed: false);

    /// <summary>Runs <paramref name="command"/> to its end; returns its output, outcome and limit reason.</summary>
    public async Task<Result> RunAsync(string command, bool sandboxed = true)
    {
        var run = Start(command, sandboxed);
        return await run.FinishAsync();
    }

    private Run Start(string command, bool sandboxed)
    {
        // Unique across test runs too: the v1 limit folders are named after it.
        var runId = "sbx" + Interlocked.Increment(ref _runs) + "-" + Guid.NewGuid().ToString("N")[..8];
        var workspace = NewFolder("runsstream-sbx-ws-");
        User?.Own(workspace);
        var request = new ProcessStartRequest(command, workspace, User: User, Cgroup: _cgroups.Create(runId));
        var sandbox = sandboxed ? Sandbox.Prepare(runId, request) : null;
        var sink = new RecordingOutputSink();
        var process = RunProcess.Start(sandbox?.Request ?? request, sink, new OutputCoalescingOptions(), NullLogger.Instance);
        sandbox?.Started(process);
        _started.Add(process);
        return new Run(process, sandbox, sink, workspace, sandbox?.Request.Cgroup ?? request.Cgroup);
    }

    private string NewFolder(string prefix)
    {
        var path = Directory.CreateTempSubdirectory(prefix).FullName;
        // Others may pass through (as a real WORKSPACE_ROOT): what keeps the run out is the sandbox.
        File.SetUnixFileMode(path, (UnixFileMode)Convert.ToInt32("755", 8));
        _folders.Add(path);
        return path;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var process in _started)
        {
            await process.DisposeAsync().AsTask().WaitAsync(AwaitTimeout);
        }
        foreach (var folder in _folders)
        {
            Directory.Delete(folder, recursive: true);
        }
        Sandbox.Shutdown();
        _cgroups.RemoveRootIfEmpty();
    }

    internal sealed record Result(string Output, int ExitCode, string? Reason);

    internal sealed record Run(RunProcess Process, SandboxRun? Sandbox, RecordingOutputSink Sink, string Workspace, RunCgroup? Cgroup)
    {
        public async Task<Result> FinishAsync()
        {
            var outcome = await Process.Completion.WaitAsync(AwaitTimeout);
            var reason = Sandbox is null ? null : await Sandbox.FinishAsync(outcome).WaitAsync(AwaitTimeout);
            Sandbox?.Dispose();
            return new Result(Sink.AllText, outcome.ExitCode, reason);
        }
    }
}
