using Docker.DotNet;
using Docker.DotNet.Models;
using RunsStream.Server.Runs.Execution.Docker;
using static RunsStream.Tests.Server.Runs.Execution.Docker.ContainerRuns;

namespace RunsStream.Tests.Server.Runs.Execution.Docker;

/// <summary>
/// Crash recovery: containers a dead server left on the engine. A leftover is made the way a
/// crash leaves one, started through the engine with our labels and never removed.
/// </summary>
public sealed class DockerLeftoverContainersTests
{
    [Test]
    public async Task Our_containers_without_a_live_run_are_removed_and_the_others_kept()
    {
        var owner = Guid.NewGuid().ToString("N")[..16];
        using var runner = DockerEngineSetUp.Runner(owner);
        using var client = DockerEngineSetUp.Engine.CreateClient();
        var leftover = await StartSleeperAsync(client, new() { [ContainerLabels.Run] = "run-dead", [ContainerLabels.Owner] = owner });
        var live = await StartSleeperAsync(client, new() { [ContainerLabels.Run] = "run-live", [ContainerLabels.Owner] = owner });
        var otherServers = await StartSleeperAsync(client, new() { [ContainerLabels.Run] = "run-dead", [ContainerLabels.Owner] = "another-server" });
        var notOurs = await StartSleeperAsync(client, new() { ["purpose"] = "someone else's" });
        try
        {
            Assert.That((await runner.ListOursAsync()).Select(c => (c.Id, c.RunId)),
                Is.EquivalentTo(new[] { (leftover, "run-dead"), (live, "run-live") }));

            var removed = await runner.RemoveLeftoversAsync(runId => runId == "run-live").WaitAsync(EngineTimeout);

            Assert.That(removed, Is.EqualTo(1));
            Assert.ThrowsAsync<DockerContainerNotFoundException>(() => client.Containers.InspectContainerAsync(leftover));
            foreach (var kept in new[] { live, otherServers, notOurs })
            {
                Assert.That((await client.Containers.InspectContainerAsync(kept)).State.Running, Is.True, kept);
            }
        }
        finally
        {
            foreach (var id in new[] { live, otherServers, notOurs })
            {
                await runner.RemoveAsync(id);
            }
        }
    }

    [Test]
    public async Task Removing_a_container_that_is_already_gone_is_no_error()
    {
        using var runner = DockerEngineSetUp.Runner();
        using var client = DockerEngineSetUp.Engine.CreateClient();
        var id = await StartSleeperAsync(client, new() { ["purpose"] = "removed twice" });

        await runner.RemoveAsync(id).WaitAsync(EngineTimeout);
        await runner.RemoveAsync(id).WaitAsync(EngineTimeout);

        Assert.ThrowsAsync<DockerContainerNotFoundException>(() => client.Containers.InspectContainerAsync(id));
    }

    private static async Task<string> StartSleeperAsync(DockerClient client, Dictionary<string, string> labels)
    {
        var created = await client.Containers.CreateContainerAsync(new CreateContainerParameters
        {
            Image = Support.PodmanEngine.Image,
            Cmd = ["sleep", "1000"],
            Labels = labels,
            HostConfig = new HostConfig { NetworkMode = "none", Init = true },
        }).WaitAsync(EngineTimeout);
        await client.Containers.StartContainerAsync(created.ID, new ContainerStartParameters()).WaitAsync(EngineTimeout);
        return created.ID;
    }
}
