using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using RunsStream.Server.Fleet.Routing;
using RunsStream.Tests.Support;

namespace RunsStream.Tests.Server.Fleet.Routing;

/// <summary>
/// A real haproxy, round-robin per request with no stickiness, in front of two nodes that
/// forward requests for each other's sessions: the npm socket.io-client works through it with
/// every transport (issue 14 item 5), because whichever node a request lands on, it reaches
/// the node that holds the session.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class RoundRobinBalancerTests
{
    private readonly NodeDirectory _directory = new();
    private RunsServerHost _a = null!;
    private RunsServerHost _b = null!;
    private Haproxy _balancer = null!;

    [OneTimeSetUp]
    public async Task StartFleet()
    {
        _a = await RunsServerHost.StartAsync(o => o with { Routing = new SessionRouting("node-a", _directory) });
        _b = await RunsServerHost.StartAsync(o => o with { Routing = new SessionRouting("node-b", _directory) });
        _directory.Update(new Dictionary<string, Uri>
        {
            [NodeTags.For("node-a")] = new Uri(_a.Url),
            [NodeTags.For("node-b")] = new Uri(_b.Url),
        });
        _balancer = await Haproxy.StartAsync([_a.Url, _b.Url]);
    }

    [OneTimeTearDown]
    public async Task StopFleet()
    {
        await _balancer.DisposeAsync();
        await _b.DisposeAsync();
        await _a.DisposeAsync();
    }

    [Test]
    public async Task A_polling_only_client_stays_connected_for_60_s_streams_a_run_and_gets_every_ack()
    {
        // One run on each node, writing a line every 2 s for about a minute: the client can
        // subscribe only to the one on the node that holds its session (the nodes share no
        // store yet), and streams it through requests that land on either node.
        const string command = "for i in $(seq 1 30); do echo line-$i; sleep 2; done";
        var onA = await _a.StartRunAsync(command);
        var onB = await _b.StartRunAsync(command);
        var forwardedBefore = Forwarded();

        var verdict = await NodeDriver.RunAsync(
            "fleet-client.mjs",
            ["--url", _balancer.Url, "--token", RunsServerHost.Token, "--transports", "polling", "--run-ids", $"{onA},{onB}", "--stay-ms", "60000", "--timeout", "150000"],
            TimeSpan.FromSeconds(180));

        var why = NodeDriver.Describe(verdict);
        Assert.That(verdict.GetProperty("ok").GetBoolean(), Is.True, why);
        Assert.That(verdict.GetProperty("transport").GetString(), Is.EqualTo("polling"), why);
        Assert.That(verdict.GetProperty("stayedMs").GetInt64(), Is.GreaterThanOrEqualTo(60_000), why);
        Assert.That(verdict.GetProperty("engineIdChanged").GetBoolean(), Is.False, why);
        var acks = verdict.GetProperty("subscribeAcks");
        Assert.That(acks.GetProperty(onA).GetProperty("ok").GetBoolean() && acks.GetProperty(onB).GetProperty("ok").GetBoolean(), Is.True, why);
        Assert.That(new[] { onA, onB }.Count(id => acks.GetProperty(id).GetProperty("status").ValueKind == JsonValueKind.String), Is.EqualTo(1), why);
        Assert.That(verdict.GetProperty("terminal").GetString(), Is.EqualTo("succeeded"), why);
        Assert.That(verdict.GetProperty("gaps").GetInt32(), Is.Zero, why);
        Assert.That(verdict.GetProperty("duplicates").GetInt32(), Is.Zero, why);
        Assert.That(verdict.GetProperty("text").GetString(), Is.EqualTo(string.Concat(Enumerable.Range(1, 30).Select(i => $"line-{i}\n"))), why);
        Assert.That(verdict.GetProperty("pingAcks").GetInt32(), Is.GreaterThanOrEqualTo(25), why);
        Assert.That(verdict.GetProperty("pingAckFailures").GetInt32(), Is.Zero, why);
        // The balancer did spread the session's requests: many reached the node without it.
        Assert.That(Forwarded() - forwardedBefore, Is.GreaterThanOrEqualTo(20), why);
    }

    [Test]
    public async Task The_default_client_connects_and_upgrades_to_websocket_through_the_balancer()
    {
        var forwardedBefore = Forwarded();
        // Several clients: the upgrade request of some lands on the node without the session.
        var verdicts = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => NodeDriver.RunAsync(
            "fleet-client.mjs",
            ["--url", _balancer.Url, "--token", RunsServerHost.Token, "--transports", "default", "--stay-ms", "3000", "--timeout", "60000"],
            TimeSpan.FromSeconds(120))));

        foreach (var verdict in verdicts)
        {
            var why = NodeDriver.Describe(verdict);
            Assert.That(verdict.GetProperty("ok").GetBoolean(), Is.True, why);
            Assert.That(verdict.GetProperty("upgradedTo").GetString(), Is.EqualTo("websocket"), why);
            Assert.That(verdict.GetProperty("transport").GetString(), Is.EqualTo("websocket"), why);
            Assert.That(verdict.GetProperty("pingAcks").GetInt32(), Is.GreaterThanOrEqualTo(1), why);
            Assert.That(verdict.GetProperty("pingAckFailures").GetInt32(), Is.Zero, why);
        }
        Assert.That(Forwarded(), Is.GreaterThan(forwardedBefore));
    }

    private long Forwarded() =>
        _a.Services.GetRequiredService<SessionForwarder>().Forwarded + _b.Services.GetRequiredService<SessionForwarder>().Forwarded;
}
