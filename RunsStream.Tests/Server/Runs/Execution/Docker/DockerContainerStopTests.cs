using System.Diagnostics;
using Docker.DotNet;
using RunsStream.Server.Runs.Execution;
using static RunsStream.Tests.Server.Runs.Execution.Docker.ContainerRuns;

namespace RunsStream.Tests.Server.Runs.Execution.Docker;

/// <summary>Cancel: SIGTERM, then SIGKILL after the grace period; the container is gone after.</summary>
public sealed class DockerContainerStopTests
{
    [Test]
    public async Task A_stopped_sleep_ends_on_SIGTERM_well_before_the_grace_period_and_is_removed()
    {
        using var runner = DockerEngineSetUp.Runner();
        var run = await runner.StartAsync(Shell("echo started; sleep 1000", NewWorkspace())).WaitAsync(EngineTimeout);
        await WaitForStdoutAsync(run, "started\n");

        var clock = Stopwatch.StartNew();
        await run.StopAsync(TimeSpan.FromSeconds(60)).WaitAsync(EngineTimeout);
        var result = await ReadToEndAsync(run);

        // 60 s grace: ending in far less shows the SIGTERM reached sleep (through the init).
        Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(40)));
        Assert.That(result.Exit.Stopped, Is.True);
        Assert.That(result.Exit.ExitCode, Is.EqualTo(128 + 15));
        Assert.That(result.Exit.Reason, Is.EqualTo("stopped (canceled)"));
        AssertGone(run.Id);
    }

    [Test]
    public async Task A_command_that_ignores_SIGTERM_is_killed_after_the_grace_period()
    {
        using var runner = DockerEngineSetUp.Runner();
        var run = await runner.StartAsync(Shell("trap 'echo got TERM' TERM; echo started; while true; do sleep 1; done", NewWorkspace()))
            .WaitAsync(EngineTimeout);
        await WaitForStdoutAsync(run, "started\n");

        var clock = Stopwatch.StartNew();
        await run.StopAsync(TimeSpan.FromSeconds(2)).WaitAsync(EngineTimeout);
        var result = await ReadToEndAsync(run);

        Assert.That(clock.Elapsed, Is.GreaterThanOrEqualTo(TimeSpan.FromSeconds(1.5)), "the grace period was not waited");
        Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(2 + 30)), "grace + margin");
        Assert.That(result.Stdout, Does.Contain("got TERM"));
        Assert.That(result.Exit.ExitCode, Is.EqualTo(128 + 9));
        Assert.That(result.Exit.Stopped, Is.True);
        AssertGone(run.Id);
    }

    private static async Task WaitForStdoutAsync(RunsStream.Server.Runs.Execution.Docker.DockerContainerRun run, string text)
    {
        using var deadline = new CancellationTokenSource(EngineTimeout);
        var seen = "";
        while (!seen.Contains(text, StringComparison.Ordinal))
        {
            var chunk = await run.Output.ReadAsync(deadline.Token);
            if (chunk.Stream == OutputStream.Stdout)
            {
                seen += System.Text.Encoding.UTF8.GetString(chunk.Bytes.Span);
            }
        }
    }

    private static void AssertGone(string id)
    {
        using var client = DockerEngineSetUp.Engine.CreateClient();
        Assert.ThrowsAsync<DockerContainerNotFoundException>(() => client.Containers.InspectContainerAsync(id));
    }
}
