using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using RunsStream.Tests.Support;

namespace RunsStream.Tests.Deploy;

/// <summary>
/// The Dockerfile, built with Debian's podman on this machine without a registry: its
/// "prebuilt" target on a base image made from the machine's own libraries
/// (scripts/lib/podman.sh import_host_runtime_image), with the folder scripts/publish made.
/// The image runs as a non-root user with DATA_DIR as a volume, and its healthcheck passes
/// against the running server. The container is removed by its id.
/// </summary>
[NonParallelizable]
public sealed class ContainerImageTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(10);
    private const string BaseImage = "localhost/runsstream-runtime-base:test";
    private const string Image = "localhost/runsstream:test";

    private string _podman = null!;
    private string _context = null!;
    private Dictionary<string, string> _environment = null!;

    [OneTimeSetUp]
    public async Task Prepare()
    {
        _podman = Directory.CreateTempSubdirectory("runsstream-podman-").FullName;
        var setUp = await ScriptRunner.BashAsync(
            $"source scripts/lib/podman.sh; ensure_podman; write_podman_conf '{_podman}'; import_host_runtime_image '{_podman}' '{BaseImage}'", Timeout);
        Assert.That(setUp.ExitCode, Is.Zero, $"podman could not be set up: {setUp}");
        _environment = new()
        {
            ["CONTAINERS_CONF"] = Path.Combine(_podman, "containers.conf"),
            ["CONTAINERS_STORAGE_CONF"] = Path.Combine(_podman, "storage.conf"),
        };
        // The build context: the Dockerfile and the published folder where its prebuilt stage looks.
        _context = Directory.CreateTempSubdirectory("runsstream-image-").FullName;
        File.Copy(Path.Combine(RepoPaths.Root, "Dockerfile"), Path.Combine(_context, "Dockerfile"));
        var published = await PublishedBuilds.FolderOfAsync("jit");
        Directory.CreateDirectory(Path.Combine(_context, "artifacts", "publish"));
        var copy = await ScriptRunner.RunAsync("cp", ["-a", published, Path.Combine(_context, "artifacts", "publish", "jit")], Timeout, workingDirectory: _context);
        Assert.That(copy.ExitCode, Is.Zero, copy.ToString());
    }

    [OneTimeTearDown]
    public async Task CleanUp()
    {
        await PodmanAsync(["rmi", "--force", Image]);
        // The storage is podman's (vfs layers, root-owned): removed with the engine's own reset.
        await PodmanAsync(["system", "reset", "--force"]);
        Directory.Delete(_podman, recursive: true);
        Directory.Delete(_context, recursive: true);
    }

    [Test]
    public async Task The_image_builds_runs_as_a_non_root_user_with_a_data_volume_and_passes_its_healthcheck()
    {
        var build = await PodmanAsync(["build", "--format", "docker", "--target", "prebuilt", "--build-arg", $"RUNTIME_IMAGE={BaseImage}", "-t", Image, _context]);
        Assert.That(build.ExitCode, Is.Zero, build.ToString());

        var inspect = await PodmanAsync(["image", "inspect", Image]);
        Assert.That(inspect.ExitCode, Is.Zero, inspect.ToString());
        var config = JsonDocument.Parse(inspect.Stdout).RootElement[0].GetProperty("Config");
        Assert.That(config.GetProperty("User").GetString(), Is.EqualTo("10001:10001"));
        Assert.That(config.GetProperty("Volumes").TryGetProperty("/var/lib/runsstream", out _), Is.True, config.ToString());
        Assert.That(config.GetProperty("ExposedPorts").TryGetProperty("4000/tcp", out _), Is.True, config.ToString());
        Assert.That(JsonDocument.Parse(inspect.Stdout).RootElement[0].GetProperty("Healthcheck").GetProperty("Test")[0].GetString(), Is.EqualTo("CMD"), inspect.Stdout);
        Assert.That(config.GetProperty("Env").EnumerateArray().Select(e => e.GetString()), Does.Contain("DATA_DIR=/var/lib/runsstream"));

        // The host's network (no CNI on these machines), a free port of it.
        var port = FreePort();
        var run = await PodmanAsync(["run", "--detach", "--network", "host", "--env", $"PORT={port}", "--env", $"WS_AUTH_TOKEN={RunsServerHost.Token}", Image]);
        Assert.That(run.ExitCode, Is.Zero, run.ToString());
        var container = run.Stdout.Trim();
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
            http.DefaultRequestHeaders.Authorization = new("Bearer", RunsServerHost.Token);
            await Eventually.WaitUntilAsync(async () =>
            {
                try
                {
                    return (await http.GetAsync("/healthz")).StatusCode == HttpStatusCode.OK;
                }
                catch (HttpRequestException)
                {
                    return false;
                }
            }, $"the container's /healthz; its log: {(await PodmanAsync(["logs", container])).Stderr}", TimeSpan.FromSeconds(60));

            var health = await PodmanAsync(["healthcheck", "run", container]);
            Assert.That(health.ExitCode, Is.Zero, $"the image's HEALTHCHECK: {health}");

            using var created = await http.PostAsync("/runs", new StringContent("{\"command\":\"id -u; touch /var/lib/runsstream/probe && echo writable\"}", System.Text.Encoding.UTF8, "application/json"));
            var runId = JsonDocument.Parse(await created.Content.ReadAsStringAsync()).RootElement.GetProperty("runId").GetString()!;
            var log = await Eventually.ValueAsync(() => http.GetStringAsync($"/runs/{runId}/log"), l => l.Contains("writable"), l => $"the run's log: {l}", TimeSpan.FromSeconds(60));
            Assert.That(log, Does.StartWith("10001\n"), "the server and its runs are the image's user, not root");

            var logs = await PodmanAsync(["logs", container]);
            Assert.That(logs.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).All(l => l.StartsWith('{')), Is.True, $"LOG_FORMAT=json in the image: {logs.Stdout}");
        }
        finally
        {
            await PodmanAsync(["rm", "--force", container]);
        }
    }

    private Task<ScriptRunner.Result> PodmanAsync(IEnumerable<string> arguments) =>
        ScriptRunner.RunAsync("podman", arguments, Timeout, _environment, workingDirectory: _podman);

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
