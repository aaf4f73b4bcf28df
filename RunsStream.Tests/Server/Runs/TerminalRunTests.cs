using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using RunsStream.Tests.Support;
using SocketIOClient;
using SocketIOClient.Transport;

namespace RunsStream.Tests.Server.Runs;

/// <summary>
/// Issue 13 item 4 as a user asks for it: <c>"tty": true</c> (with cols and rows) on POST /runs,
/// the size in GET, and the socket's <c>resize</c> event reaching the run's programs.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class TerminalRunTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    private RunsServerHost _server = null!;

    [OneTimeSetUp]
    public async Task Start() => _server = await RunsServerHost.StartAsync();

    [OneTimeTearDown]
    public async Task Stop() => await _server.DisposeAsync();

    private async Task<string> StartAsync(object body)
    {
        var response = await _server.Http.PostAsJsonAsync("/runs", body);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Created), await response.Content.ReadAsStringAsync());
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("runId").GetString()!;
    }

    // SocketIOClient 3.0.6's ConnectAsync can return a few ms before the namespace is
    // connected, and it drops what is emitted meanwhile.
    private static async Task ConnectAsync(SocketIO client)
    {
        await client.ConnectAsync().WaitAsync(Timeout);
        await Eventually.WaitUntilAsync(() => client.Connected, "the client to be connected", Timeout);
    }

    private Task<string> LogAsync(string runId) => _server.Http.GetStringAsync($"/runs/{runId}/log");

    [Test]
    public async Task A_tty_run_sees_a_terminal_of_the_asked_size_and_get_shows_it()
    {
        const string command = "test -t 0 && test -t 1 && test -t 2 && echo all-terminals; stty size; echo to-stderr >&2";
        var plain = await StartAsync(new { command });
        await _server.WaitForTerminalAsync(plain);
        Assert.That(await LogAsync(plain), Does.Not.Contain("all-terminals"), "without tty the run has pipes: the check below can fail");

        var runId = await StartAsync(new { command, tty = true, cols = 132, rows = 50 });
        var run = await _server.WaitForTerminalAsync(runId);
        Assert.That(run.GetProperty("status").GetString(), Is.EqualTo("succeeded"));
        Assert.That(run.GetProperty("tty").GetProperty("cols").GetInt32(), Is.EqualTo(132));
        Assert.That(run.GetProperty("tty").GetProperty("rows").GetInt32(), Is.EqualTo(50));
        var log = await LogAsync(runId);
        // A terminal turns "\n" into "\r\n", as a local one does.
        // stderr arrives in the one stream, in order, as in a terminal.
        Assert.That(log, Does.Contain("all-terminals\r\n50 132\r\nto-stderr\r\n"));
    }

    // In the sandbox too: bubblewrap keeps a tty run in its terminal's session (no
    // --new-session), or SIGWINCH would not reach it.
    [TestCase("process")]
    [TestCase("sandbox")]
    public async Task The_socket_resize_event_reaches_the_runs_programs(string executor)
    {
        var runId = await StartAsync(new
        {
            command = "trap 'stty size; exit 0' WINCH; echo ready; i=0; while [ $i -lt 600 ]; do sleep 0.1; i=$((i+1)); done",
            tty = true,
            executor,
        });
        using var client = new SocketIO(_server.Url, new SocketIOOptions
        {
            Transport = TransportProtocol.WebSocket,
            Auth = new Dictionary<string, string> { ["token"] = RunsServerHost.Token },
            Reconnection = false,
            ConnectionTimeout = Timeout,
        });
        await ConnectAsync(client);
        await Eventually.WaitUntilAsync(async () => (await LogAsync(runId)).Contains("ready"), "the run to trap WINCH", Timeout);

        var acked = new TaskCompletionSource<JsonElement>(TaskCreationOptions.RunContinuationsAsynchronously);
        await client.EmitAsync("resize", response => acked.TrySetResult(response.GetValue<JsonElement>(0)), new { runId, cols = 100, rows = 40 });
        var ack = await acked.Task.WaitAsync(Timeout);
        Assert.That(ack.GetProperty("ok").GetBoolean(), Is.True, ack.GetRawText());

        var run = await _server.WaitForTerminalAsync(runId);
        Assert.That(run.GetProperty("status").GetString(), Is.EqualTo("succeeded"));
        Assert.That(await LogAsync(runId), Does.Contain("40 100"));

        // The run is over: a resize now is refused with a reason.
        var late = new TaskCompletionSource<JsonElement>(TaskCreationOptions.RunContinuationsAsynchronously);
        await client.EmitAsync("resize", response => late.TrySetResult(response.GetValue<JsonElement>(0)), new { runId, cols = 90, rows = 30 });
        var refused = await late.Task.WaitAsync(Timeout);
        Assert.That(refused.GetProperty("ok").GetBoolean(), Is.False);
        Assert.That(refused.GetProperty("error").GetString(), Does.Contain("has finished"));
        await client.DisconnectAsync();
    }

    [TestCase("""{"command": "true", "tty": "yes"}""", "'tty' must be true or false")]
    [TestCase("""{"command": "true", "cols": 100}""", "give them with \"tty\": true")]
    [TestCase("""{"command": "true", "tty": true, "cols": 0}""", "cols must be between 1 and 1000")]
    [TestCase("""{"command": "true", "tty": true, "rows": 1001}""", "rows must be between 1 and 1000")]
    [TestCase("""{"command": "true", "tty": true, "rows": 2.5}""", "'rows' must be an integer")]
    public async Task Bad_terminal_fields_are_a_400_naming_the_field(string body, string message)
    {
        using var response = await _server.Http.PostAsync("/runs", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));
        var text = await response.Content.ReadAsStringAsync();
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest), text);
        Assert.That(text, Does.Contain(message.Replace("\"", "\\\"", StringComparison.Ordinal)));
    }

    [Test]
    public async Task Resize_of_a_run_without_a_terminal_is_refused()
    {
        var runId = await StartAsync(new { command = "echo hi" });
        await _server.WaitForTerminalAsync(runId);
        using var client = new SocketIO(_server.Url, new SocketIOOptions
        {
            Transport = TransportProtocol.WebSocket,
            Auth = new Dictionary<string, string> { ["token"] = RunsServerHost.Token },
            Reconnection = false,
            ConnectionTimeout = Timeout,
        });
        await ConnectAsync(client);
        var acked = new TaskCompletionSource<JsonElement>(TaskCreationOptions.RunContinuationsAsynchronously);
        await client.EmitAsync("resize", response => acked.TrySetResult(response.GetValue<JsonElement>(0)), new { runId, cols = 100, rows = 40 });
        var ack = await acked.Task.WaitAsync(Timeout);
        Assert.That(ack.GetProperty("ok").GetBoolean(), Is.False);
        Assert.That(ack.GetProperty("error").GetString(), Does.Contain("has no terminal"));
        await client.DisconnectAsync();
    }
}
