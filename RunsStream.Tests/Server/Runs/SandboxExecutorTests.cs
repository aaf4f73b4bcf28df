using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using RunsStream.Server.Runs.Execution.Sandbox;
using RunsStream.Tests.Support;

namespace RunsStream.Tests.Server.Runs;

/// <summary>
/// Issue 13 item 3 through the server, as a user asks for it: <c>"executor": "sandbox"</c> on
/// POST /runs. What the sandbox itself enforces is proven in Execution/Sandbox; here, that the
/// server really wraps such runs, leaves "process" runs as they were, and reports a limit as the
/// run's reason.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class SandboxExecutorTests
{
    private RunsServerHost _server = null!;
    private string _secret = null!;

    [OneTimeSetUp]
    public async Task Start()
    {
        _server = await RunsServerHost.StartAsync(options => options with
        {
            Sandbox = SandboxLimits.Default with { Processes = 64, MemoryBytes = 64L * 1024 * 1024 },
        });
        // Readable by every user, so only the sandbox stands between a run and it.
        _secret = Path.Combine(_server.DataDirectory, "world-readable-secret.txt");
        await File.WriteAllTextAsync(_secret, "the server's secret");
        File.SetUnixFileMode(_secret, (UnixFileMode)0b110_100_100);
    }

    [OneTimeTearDown]
    public async Task Stop() => await _server.DisposeAsync();

    private async Task<(JsonElement Run, string Log)> RunAsync(object body)
    {
        var response = await _server.Http.PostAsJsonAsync("/runs", body);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Created), await response.Content.ReadAsStringAsync());
        var runId = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("runId").GetString()!;
        var run = await _server.WaitForTerminalAsync(runId);
        var log = await _server.Http.GetStringAsync($"/runs/{runId}/log");
        return (run, log);
    }

    [Test]
    public async Task A_sandboxed_run_cannot_read_what_a_process_run_can_and_writes_its_workspace()
    {
        var command = $"cat {_secret} || echo no-secret; echo made > out.txt && cat out.txt";

        var (plain, plainLog) = await RunAsync(new { command });
        Assert.That(plain.GetProperty("executor").GetString(), Is.EqualTo("process"));
        Assert.That(plainLog, Does.Contain("the server's secret"), "without the sandbox the file is readable: the check below can fail");

        var (boxed, boxedLog) = await RunAsync(new { command, executor = "sandbox" });
        Assert.That(boxed.GetProperty("executor").GetString(), Is.EqualTo("sandbox"));
        Assert.That(boxed.GetProperty("status").GetString(), Is.EqualTo("succeeded"), boxedLog);
        Assert.That(boxedLog, Does.Not.Contain("the server's secret"));
        Assert.That(boxedLog, Does.Contain("no-secret"));
        Assert.That(boxedLog, Does.Contain("made"));
    }

    [Test]
    public async Task A_fork_bomb_in_the_sandbox_fails_with_the_process_limit_as_its_reason()
    {
        var (run, _) = await RunAsync(new { command = "f() { f | f & }; f; sleep 30", executor = "sandbox" });
        Assert.That(run.GetProperty("status").GetString(), Is.EqualTo("failed"));
        Assert.That(run.GetProperty("reason").GetString(), Does.Contain("process limit reached (64)"));

        // The server is unaffected: the next run works.
        var (next, log) = await RunAsync(new { command = "echo still-fine", executor = "sandbox" });
        Assert.That(next.GetProperty("status").GetString(), Is.EqualTo("succeeded"));
        Assert.That(log, Does.Contain("still-fine"));
    }
}
