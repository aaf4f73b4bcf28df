using Microsoft.Extensions.Logging.Abstractions;
using RunsStream.Server.Runs.Execution;
using RunsStream.Server.Runs.Execution.Docker;
using static RunsStream.Tests.Server.Runs.Execution.Docker.ContainerRuns;

namespace RunsStream.Tests.Server.Runs.Execution.Docker;

/// <summary>Bad input and an unusable engine are a clear <see cref="RunStartException"/>, and leave nothing behind.</summary>
public sealed class DockerContainerStartErrorsTests
{
    [Test]
    public void A_missing_image_is_named()
    {
        using var runner = DockerEngineSetUp.Runner();
        var spec = Shell("true", NewWorkspace()) with { Image = "localhost/no-such-image:1" };

        var error = Assert.ThrowsAsync<RunStartException>(() => runner.StartAsync(spec));

        Assert.That(error!.Message, Does.Contain("localhost/no-such-image:1").And.Contain("not on the Docker engine"));
    }

    [Test]
    public void No_image_and_no_default_is_refused()
    {
        using var runner = new DockerContainerRunner(new DockerOptions(DockerEngineSetUp.Engine.Host, null, "owner"), NullLogger.Instance);

        var error = Assert.ThrowsAsync<RunStartException>(() => runner.StartAsync(Shell("true", NewWorkspace())));

        Assert.That(error!.Message, Does.Contain("DOCKER_IMAGE"));
    }

    [TestCase("relative/path", "not an existing absolute directory")]
    [TestCase("/no/such/workspace", "not an existing absolute directory")]
    public void A_bad_workspace_is_refused(string workspace, string message)
    {
        using var runner = DockerEngineSetUp.Runner();

        var error = Assert.ThrowsAsync<RunStartException>(() => runner.StartAsync(Shell("true", workspace)));

        Assert.That(error!.Message, Does.Contain(message));
    }

    [Test]
    public void A_bad_environment_variable_name_is_refused()
    {
        using var runner = DockerEngineSetUp.Runner();
        var spec = Shell("true", NewWorkspace()) with { Environment = new Dictionary<string, string> { ["A=B"] = "x" } };

        var error = Assert.ThrowsAsync<RunStartException>(() => runner.StartAsync(spec));

        Assert.That(error!.Message, Does.Contain("'A=B'"));
    }

    [Test]
    public void A_non_positive_limit_is_refused()
    {
        using var runner = DockerEngineSetUp.Runner();
        var spec = Shell("true", NewWorkspace(), new ContainerLimits(Pids: 0));

        var error = Assert.ThrowsAsync<RunStartException>(() => runner.StartAsync(spec));

        Assert.That(error!.Message, Does.Contain("process limit"));
    }

    [Test]
    public void An_engine_that_is_not_there_is_named()
    {
        var socket = Path.Combine(NewWorkspace(), "nothing.sock");
        using var runner = new DockerContainerRunner(new DockerOptions(new Uri("unix://" + socket), "image", "owner"), NullLogger.Instance);

        var error = Assert.ThrowsAsync<RunStartException>(() => runner.StartAsync(Shell("true", NewWorkspace())));

        Assert.That(error!.Message, Does.Contain(socket));
    }

    [Test]
    public async Task A_program_missing_from_the_image_fails_with_the_reason_and_leaves_no_container()
    {
        var owner = Guid.NewGuid().ToString("N")[..16];
        using var runner = DockerEngineSetUp.Runner(owner);
        var spec = Shell("true", NewWorkspace()) with { Command = ["/bin/no-such-program"] };

        var result = await RunAsync(runner, spec);

        // The init reports the failed exec (catatonit: 1, docker-init: 127).
        Assert.That(result.Exit.ExitCode, Is.Not.EqualTo(0));
        Assert.That(result.Stderr, Does.Contain("No such file or directory"));
        Assert.That(await runner.ListOursAsync(), Is.Empty);
    }

    [TestCase(null, "unix:///var/run/docker.sock")]
    [TestCase("unix:///tmp/x/podman.sock", "unix:///tmp/x/podman.sock")]
    [TestCase("tcp://127.0.0.1:2375", "tcp://127.0.0.1:2375")]
    public void DOCKER_HOST_picks_the_engine(string? host, string expected)
    {
        var options = DockerOptions.FromEnvironment(name => name == "DOCKER_HOST" ? host : null, "owner");

        Assert.That(options.Host, Is.EqualTo(new Uri(expected)));
    }

    [Test]
    public void A_DOCKER_HOST_that_is_not_an_engine_address_is_refused()
    {
        var error = Assert.Throws<ArgumentException>(() => DockerOptions.FromEnvironment(name => name == "DOCKER_HOST" ? "docker.sock" : null, "o"));

        Assert.That(error!.Message, Does.Contain("DOCKER_HOST 'docker.sock'"));
    }

    [Test]
    public void Two_data_directories_get_two_owners_and_one_gets_the_same_each_time()
    {
        Assert.That(ContainerLabels.OwnerOf("/var/lib/a"), Is.EqualTo(ContainerLabels.OwnerOf("/var/lib/a/")));
        Assert.That(ContainerLabels.OwnerOf("/var/lib/a"), Is.Not.EqualTo(ContainerLabels.OwnerOf("/var/lib/b")));
    }
}
