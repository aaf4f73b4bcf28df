using RunsStream.Server.Runs.Execution.Interop;
using RunsStream.Server.Runs.Execution.Sandbox;
using RunsStream.Tests.Support;

namespace RunsStream.Tests.Server.Runs.Execution.Sandbox;

/// <summary>
/// A sandboxed run that reaches a limit ends with a reason naming it, and nothing else (the
/// server, another run) notices. Small limits so that the runs reach them quickly.
/// </summary>
[TestFixture]
public sealed class SandboxLimitTests
{
    private static readonly SandboxLimits Small = new(MemoryBytes: 64L * 1024 * 1024, Processes: 64, CpuSeconds: 1, FileBytes: 4096);

    private SandboxHarness _harness = null!;

    [SetUp]
    public void SetUp()
    {
        Assert.That(Posix.EffectiveUserId, Is.Zero, "these tests need root, as CI runs them");
        _harness = new SandboxHarness(Small);
    }

    [TearDown]
    public async Task TearDown() => await _harness.DisposeAsync();

    [Test]
    public async Task A_fork_bomb_ends_with_the_process_limit_while_another_run_finishes_its_work()
    {
        var other = _harness.StartSandboxed("for i in 1 2 3 4 5; do echo line$i; sleep 0.2; done");
        var bomb = _harness.StartSandboxed("bomb() { bomb | bomb & }; bomb; wait; sleep 600");

        var bombed = await bomb.FinishAsync();
        var finished = await other.FinishAsync();

        Assert.That(bombed.Reason, Is.EqualTo("process limit reached (64)"));
        Assert.That(bomb.Cgroup!.Exists, Is.False, "nothing of the bomb is left");
        Assert.That(finished.ExitCode, Is.Zero);
        Assert.That(finished.Output, Is.EqualTo("line1\nline2\nline3\nline4\nline5\n"));
        Assert.That(finished.Reason, Is.Null);
        // The server can still start processes.
        var after = await _harness.RunAsync("echo still-fine", sandboxed: false);
        Assert.That(after.Output, Is.EqualTo("still-fine\n"));
    }

    [Test]
    public async Task A_memory_hog_ends_with_the_memory_limit()
    {
        // tail keeps a line without a newline whole: 512 MiB of it against a 64 MiB limit.
        // The shell survives its killed child: the run still ends, not 600 s later.
        var result = await _harness.RunAsync("head -c 536870912 /dev/zero | tail; echo survived; sleep 600");

        Assert.That(result.Reason, Is.EqualTo("memory limit reached (64 MiB)"));
        Assert.That(result.ExitCode, Is.EqualTo(128 + 9));
    }

    [Test]
    public async Task Memory_under_the_limit_is_fine()
    {
        var result = await _harness.RunAsync("head -c 16777216 /dev/zero | tail | wc -c");

        Assert.That(result.Reason, Is.Null);
        Assert.That(result.Output.Trim(), Is.EqualTo("16777216"));
    }

    [Test]
    public async Task An_endless_loop_ends_with_the_cpu_time_limit()
    {
        var result = await _harness.RunAsync("while :; do :; done");

        Assert.That(result.ExitCode, Is.EqualTo(128 + 24), result.Output);
        Assert.That(result.Reason, Is.EqualTo("CPU time limit reached (1 s)"));
    }

    [Test]
    public async Task Writing_a_file_past_the_size_limit_ends_with_the_file_size_limit()
    {
        var run = _harness.StartSandboxed("head -c 10000 /dev/zero > big");
        var result = await run.FinishAsync();

        Assert.That(result.Reason, Is.EqualTo("file size limit reached (4 KiB)"));
        Assert.That(new FileInfo(Path.Combine(run.Workspace, "big")).Length, Is.EqualTo(4096));
    }

    [Test]
    public async Task Cancel_lets_a_sandboxed_trap_run_then_leaves_nothing()
    {
        var marker = ProcessTable.UniqueSleep(4311);
        var run = _harness.StartSandboxed($"trap 'echo cleaned; exit 3' TERM; sleep {marker} & echo ready; while :; do sleep 0.1; done");
        await Eventually.WaitUntilAsync(() => run.Sink.AllText.Contains("ready"), "the run is ready");
        await Eventually.WaitUntilAsync(() => ProcessTable.WithArgument(marker).Count == 1, "its background sleep runs");

        run.Process.Terminate(TimeSpan.FromSeconds(30));
        var result = await run.FinishAsync();

        Assert.That(result.Output, Does.Contain("cleaned"));
        Assert.That(ProcessTable.WithArgument(marker), Is.Empty);
        Assert.That(run.Cgroup!.Exists, Is.False);
    }

    [Test]
    public async Task Cancel_kills_a_sandboxed_run_that_ignores_sigterm_after_the_grace()
    {
        var marker = ProcessTable.UniqueSleep(4312);
        var run = _harness.StartSandboxed($"trap '' TERM; echo ready; sleep {marker}");
        await Eventually.WaitUntilAsync(() => ProcessTable.WithArgument(marker).Count == 1, "the run sleeps");

        run.Process.Terminate(TimeSpan.FromSeconds(1));
        await run.FinishAsync();

        Assert.That(ProcessTable.WithArgument(marker), Is.Empty);
        Assert.That(run.Cgroup!.Exists, Is.False);
    }

    [Test]
    public async Task A_run_started_from_a_thread_that_has_ended_keeps_running()
    {
        // bwrap's --die-with-parent is tied to the thread that started it; .NET may retire that
        // thread (a thread-pool worker) long before the run ends.
        SandboxHarness.Run? run = null;
        using var started = new ManualResetEventSlim();
        var thread = new Thread(() =>
        {
            run = _harness.StartSandboxed("echo started; sleep 2; echo still-alive");
            // Ends only once bwrap is up (and would have armed its parent-death signal).
            started.Wait(SandboxHarness.AwaitTimeout);
        });
        thread.Start();
        await Eventually.WaitUntilAsync(() => run?.Sink.AllText.Contains("started") == true, "the run started");
        started.Set();
        thread.Join();

        var result = await run!.FinishAsync();

        Assert.That(result.Output, Is.EqualTo("started\nstill-alive\n"));
    }
}
