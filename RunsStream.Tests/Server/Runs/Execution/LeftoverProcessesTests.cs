using System.Diagnostics;
using Microsoft.Extensions.Logging.Abstractions;
using RunsStream.Server.Runs.Execution;
using RunsStream.Tests.Support;

namespace RunsStream.Tests.Server.Runs.Execution;

/// <summary>
/// After kill -9 of the server, the next start stops every process its unfinished runs still
/// have before it marks them failed; and it never kills a process that merely got a recorded pid.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class LeftoverProcessesTests
{
    private string _dataDirectory = null!;
    private readonly List<string> _markers = [];

    [SetUp]
    public void SetUp()
    {
        _dataDirectory = Path.Combine(Path.GetTempPath(), "runsstream-leftovers", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_dataDirectory);
    }

    [TearDown]
    public void TearDown()
    {
        foreach (var marker in _markers)
        {
            ProcessTable.Kill(ProcessTable.WithArgument(marker));
        }
        Directory.Delete(_dataDirectory, recursive: true);
    }

    private string Marker(int seconds)
    {
        var marker = ProcessTable.UniqueSleep(seconds);
        _markers.Add(marker);
        return marker;
    }

    [Test]
    public async Task A_restart_after_kill_9_stops_the_runs_processes_before_marking_them_failed()
    {
        var leader = Marker(4242);
        var escaped = Marker(4243);
        string runId;
        await using (var server = await ServerProcess.StartAsync(_dataDirectory))
        {
            runId = await server.StartRunAsync($"setsid sleep {escaped} & echo started; sleep {leader}");
            await server.WaitForLogAsync(runId, "started");
            await Eventually.WaitUntilAsync(() => ProcessTable.WithArgument(escaped).Count == 1, "the escaped child is running");
            // GET /runs makes every queued write durable before it answers.
            (await server.Http.GetAsync("/runs")).EnsureSuccessStatusCode();
            await server.CrashAsync();
        }
        // What the issue saw: the crashed server's run goes on with nobody owning it.
        Assert.That(ProcessTable.WithArgument(leader), Has.Count.EqualTo(1), "the run outlived its server");
        Assert.That(ProcessTable.WithArgument(escaped), Has.Count.EqualTo(1));

        await using var restarted = await ServerProcess.StartAsync(_dataDirectory);

        var run = await restarted.WaitForRunAsync(runId, r => r.GetProperty("status").GetString() != "running");
        Assert.That(run.GetProperty("status").GetString(), Is.EqualTo("failed"));
        Assert.That(run.GetProperty("reason").GetString(), Is.EqualTo("server restarted"));
        Assert.That(ProcessTable.WithArgument(leader), Is.Empty, "the leader is gone");
        Assert.That(ProcessTable.WithArgument(escaped), Is.Empty, "so is the child that left the group");
        Assert.That(Directory.EnumerateFileSystemEntries(Path.Combine(_dataDirectory, RunProcessLedger.FolderName)), Is.Empty);
    }

    [Test]
    public async Task Without_a_cgroup_the_recorded_process_group_is_killed_when_its_leader_is_the_same_process()
    {
        var marker = Marker(4247);
        using var group = StartGroup($"sleep {marker} & sleep {marker}; wait");
        var ledger = new RunProcessLedger(_dataDirectory);
        ledger.Record(new RunProcessLedger.Entry("run-a", ProcessIdentity.Of(group.Id)!, CgroupPath: null));
        await Eventually.WaitUntilAsync(() => ProcessTable.WithArgument(marker).Count == 2, "both members of the group are running");

        var stopped = await LeftoverProcesses.StopAsync(ledger, NoCgroups(), TimeProvider.System, NullLogger.Instance);

        Assert.That(stopped, Is.EqualTo(1));
        await Eventually.WaitUntilAsync(() => ProcessTable.WithArgument(marker).Count == 0, "both members killed");
        Assert.That(ledger.ReadAll(), Is.Empty);
    }

    [Test]
    public async Task A_recorded_pid_that_now_belongs_to_another_process_is_never_killed()
    {
        var marker = Marker(4248);
        using var stranger = StartGroup($"sleep {marker}");
        // Until setsid and sh have exec'd, no process has the marker as an argument.
        await Eventually.WaitUntilAsync(() => ProcessTable.WithArgument(marker).Count == 1, "the stranger is running");
        var now = ProcessIdentity.Of(stranger.Id)!;
        var ledger = new RunProcessLedger(_dataDirectory);
        // Same pid, but the recorded leader started at another time: the pid was reused.
        ledger.Record(new RunProcessLedger.Entry("run-b", now with { StartTicks = now.StartTicks - 1 }, CgroupPath: null));

        var stopped = await LeftoverProcesses.StopAsync(ledger, NoCgroups(), TimeProvider.System, NullLogger.Instance);

        Assert.That(stopped, Is.Zero);
        Assert.That(stranger.HasExited, Is.False);
        Assert.That(ProcessTable.WithArgument(marker), Has.Count.EqualTo(1));
        Assert.That(ledger.ReadAll(), Is.Empty, "the stale record is dropped");
    }

    [Test]
    public async Task A_record_from_another_boot_names_no_process()
    {
        var marker = Marker(4249);
        using var stranger = StartGroup($"sleep {marker}");
        await Eventually.WaitUntilAsync(() => ProcessTable.WithArgument(marker).Count == 1, "the stranger is running");
        var ledger = new RunProcessLedger(_dataDirectory);
        ledger.Record(new RunProcessLedger.Entry("run-c", ProcessIdentity.Of(stranger.Id)! with { BootId = "another-boot" }, CgroupPath: null));

        await LeftoverProcesses.StopAsync(ledger, NoCgroups(), TimeProvider.System, NullLogger.Instance);

        Assert.That(stranger.HasExited, Is.False);
    }

    // As on a machine without cgroups: the process group is all there is.
    private static RunCgroups NoCgroups() => RunCgroups.Unavailable(NullLogger.Instance);

    private static Process StartGroup(string script)
    {
        var start = new ProcessStartInfo("setsid") { UseShellExecute = false };
        start.ArgumentList.Add("/bin/sh");
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(script);
        return Process.Start(start)!;
    }
}
