using System.Text.Json;
using RunsStream.Protocol.EngineIO;
using RunsStream.Tests.Support;

namespace RunsStream.Tests.RealClients;

/// <summary>
/// The npm socket.io-client 2.5 (Engine.IO v3, Socket.IO protocol v4) in the three transport
/// setups, against the scenario host with <see cref="EngineIOOptions.AllowEIO3"/> on: the
/// implicit main namespace, reversed heartbeat, v3 payload framing (UTF-16 lengths, binary as
/// base64 over polling, the type byte over WebSocket), the upgrade, a namespace's query as its
/// auth, and errors as plain strings. Without the option the same client is refused.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class NodeSocketIOv2ClientTests
{
    private TestServer _server = null!;

    private static readonly string[] Scenarios =
    [
        "connect", "heartbeat", "echo-text", "echo-binary", "ack-binary", "ack-server",
        "namespace-query", "refused-auth", "unknown-namespace", "server-disconnect",
    ];

    private static readonly string[] Modes = ["default", "websocket", "polling"];

    private static IEnumerable<TestCaseData> Cases() =>
        from scenario in Scenarios
        from mode in Modes
        select new TestCaseData(scenario, mode).SetName($"Socket.IO client 2.x {scenario} over {mode}");

    [OneTimeSetUp]
    public async Task StartServer() =>
        _server = await ScenarioHost.StartAsync(o => o with { Engine = o.Engine with { AllowEIO3 = true } });

    [OneTimeTearDown]
    public async Task StopServer() => await _server.DisposeAsync();

    [TestCaseSource(nameof(Cases))]
    public async Task Scenario_passes(string scenario, string mode)
    {
        var verdict = await RunAsync(_server.Url, mode, scenario);
        Assert.That(verdict.GetProperty("ok").GetBoolean(), Is.True, NodeDriver.Describe(verdict));
        if (scenario == "connect")
        {
            Assert.That(verdict.GetProperty("protocol").ToString(), Is.EqualTo("3"), "the client spoke Engine.IO v3");
            Assert.That(verdict.GetProperty("transport").GetString(), Is.EqualTo(mode == "polling" ? "polling" : "websocket"));
        }
    }

    [TestCase("default")]
    [TestCase("websocket")]
    [TestCase("polling")]
    public async Task Without_AllowEIO3_the_client_is_refused(string mode)
    {
        await using var server = await ScenarioHost.StartAsync();
        var verdict = await RunAsync(server.Url, mode, "connect-only");
        Assert.That(verdict.GetProperty("connected").GetBoolean(), Is.False, NodeDriver.Describe(verdict));

        using var response = await server.Http.GetAsync("/socket.io/?EIO=3&transport=polling");
        Assert.That((int)response.StatusCode, Is.EqualTo(400));
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.That(body.RootElement.GetProperty("code").GetInt32(), Is.EqualTo(5));
        Assert.That(body.RootElement.GetProperty("message").GetString(), Is.EqualTo("Unsupported protocol version"));
    }

    internal static Task<JsonElement> RunAsync(string url, string mode, string scenario, string token = "good", string? runId = null)
    {
        List<string> arguments = ["--url", url, "--transports", mode, "--scenario", scenario, "--token", token, "--timeout", "30000"];
        if (runId is not null)
        {
            arguments.AddRange(["--run-id", runId]);
        }
        return NodeDriver.RunAsync("driver-v2.mjs", arguments, TimeSpan.FromSeconds(120));
    }
}
