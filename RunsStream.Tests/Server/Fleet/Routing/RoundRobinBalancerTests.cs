using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using RunsStream.Server.Fleet.Routing;
using RunsStream.Tests.Support;

namespace RunsStream.Tests.Server.Fleet.Routing;

/// <summary>
/// A real haproxy, round-robin per request with no stickiness, in front of a fleet of two nodes
/// (issue 14 item 5): the npm socket.io-client works through it with every transport, because
/// whichever node a request lands on, it reaches the node that holds the session (the nodes
/// find each other through their heartbeats in PostgreSQL), and a run streams from either.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class RoundRobinBalancerTests
{
    private FleetCluster _fleet = null!;
    private Haproxy _balancer = null!;

    [OneTimeSetUp]
    public async Task StartFleet()
    {
        _fleet = await FleetCluster.StartAsync(2);
        _balancer = await Haproxy.StartAsync([_fleet[0].Url, _fleet[1].Url]);
        // Forwarding needs each node to know the other's URL: from the heartbeats (every 2 s).
        await Eventually.WaitUntilAsync(
            () => _fleet[0].Services.GetRequiredService<NodeDirectory>().Resolve(NodeTags.For("node-1")) is not null
                && _fleet[1].Services.GetRequiredService<NodeDirectory>().Resolve(NodeTags.For("node-0")) is not null,
            "the nodes found each other", TimeSpan.FromSeconds(60));
    }

    [OneTimeTearDown]
    public async Task StopFleet()
    {
        await _balancer.DisposeAsync();
        await _fleet.DisposeAsync();
    }

    [Test]
    public async Task A_polling_only_client_stays_connected_for_60_s_streams_a_run_and_gets_every_ack()
    {
        // A run writing a line every 2 s for about a minute, executed by either node, streamed
        // through requests that land on either node.
        var runId = await _fleet[0].StartRunAsync("for i in $(seq 1 30); do echo line-$i; sleep 2; done");
        var forwardedBefore = Forwarded();

        var verdict = await NodeDriver.RunAsync(
            "fleet-client.mjs",
            ["--url", _balancer.Url, "--token", RunsServerHost.Token, "--transports", "polling", "--run-ids", runId, "--stay-ms", "60000", "--timeout", "150000"],
            TimeSpan.FromSeconds(180));

        var why = NodeDriver.Describe(verdict);
        Assert.That(verdict.GetProperty("ok").GetBoolean(), Is.True, why);
        Assert.That(verdict.GetProperty("transport").GetString(), Is.EqualTo("polling"), why);
        Assert.That(verdict.GetProperty("stayedMs").GetInt64(), Is.GreaterThanOrEqualTo(60_000), why);
        Assert.That(verdict.GetProperty("engineIdChanged").GetBoolean(), Is.False, why);
        var ack = verdict.GetProperty("subscribeAcks").GetProperty(runId);
        Assert.That(ack.GetProperty("ok").GetBoolean(), Is.True, why);
        Assert.That(ack.GetProperty("status").ValueKind, Is.EqualTo(JsonValueKind.String), why);
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
        _fleet[0].Services.GetRequiredService<SessionForwarder>().Forwarded + _fleet[1].Services.GetRequiredService<SessionForwarder>().Forwarded;
}
