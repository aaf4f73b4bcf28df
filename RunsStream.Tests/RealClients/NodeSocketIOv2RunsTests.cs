using System.Text;
using System.Text.Json;
using RunsStream.Tests.Support;

namespace RunsStream.Tests.RealClients;

/// <summary>
/// The runs server with ALLOW_EIO3 serves the npm socket.io-client 2.5 as a frontend on it
/// would use it: the token in the handshake query (v2 has no auth payload) or an
/// Authorization header, subscribe with ack, a run's events in order to its terminal status,
/// then a clean disconnect; in the three transport setups and on both run namespaces.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class NodeSocketIOv2RunsTests
{
    private RunsServerHost _server = null!;

    // Non-ASCII output, four-byte characters included: a v3 polling payload counts its
    // lengths in UTF-16 code units, where a byte count would cut the packets wrong.
    private const string Command = "for i in $(seq 1 150); do echo \"line $i héllo ☃ 😀\"; done";

    private static string ExpectedOutput()
    {
        var text = new StringBuilder();
        for (var i = 1; i <= 150; i++)
        {
            text.Append($"line {i} héllo ☃ 😀\n");
        }
        return text.ToString();
    }

    [OneTimeSetUp]
    public async Task Start() => _server = await RunsServerHost.StartAsync(o => o with { AllowEIO3 = true });

    [OneTimeTearDown]
    public async Task Stop() => await _server.DisposeAsync();

    [TestCase("/", "default", "query")]
    [TestCase("/", "websocket", "query")]
    [TestCase("/", "polling", "query")]
    [TestCase("/runs", "default", "header")]
    [TestCase("/runs", "websocket", "query")]
    [TestCase("/runs", "polling", "header")]
    public async Task A_v2_client_subscribes_with_ack_and_streams_a_run_to_its_end(string ns, string mode, string via)
    {
        var runId = await _server.StartRunAsync(Command);
        var verdict = await WatchAsync(mode, ns, via, RunsServerHost.Token, runId, "watch-run");
        Assert.That(verdict.GetProperty("ok").GetBoolean(), Is.True, NodeDriver.Describe(verdict));
        Assert.That(verdict.GetProperty("ack").GetProperty("ok").GetBoolean(), Is.True, NodeDriver.Describe(verdict));
        Assert.That(verdict.GetProperty("ack").GetProperty("runId").GetString(), Is.EqualTo(runId));
        Assert.That(verdict.GetProperty("inOrder").GetBoolean(), Is.True, "seqs in order, without gaps or repeats");
        Assert.That(verdict.GetProperty("stdoutText").GetString(), Is.EqualTo(ExpectedOutput()));
        Assert.That(verdict.GetProperty("statuses").EnumerateArray().Last().GetString(), Is.EqualTo("succeeded"));
        Assert.That(verdict.GetProperty("exitCode").GetInt32(), Is.EqualTo(0));
        Assert.That(verdict.GetProperty("transport").GetString(), Is.EqualTo(mode == "polling" ? "polling" : "websocket"));
        Assert.That(verdict.GetProperty("disconnect").GetString(), Is.EqualTo("io client disconnect"));
    }

    [TestCase("/", "polling", "query")]
    [TestCase("/runs", "websocket", "query")]
    [TestCase("/runs", "polling", "header")]
    public async Task A_wrong_token_is_refused_with_the_v4_protocol_error(string ns, string mode, string via)
    {
        var verdict = await WatchAsync(mode, ns, via, "wrong-token-123", null, "connect-only");
        Assert.That(verdict.GetProperty("connected").GetBoolean(), Is.False, NodeDriver.Describe(verdict));
        Assert.That(verdict.GetProperty("outcome").GetString(), Is.EqualTo("error"), NodeDriver.Describe(verdict));
        Assert.That(verdict.GetProperty("detail").GetString(), Is.EqualTo("Unauthorized"));
    }

    [Test]
    public async Task Without_ALLOW_EIO3_the_runs_server_refuses_a_v2_client()
    {
        await using var server = await RunsServerHost.StartAsync();
        Assert.That(server.Options.AllowEIO3, Is.False, "off by default");
        var verdict = await NodeSocketIOv2ClientTests.RunAsync(server.Url, "polling", "connect-only", RunsServerHost.Token);
        Assert.That(verdict.GetProperty("connected").GetBoolean(), Is.False, NodeDriver.Describe(verdict));
        using var response = await server.Http.GetAsync("/socket.io/?EIO=3&transport=polling");
        Assert.That((int)response.StatusCode, Is.EqualTo(400));
        Assert.That(await response.Content.ReadAsStringAsync(), Does.Contain("Unsupported protocol version"));
    }

    private Task<JsonElement> WatchAsync(string mode, string ns, string via, string token, string? runId, string scenario)
    {
        List<string> arguments = ["--url", _server.Url, "--transports", mode, "--scenario", scenario, "--token", token, "--namespace", ns, "--via", via, "--timeout", "60000"];
        if (runId is not null)
        {
            arguments.AddRange(["--run-id", runId]);
        }
        return NodeDriver.RunAsync("driver-v2.mjs", arguments, TimeSpan.FromSeconds(150));
    }
}
