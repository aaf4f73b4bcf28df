using RunsStream.Server.Runs.Execution.Interop;
using RunsStream.Tests.Support;

namespace RunsStream.Tests.Server.Runs.Execution;

/// <summary>
/// Through the real server: as whom a run executes, and that nothing of a cancelled run is left,
/// not even a process that made itself a new session. Tests run as root, as CI does.
/// </summary>
[TestFixture]
public sealed class RunContainmentTests
{
    private RunsServerHost _server = null!;

    [SetUp]
    public async Task SetUp()
    {
        Assert.That(Posix.EffectiveUserId, Is.Zero, "these tests need root, as CI runs them");
        _server = await RunsServerHost.StartAsync();
    }

    [TearDown]
    public async Task TearDown() => await _server.DisposeAsync();

    private async Task<string> LogOfAsync(string command, string? workspaceId = null)
    {
        var runId = await _server.StartRunAsync(command, workspaceId);
        var run = await _server.WaitForTerminalAsync(runId);
        Assert.That(run.GetProperty("status").GetString(), Is.EqualTo("succeeded"), run.GetRawText());
        return await _server.Http.GetStringAsync($"/runs/{runId}/log");
    }

    [Test]
    public async Task A_root_server_runs_commands_as_nobody_at_home_in_their_workspace()
    {
        var log = await LogOfAsync("id -u; id -g; echo $HOME; echo $USER; pwd; touch made-here && echo wrote", "ws-owned");

        var workspace = Path.Combine(_server.Options.WorkspaceRoot, "ws-owned");
        Assert.That(log.Split('\n'), Is.EqualTo(new[] { "65534", "65534", workspace, "nobody", workspace, "wrote", "" }));
        Assert.That(Posix.LookUpUser("nobody")!.Value.Uid, Is.EqualTo(65534u));
        Assert.That(File.Exists(Path.Combine(workspace, "made-here")));
    }

    [Test]
    public async Task A_run_cannot_gain_privileges_through_a_setuid_program()
    {
        // no_new_privs: su, sudo or any setuid binary cannot make the run root again.
        var log = await LogOfAsync("grep NoNewPrivs /proc/self/status");
        Assert.That(log, Does.Match(@"NoNewPrivs:\s+1"));
    }

    [Test]
    public async Task Each_run_executes_in_a_cgroup_of_its_own()
    {
        var runId = await _server.StartRunAsync("cat /proc/self/cgroup");
        await _server.WaitForTerminalAsync(runId);
        var log = await _server.Http.GetStringAsync($"/runs/{runId}/log");

        Assert.That(_server.Runs.Containment.HasCgroups, Is.True, "this machine kind has a writable cgroup v2 hierarchy");
        Assert.That(log, Does.Contain($"/runsstream-").And.Contain($"/{runId}\n"));
    }

    [Test]
    public async Task Cancel_stops_a_child_that_left_the_process_group_with_setsid()
    {
        var marker = ProcessTable.UniqueSleep(4245);
        var runId = await _server.StartRunAsync($"setsid sleep {marker} & echo started; sleep 600");
        try
        {
            await _server.WaitForLogAsync(runId, "started");
            await Eventually.WaitUntilAsync(() => ProcessTable.WithArgument(marker).Count == 1, "the escaped child is running");

            var cancel = await _server.Http.PostAsync($"/runs/{runId}/cancel", null);
            Assert.That((int)cancel.StatusCode, Is.EqualTo(200));
            var run = await _server.WaitForTerminalAsync(runId);

            Assert.That(run.GetProperty("status").GetString(), Is.EqualTo("cancelled"));
            Assert.That(ProcessTable.WithArgument(marker), Is.Empty, "no process of the run is left when it is reported cancelled");
        }
        finally
        {
            ProcessTable.Kill(ProcessTable.WithArgument(marker));
        }
    }

    [Test]
    public async Task A_run_that_ends_leaves_no_daemon_behind_even_one_with_its_own_session()
    {
        var marker = ProcessTable.UniqueSleep(4246);
        var runId = await _server.StartRunAsync($"setsid sleep {marker} > /dev/null 2>&1 < /dev/null & echo done");
        try
        {
            var run = await _server.WaitForTerminalAsync(runId);
            Assert.That(run.GetProperty("status").GetString(), Is.EqualTo("succeeded"));
            Assert.That(ProcessTable.WithArgument(marker), Is.Empty);
        }
        finally
        {
            ProcessTable.Kill(ProcessTable.WithArgument(marker));
        }
    }
}
