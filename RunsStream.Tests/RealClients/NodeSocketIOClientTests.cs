using RunsStream.Tests.Support;

namespace RunsStream.Tests.RealClients;

/// <summary>
/// The npm socket.io-client 4.8, in the three transport setups a browser uses, against the
/// scenario host. The same driver passes against the npm socket.io 4.8 server
/// (NodeClient/reference-server.mjs).
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class NodeSocketIOClientTests
{
    private TestServer _server = null!;

    private static readonly string[] Scenarios =
    [
        "connect-auth", "refused-auth", "echo-text", "echo-binary", "ack-client", "ack-server",
        "two-namespaces", "server-disconnect", "reconnect-after-drop", "rooms", "unknown-namespace",
    ];

    private static readonly string[] Modes = ["default", "websocket", "polling"];

    private static IEnumerable<TestCaseData> Cases() =>
        from scenario in Scenarios
        from mode in Modes
        select new TestCaseData(scenario, mode).SetName($"Socket.IO client {scenario} over {mode}");

    [OneTimeSetUp]
    public async Task StartServer() => _server = await ScenarioHost.StartAsync();

    [OneTimeTearDown]
    public async Task StopServer() => await _server.DisposeAsync();

    [TestCaseSource(nameof(Cases))]
    public async Task Scenario_passes(string scenario, string mode)
    {
        var verdict = await NodeDriver.RunScenarioAsync(_server.Url, mode, scenario);
        Assert.That(verdict.GetProperty("ok").GetBoolean(), Is.True, NodeDriver.Describe(verdict));
        if (scenario == "connect-auth" && mode == "default")
        {
            Assert.That(verdict.GetProperty("upgraded").GetBoolean(), Is.True, "the default setup must upgrade to websocket");
        }
    }
}
