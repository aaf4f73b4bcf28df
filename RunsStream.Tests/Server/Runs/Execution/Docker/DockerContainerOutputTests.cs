using Docker.DotNet;
using RunsStream.Server.Runs.Execution.Docker;
using static RunsStream.Tests.Server.Runs.Execution.Docker.ContainerRuns;

namespace RunsStream.Tests.Server.Runs.Execution.Docker;

/// <summary>A container's output, exit code, workspace and removal, on the real podman engine.</summary>
public sealed class DockerContainerOutputTests
{
    [Test]
    public async Task Stdout_and_stderr_arrive_separated_and_complete()
    {
        using var runner = DockerEngineSetUp.Runner();
        var workspace = NewWorkspace();
        // Enough lines to span many chunks of the multiplexed stream on both sides.
        var result = await RunAsync(runner, Shell(
            "i=0; while [ $i -lt 3000 ]; do echo \"out $i\"; echo \"err $i\" >&2; i=$((i+1)); done", workspace));

        var expectedOut = string.Concat(Enumerable.Range(0, 3000).Select(i => $"out {i}\n"));
        var expectedErr = string.Concat(Enumerable.Range(0, 3000).Select(i => $"err {i}\n"));
        Assert.Multiple(() =>
        {
            Assert.That(result.Stdout, Is.EqualTo(expectedOut));
            Assert.That(result.Stderr, Is.EqualTo(expectedErr));
            Assert.That(result.Exit.ExitCode, Is.EqualTo(0));
            Assert.That(result.Exit.Reason, Is.Null);
        });
    }

    [Test]
    public async Task The_exit_code_of_the_command_is_reported()
    {
        using var runner = DockerEngineSetUp.Runner();
        var result = await RunAsync(runner, Shell("echo bye; exit 3", NewWorkspace()));

        Assert.That(result.Exit, Is.EqualTo(new ContainerExit(3, OomKilled: false, Stopped: false, Reason: null)));
        Assert.That(result.Stdout, Is.EqualTo("bye\n"));
    }

    [Test]
    public async Task The_workspace_is_the_working_directory_and_its_files_reach_the_host()
    {
        using var runner = DockerEngineSetUp.Runner();
        var workspace = NewWorkspace();
        await File.WriteAllTextAsync(Path.Combine(workspace, "input.txt"), "from the host\n");

        var result = await RunAsync(runner, Shell("pwd; cat input.txt; echo \"$GREETING\" > output.txt", workspace) with
        {
            Environment = new Dictionary<string, string> { ["GREETING"] = "from the container" },
        });

        Assert.That(result.Stdout, Is.EqualTo("/workspace\nfrom the host\n"));
        Assert.That(await File.ReadAllTextAsync(Path.Combine(workspace, "output.txt")), Is.EqualTo("from the container\n"));
    }

    [Test]
    public async Task The_container_is_removed_after_its_exit()
    {
        using var runner = DockerEngineSetUp.Runner();
        var run = await runner.StartAsync(Shell("echo done", NewWorkspace())).WaitAsync(EngineTimeout);
        await ReadToEndAsync(run);

        using var client = DockerEngineSetUp.Engine.CreateClient();
        Assert.ThrowsAsync<DockerContainerNotFoundException>(() => client.Containers.InspectContainerAsync(run.Id));
        Assert.That(await runner.ListOursAsync(), Is.Empty);
    }
}
