using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using RunsStream.Tests.Support;

namespace RunsStream.Tests.Server.Runs;

/// <summary>
/// Issue 13 items 1 and 5 over REST: the `executor` field of POST /runs and GET /runs, and the
/// 400s for an unknown or unavailable executor and for malformed stages.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class ExecutorSelectionTests
{
    private RunsServerHost _server = null!;

    [OneTimeSetUp]
    public async Task Start() => _server = await RunsServerHost.StartAsync();

    [OneTimeTearDown]
    public async Task Stop() => await _server.DisposeAsync();

    private async Task<(HttpStatusCode Status, JsonElement Body)> PostAsync(string json)
    {
        using var response = await _server.Http.PostAsync("/runs", new StringContent(json, Encoding.UTF8, "application/json"));
        return (response.StatusCode, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone());
    }

    private async Task<string> BadRequestMessageAsync(string json)
    {
        var (status, body) = await PostAsync(json);
        Assert.That(status, Is.EqualTo(HttpStatusCode.BadRequest), body.GetRawText());
        Assert.That(body.GetProperty("error").GetProperty("code").GetString(), Is.EqualTo("bad_request"));
        return body.GetProperty("error").GetProperty("message").GetString()!;
    }

    [TestCase(null)]
    [TestCase("process")]
    public async Task A_run_shows_its_executor_in_get_and_in_the_list(string? executor)
    {
        var response = await _server.Http.PostAsJsonAsync("/runs", new { command = "echo hi", executor });
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Created));
        var runId = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("runId").GetString()!;
        var run = await _server.WaitForTerminalAsync(runId);
        Assert.That(run.GetProperty("status").GetString(), Is.EqualTo("succeeded"));
        Assert.That(run.GetProperty("executor").GetString(), Is.EqualTo("process"));
        Assert.That(run.GetProperty("stages").ValueKind, Is.EqualTo(JsonValueKind.Null), "a run of one command has no stages");

        var list = JsonDocument.Parse(await _server.Http.GetStringAsync("/runs?limit=500")).RootElement;
        var listed = list.EnumerateArray().Single(r => r.GetProperty("runId").GetString() == runId);
        Assert.That(listed.GetProperty("executor").GetString(), Is.EqualTo("process"));
    }

    [Test]
    public async Task An_unknown_executor_is_refused_naming_the_available_ones()
    {
        var message = await BadRequestMessageAsync("""{"command": "echo hi", "executor": "kubernetes"}""");
        // scripts/test installs bubblewrap, so the sandbox is available beside the process executor.
        Assert.That(message, Is.EqualTo("unknown executor \"kubernetes\"; available: process, sandbox"));
    }

    [TestCase("docker")]
    public async Task A_known_executor_this_server_does_not_have_is_refused_naming_the_available_ones(string executor)
    {
        var message = await BadRequestMessageAsync($$"""{"command": "echo hi", "executor": "{{executor}}"}""");
        Assert.That(message, Does.StartWith($"executor \"{executor}\" is not available"));
        Assert.That(message, Does.EndWith("available: process, sandbox"));
    }

    [TestCase("""{"command": "echo hi", "executor": 7}""")]
    [TestCase("""{"command": "echo hi", "executor": ""}""")]
    [TestCase("""{"command": "echo hi", "executor": "Process"}""")]
    [TestCase("""{"command": "echo hi", "executor": "process\n"}""")]
    [TestCase("""{"command": "echo hi", "executor": "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"}""")]
    public async Task A_malformed_executor_name_is_refused_without_echoing_it(string json)
    {
        Assert.That(await BadRequestMessageAsync(json), Does.StartWith("'executor' must be an executor's name"));
    }

    [TestCase("""{"command": "echo", "stages": [{"name": "a", "command": "echo"}]}""", "Give either 'command' or 'stages', not both")]
    [TestCase("""{"stages": []}""", "'stages' must have from 1 to 50 stages; it has 0")]
    [TestCase("""{"stages": {"name": "a"}}""", "'stages' must be an array of {\"name\": string, \"command\": string}")]
    [TestCase("""{"stages": ["echo"]}""", "stages[0] must be an object {\"name\": string, \"command\": string}")]
    [TestCase("""{"stages": [{"command": "echo"}]}""", "'stages[0].name' must be a non-empty string")]
    [TestCase("""{"stages": [{"name": " ", "command": "echo"}]}""", "'stages[0].name' must be a non-empty string")]
    [TestCase("""{"stages": [{"name": "a", "command": "echo"}, {"name": "a", "command": "echo"}]}""", "'stages[1].name' repeats the stage name \"a\"; stage names must be unique")]
    [TestCase("""{"stages": [{"name": "a", "command": "echo"}, {"name": "b"}]}""", "'stages[1].command' must be a non-empty string")]
    [TestCase("""{"stages": [{"name": "a", "command": "  "}]}""", "'stages[0].command' must be a non-empty string")]
    [TestCase("""{"stages": [{"name": "a", "command": "echo \u0000 x"}]}""", "'stages[0].command' contains a NUL character")]
    [TestCase("""{"stages": [{"name": "a\nb", "command": "echo"}]}""", "'stages[0].name' must not contain control characters")]
    public async Task Malformed_stages_are_refused_with_a_message_that_names_the_field(string json, string expected)
    {
        Assert.That(await BadRequestMessageAsync(json), Does.StartWith(expected));
    }

    [Test]
    public async Task Stage_counts_and_name_lengths_have_limits()
    {
        var fifty = Enumerable.Range(0, 50).Select(i => new { name = "s" + i, command = "true" }).ToArray();
        var fiftyOne = Enumerable.Range(0, 51).Select(i => new { name = "s" + i, command = "true" }).ToArray();
        Assert.That(await BadRequestMessageAsync(JsonSerializer.Serialize(new { stages = fiftyOne })), Is.EqualTo("'stages' must have from 1 to 50 stages; it has 51"));
        Assert.That(await BadRequestMessageAsync(JsonSerializer.Serialize(new { stages = new[] { new { name = new string('n', 101), command = "true" } } })),
            Is.EqualTo("'stages[0].name' is longer than 100 characters"));
        var longCommand = new string('x', _server.Options.MaxCommandLength + 1);
        Assert.That(await BadRequestMessageAsync(JsonSerializer.Serialize(new { stages = new[] { new { name = "a", command = "true" }, new { name = "b", command = longCommand } } })),
            Does.StartWith("'stages[1].command' is longer than"));

        var (status, body) = await PostAsync(JsonSerializer.Serialize(new { stages = fifty }));
        Assert.That(status, Is.EqualTo(HttpStatusCode.Created), body.GetRawText());
        var run = await _server.WaitForTerminalAsync(body.GetProperty("runId").GetString()!);
        Assert.That(run.GetProperty("status").GetString(), Is.EqualTo("succeeded"));
        Assert.That(run.GetProperty("stages").GetArrayLength(), Is.EqualTo(50));
    }

    [Test]
    public async Task A_refused_request_creates_no_run()
    {
        var before = JsonDocument.Parse(await _server.Http.GetStringAsync("/runs?limit=500")).RootElement.GetArrayLength();
        await BadRequestMessageAsync("""{"command": "echo hi", "executor": "docker"}""");
        await BadRequestMessageAsync("""{"stages": [{"name": "a", "command": "echo"}, {"name": "a", "command": "echo"}]}""");
        var after = JsonDocument.Parse(await _server.Http.GetStringAsync("/runs?limit=500")).RootElement.GetArrayLength();
        Assert.That(after, Is.EqualTo(before));
    }
}
