using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using RunsStream.Server.Configuration;
using RunsStream.Server.Diagnostics;
using RunsStream.Server.Runs;
using RunsStream.Server.Runs.Storage;
using RunsStream.Tests.Support;

namespace RunsStream.Tests.Server.Runs;

/// <summary>
/// In a fleet, the socket events and REST routes of a node look runs up in the shared PostgreSQL
/// without holding a thread while it answers. Node 0's runs domain reads through
/// <see cref="AsyncOnlyRunStore"/>, whose synchronous lookups fail; the runs are published
/// through node 1, so node 0 knows them only from the store.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class RunLookupInFleetTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    private FleetCluster _fleet = null!;
    private AsyncOnlyRunStore _store = null!;

    [OneTimeSetUp]
    public async Task StartFleet() => _fleet = await FleetCluster.StartAsync(2, configureBuilder: (index, builder) =>
    {
        if (index == 0)
        {
            builder.Host.UseServiceProviderFactory(new ServiceOverride<RunsService>(sp => new RunsService(
                sp.GetRequiredService<RunsStreamOptions>(),
                _store = new AsyncOnlyRunStore(sp.GetRequiredService<IRunStore>()),
                sp.GetRequiredService<TimeProvider>(),
                sp.GetRequiredService<ILogger<RunsService>>(),
                new RunsTelemetry(sp.GetRequiredService<RunsMetrics>()))));
        }
    });

    [OneTimeTearDown]
    public async Task StopFleet() => await _fleet.DisposeAsync();

    private int _syncLookupsBefore;

    [SetUp]
    public void CountFromHere() => _syncLookupsBefore = _store.SyncLookups;

    private int SyncLookupsOfThisTest => _store.SyncLookups - _syncLookupsBefore;

    /// <summary>A finished external run, published through node 1 (durable once answered).</summary>
    private async Task<string> PublishFinishedRunAsync()
    {
        var runId = "ext-" + Guid.NewGuid().ToString("N");
        using var response = await _fleet[1].SendAsync(HttpMethod.Post, $"/runs/{runId}/events",
            "[{\"type\":\"stdout\",\"data\":\"hello\\n\"},{\"type\":\"status\",\"data\":\"succeeded\"}]");
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Accepted), await response.Content.ReadAsStringAsync());
        return runId;
    }

    private async Task<RawWebSocketClient> ConnectToNode0Async()
    {
        var client = await RawWebSocketClient.ConnectAsync(new Uri(_fleet[0].Url.Replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"));
        Assert.That(await client.ReceiveTextAsync(), Does.StartWith("0{"));
        await RawSocketIOClient.ConnectAsync(client, "/", $"{{\"token\":\"{RunsServerHost.Token}\"}}");
        return client;
    }

    private static Task Emit(RawWebSocketClient client, int ackId, string eventName, object payload) =>
        client.SendTextAsync($"42{ackId}" + JsonSerializer.Serialize(new object[] { eventName, payload }));

    /// <summary>The next ack the socket receives: its id and first argument.</summary>
    private static async Task<(int Id, JsonElement Answer)> NextAckAsync(RawWebSocketClient client)
    {
        while (true)
        {
            var frame = await client.ReceiveTextAsync().WaitAsync(Timeout);
            if (frame.StartsWith("43", StringComparison.Ordinal))
            {
                var bracket = frame.IndexOf('[', StringComparison.Ordinal);
                return (int.Parse(frame[2..bracket]), JsonDocument.Parse(frame[bracket..]).RootElement[0].Clone());
            }
        }
    }

    [Test]
    public async Task Subscribe_resize_and_unsubscribe_find_a_run_of_the_store_with_async_reads_only()
    {
        var runId = await PublishFinishedRunAsync();
        await using var client = await ConnectToNode0Async();

        await Emit(client, 1, "subscribe", new { runId });
        var (id, answer) = await NextAckAsync(client);
        Assert.That(id, Is.EqualTo(1));
        Assert.That(answer.GetProperty("ok").GetBoolean(), Is.True, answer.GetRawText());
        Assert.That(answer.GetProperty("status").GetString(), Is.EqualTo("succeeded"), "read from the store");

        await Emit(client, 2, "resize", new { runId, cols = 80, rows = 24 });
        (id, answer) = await NextAckAsync(client);
        Assert.That(id, Is.EqualTo(2));
        Assert.That(answer.GetProperty("error").GetString(), Does.Contain("has no terminal"), "found, and not a tty run");

        var unknown = "ext-" + Guid.NewGuid().ToString("N");
        await Emit(client, 3, "resize", new { runId = unknown, cols = 80, rows = 24 });
        (id, answer) = await NextAckAsync(client);
        Assert.That(id, Is.EqualTo(3));
        Assert.That(answer.GetProperty("error").GetString(), Is.EqualTo($"Run '{unknown}' not found"));

        await Emit(client, 4, "unsubscribe", new { runId });
        (id, answer) = await NextAckAsync(client);
        Assert.That(id, Is.EqualTo(4));
        Assert.That(answer.GetProperty("ok").GetBoolean(), Is.True, answer.GetRawText());
        Assert.That(SyncLookupsOfThisTest, Is.Zero, "no socket event blocked on the store");
    }

    [Test]
    public async Task The_rest_routes_find_a_run_of_the_store_with_async_reads_only()
    {
        var runId = await PublishFinishedRunAsync();
        var node0 = _fleet[0];

        var run = await node0.GetRunAsync(runId);
        Assert.That(run.GetProperty("status").GetString(), Is.EqualTo("succeeded"));
        Assert.That(await node0.Http.GetStringAsync($"/runs/{runId}/log"), Is.EqualTo("hello\n"));
        using (var cancel = await node0.SendAsync(HttpMethod.Post, $"/runs/{runId}/cancel"))
        {
            Assert.That(cancel.StatusCode, Is.EqualTo(HttpStatusCode.Conflict), "finished, as the store says");
        }
        using (var unknown = await node0.Http.GetAsync($"/runs/ext-{Guid.NewGuid():N}"))
        {
            Assert.That(unknown.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        }
        Assert.That(SyncLookupsOfThisTest, Is.Zero, "no request blocked on the store");
    }

    [Test]
    public async Task An_unsubscribe_sent_while_the_subscribe_waits_for_the_store_is_applied_after_it()
    {
        var runId = await PublishFinishedRunAsync();
        await using var client = await ConnectToNode0Async();
        var gate = _store.HoldNextLookup(runId, out var reached);

        await Emit(client, 1, "subscribe", new { runId });
        await Emit(client, 2, "unsubscribe", new { runId });
        await reached.WaitAsync(Timeout);
        gate.SetResult();

        var (first, subscribed) = await NextAckAsync(client);
        var (second, unsubscribed) = await NextAckAsync(client);
        Assert.That((first, second), Is.EqualTo((1, 2)), "acks in the order of the events");
        Assert.That(subscribed.GetProperty("ok").GetBoolean(), Is.True, subscribed.GetRawText());
        Assert.That(unsubscribed.GetProperty("ok").GetBoolean(), Is.True, unsubscribed.GetRawText());
        Assert.That(_fleet[0].Runs.SubscriberCountOf(runId), Is.Zero, "the unsubscribe ended the subscription the subscribe made");
    }
}
