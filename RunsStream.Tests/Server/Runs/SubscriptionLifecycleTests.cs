using System.Text.Json;
using RunsStream.Tests.Support;

namespace RunsStream.Tests.Server.Runs;

/// <summary>Subscribe twice, unsubscribe, and the retention cap as a subscriber sees it.</summary>
[TestFixture]
[NonParallelizable]
public sealed class SubscriptionLifecycleTests
{
    [Test]
    public async Task Subscribing_twice_replays_again_and_unsubscribe_is_acked()
    {
        await using var server = await RunsServerHost.StartAsync();
        var runId = await server.StartRunAsync("echo a; echo b");
        await server.WaitForTerminalAsync(runId);
        var result = await NodeDriver.RunAsync("lifecycle-client.mjs", ["--url", server.Url, "--token", RunsServerHost.Token, "--run-id", runId], TimeSpan.FromSeconds(120));
        Assert.That(result.GetProperty("ok").GetBoolean(), Is.True, result.GetRawText());
        var first = result.GetProperty("first").EnumerateArray().Select(e => e.GetInt64()).ToArray();
        var second = result.GetProperty("second").EnumerateArray().Select(e => e.GetInt64()).ToArray();
        Assert.That(first.First(), Is.EqualTo(1));
        Assert.That(second, Is.EqualTo(first.Skip(2).ToArray()), "the second subscribe replays from its own since");
        Assert.That(result.GetProperty("unsubscribeAck").GetRawText(), Is.EqualTo("{\"ok\":true}"));
        Assert.That(result.GetProperty("afterUnsubscribe").GetInt32(), Is.EqualTo(0));
        Assert.That(result.GetProperty("nonObjectAck").GetProperty("ok").GetBoolean(), Is.False);
        Assert.That(result.GetProperty("badSinceAck").GetProperty("ok").GetBoolean(), Is.False);
    }

    [Test]
    public async Task Past_the_retention_cap_a_late_subscriber_gets_head_marker_and_tail_while_a_live_one_got_everything()
    {
        await using var server = await RunsServerHost.StartAsync(o => o with { RunLogMaxBytes = 64 * 1024 });
        // About 350 KB in small bursts: a live subscriber keeps up, the retained log cannot hold it all.
        var runId = await server.StartRunAsync("for i in $(seq 1 40); do seq 1 2000; sleep 0.05; done");
        var live = await server.WatchAsync(runId);
        Assert.That(live.GetProperty("ok").GetBoolean(), Is.True, live.GetRawText());
        Assert.That(live.GetProperty("gaps").GetArrayLength(), Is.EqualTo(0));
        var total = 40 * string.Concat(Enumerable.Range(1, 2000).Select(i => i + "\n")).Length;
        Assert.That(live.GetProperty("stdoutBytes").GetInt64(), Is.EqualTo(total));

        var late = await server.WatchAsync(runId);
        Assert.That(late.GetProperty("ok").GetBoolean(), Is.True, late.GetRawText());
        var markers = late.GetProperty("markers");
        Assert.That(markers.GetArrayLength(), Is.EqualTo(1));
        var dropped = markers[0].GetProperty("droppedBytes").GetInt64();
        Assert.That(late.GetProperty("stdoutBytes").GetInt64() + dropped, Is.EqualTo(total));
        Assert.That(late.GetProperty("stdoutBytes").GetInt64(), Is.LessThanOrEqualTo(64 * 1024 + 70 * 1024), "head and tail within the cap (plus one coalesced chunk)");
        Assert.That(late.GetProperty("terminal").ValueKind, Is.EqualTo(JsonValueKind.Object));
        var log = await server.Http.GetStringAsync($"/runs/{runId}/log");
        Assert.That(log, Does.StartWith("1\n2\n3\n"));
        Assert.That(log, Does.EndWith("1999\n2000\n"));
        Assert.That(log, Does.Contain($"[runsstream: {dropped} bytes of output dropped"));
    }
}
