using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using RunsStream.Server.Runs.Execution.Docker;
using RunsStream.Tests.Support;
using static RunsStream.Tests.Server.Runs.Execution.Docker.ContainerRuns;

namespace RunsStream.Tests.Server.Runs.Execution.Docker;

/// <summary>
/// Issue 13 item 2 through the server, as a user asks for it: <c>"executor": "docker"</c> on
/// POST /runs, against the real podman engine (<see cref="DockerEngineSetUp"/>): output,
/// exit codes, cancel and the removal of leftovers at start.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class DockerExecutorServerTests
{
    private string _dataDirectory = null!;
    private RunsServerHost _server = null!;

    [OneTimeSetUp]
    public async Task Start()
    {
        _dataDirectory = Path.Combine(Path.GetTempPath(), "rs-docker-server-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(_dataDirectory);
        _server = await StartServerAsync(_dataDirectory);
    }

    [OneTimeTearDown]
    public async Task Stop()
    {
        await _server.DisposeAsync();
        Directory.Delete(_dataDirectory, recursive: true);
    }

    private static Task<RunsServerHost> StartServerAsync(string dataDirectory) =>
        RunsServerHost.StartAsync(options => options with
        {
            DataDirectory = dataDirectory,
            WorkspaceRoot = Path.Combine(dataDirectory, "workspaces"),
            Docker = new DockerOptions(DockerEngineSetUp.Engine.Host, PodmanEngine.Image, ContainerLabels.OwnerOf(dataDirectory)),
        });

    private DockerContainerRunner Runner() =>
        new(new DockerOptions(DockerEngineSetUp.Engine.Host, PodmanEngine.Image, ContainerLabels.OwnerOf(_dataDirectory)), NullLogger.Instance);

    private async Task<string> StartAsync(object body)
    {
        var response = await _server.Http.PostAsJsonAsync("/runs", body);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Created), await response.Content.ReadAsStringAsync());
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("runId").GetString()!;
    }

    [Test]
    public async Task A_docker_run_streams_both_streams_and_ends_with_the_containers_exit_code()
    {
        var runId = await StartAsync(new
        {
            command = "echo out-line; echo err-line >&2; cat /proc/1/cgroup > /dev/null; test -d /workspace && echo in-workspace; exit 3",
            executor = "docker",
        });
        var run = await _server.WaitForTerminalAsync(runId);
        Assert.That(run.GetProperty("executor").GetString(), Is.EqualTo("docker"));
        Assert.That(run.GetProperty("status").GetString(), Is.EqualTo("failed"));
        Assert.That(run.GetProperty("exitCode").GetInt32(), Is.EqualTo(3));
        var log = await _server.Http.GetStringAsync($"/runs/{runId}/log");
        Assert.That(log, Does.Contain("out-line\n"));
        Assert.That(log, Does.Contain("err-line\n"));
        Assert.That(log, Does.Contain("in-workspace\n"));

        using var runner = Runner();
        Assert.That(await runner.ListOursAsync(), Is.Empty, "the container is removed after the run");
    }

    [Test]
    public async Task Cancel_stops_the_container_and_removes_it()
    {
        var runId = await StartAsync(new { command = "echo started; sleep 1000", executor = "docker" });
        await Eventually.WaitUntilAsync(
            async () => (await _server.Http.GetStringAsync($"/runs/{runId}/log")).Contains("started"), "the container to run", EngineTimeout);

        using var cancel = await _server.Http.PostAsync($"/runs/{runId}/cancel", null);
        Assert.That(cancel.StatusCode, Is.EqualTo(HttpStatusCode.Accepted).Or.EqualTo(HttpStatusCode.OK));
        var run = await _server.WaitForTerminalAsync(runId, EngineTimeout);
        Assert.That(run.GetProperty("status").GetString(), Is.EqualTo("cancelled"));

        using var runner = Runner();
        Assert.That(await runner.ListOursAsync(), Is.Empty, "the cancelled run's container is gone");
    }

    [Test]
    [Category("SingleNode")] // a server restarted on its own data directory: one node's containers
    public async Task A_container_left_by_an_earlier_server_process_is_removed_at_start()
    {
        var dataDirectory = Path.Combine(Path.GetTempPath(), "rs-docker-crash-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dataDirectory);
        try
        {
            // What a crashed server leaves: a running container labelled with its data directory.
            using var crashed = new DockerContainerRunner(
                new DockerOptions(DockerEngineSetUp.Engine.Host, PodmanEngine.Image, ContainerLabels.OwnerOf(dataDirectory)), NullLogger.Instance);
            _ = await crashed.StartAsync(Shell("sleep 1000", NewWorkspace()) with { RunId = "run-left-behind" });
            Assert.That(await crashed.ListOursAsync(), Has.Count.EqualTo(1));

            await using (var restarted = await StartServerAsync(dataDirectory))
            {
                Assert.That(await crashed.ListOursAsync(), Is.Empty, "the restarted server removed the leftover before serving");
            }
        }
        finally
        {
            Directory.Delete(dataDirectory, recursive: true);
        }
    }
}
