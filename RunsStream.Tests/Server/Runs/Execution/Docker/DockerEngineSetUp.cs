using Microsoft.Extensions.Logging.Abstractions;
using RunsStream.Server.Runs.Execution.Docker;
using RunsStream.Tests.Support;

namespace RunsStream.Tests.Server.Runs.Execution.Docker;

/// <summary>One podman engine for every docker test of the run, stopped by its pid at the end.</summary>
[SetUpFixture]
public sealed class DockerEngineSetUp
{
    private static PodmanEngine? _engine;

    /// <summary>Where the tests' workspaces are made; removed at the end.</summary>
    internal static string Workspaces { get; } = Path.Combine(Path.GetTempPath(), "rs-docker-workspaces-" + Environment.ProcessId);

    internal static PodmanEngine Engine => _engine ?? throw new InvalidOperationException("the podman engine did not start");

    /// <summary>A runner on the test engine whose containers carry <paramref name="owner"/> (a fresh one by default).</summary>
    internal static DockerContainerRunner Runner(string? owner = null) =>
        new(new DockerOptions(Engine.Host, PodmanEngine.Image, owner ?? Guid.NewGuid().ToString("N")[..16]), NullLogger.Instance);

    [OneTimeSetUp]
    public async Task StartEngine() => _engine = await PodmanEngine.StartAsync();

    [OneTimeTearDown]
    public async Task StopEngine()
    {
        if (_engine is not null)
        {
            await _engine.DisposeAsync();
        }
        if (Directory.Exists(Workspaces))
        {
            Directory.Delete(Workspaces, recursive: true);
        }
    }
}
