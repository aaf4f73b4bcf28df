using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using RunsStream.Tests.Support;

namespace RunsStream.Tests.Server.Runs;

/// <summary>
/// The socket side of the contract (sections 1 to 4 and 6) with the npm socket.io-client, as
/// the existing frontend uses it.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class SocketStreamingTests
{
    private RunsServerHost _server = null!;

    [OneTimeSetUp]
    public async Task Start() => _server = await RunsServerHost.StartAsync();

    [OneTimeTearDown]
    public async Task Stop() => await _server.DisposeAsync();

    private static void AssertComplete(JsonElement watch, long firstSeq = 1)
    {
        Assert.That(watch.GetProperty("ok").GetBoolean(), Is.True, watch.GetRawText());
        Assert.That(watch.GetProperty("gaps").GetArrayLength(), Is.EqualTo(0), "gaps: " + watch.GetProperty("gaps").GetRawText());
        Assert.That(watch.GetProperty("duplicates").GetInt32(), Is.EqualTo(0), "duplicates");
        Assert.That(watch.GetProperty("outOfOrder").GetInt32(), Is.EqualTo(0), "out of order");
        Assert.That(watch.GetProperty("badTimestamps").GetInt32(), Is.EqualTo(0), "timestamps must be Date.toISOString()");
        Assert.That(watch.GetProperty("firstSeq").GetInt64(), Is.EqualTo(firstSeq), "first seq");
        Assert.That(watch.GetProperty("terminal").ValueKind, Is.EqualTo(JsonValueKind.Object), "terminal status seen");
        Assert.That(watch.GetProperty("lastSeq").GetInt64(), Is.EqualTo(watch.GetProperty("terminal").GetProperty("seq").GetInt64()), "the terminal status is the last event");
    }

    private static string Sha256(string text) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text))).ToLowerInvariant();

    [TestCase("/", "default")]
    [TestCase("/runs", "websocket")]
    [TestCase("/runs", "polling")]
    public async Task A_subscriber_gets_queued_running_output_and_the_terminal_status(string ns, string transports)
    {
        var runId = await _server.StartRunAsync("echo hello; echo oops >&2; printf tail; exit 3");
        var watch = await _server.WatchAsync(runId, ns: ns, transports: transports);
        AssertComplete(watch);
        Assert.That(watch.GetProperty("ack").GetProperty("ok").GetBoolean(), Is.True);
        Assert.That(watch.GetProperty("eventsBeforeAck").GetInt32(), Is.Zero, "the subscribe ack comes before the replay");
        Assert.That(watch.GetProperty("ack").GetProperty("runId").GetString(), Is.EqualTo(runId));
        Assert.That(watch.GetProperty("statuses").EnumerateArray().Select(s => s.GetString()), Is.EqualTo(new[] { "queued", "running", "failed" }));
        Assert.That(watch.GetProperty("stdoutText").GetString(), Is.EqualTo("hello\ntail"));
        Assert.That(watch.GetProperty("stderrText").GetString(), Is.EqualTo("oops\n"));
        var terminal = watch.GetProperty("terminal");
        Assert.That(terminal.GetProperty("data").GetString(), Is.EqualTo("failed"));
        Assert.That(terminal.GetProperty("exitCode").GetInt32(), Is.EqualTo(3));
        Assert.That(terminal.GetProperty("reason").GetString(), Is.Not.Empty);
        Assert.That(terminal.GetProperty("stdoutBytes").GetInt64(), Is.EqualTo(10));
        Assert.That(terminal.GetProperty("stderrBytes").GetInt64(), Is.EqualTo(5));
    }

    [Test]
    public async Task The_handshake_query_subscribes_on_connect_with_since()
    {
        var runId = await _server.StartRunAsync("echo one; echo two");
        await _server.WaitForTerminalAsync(runId);
        var all = await _server.WatchAsync(runId, via: "query");
        AssertComplete(all);
        var resumed = await _server.WatchAsync(runId, via: "query", since: 2);
        AssertComplete(resumed, firstSeq: 3);
        Assert.That(resumed.GetProperty("events").GetInt32(), Is.EqualTo(all.GetProperty("events").GetInt32() - 2));
    }

    [Test]
    public async Task Since_resumes_exactly_after_the_given_seq()
    {
        var runId = await _server.StartRunAsync("for i in $(seq 1 50); do echo line $i; done");
        await _server.WaitForTerminalAsync(runId);
        var all = await _server.WatchAsync(runId);
        AssertComplete(all);
        var last = all.GetProperty("lastSeq").GetInt64();
        var tailOnly = await _server.WatchAsync(runId, since: last - 1);
        AssertComplete(tailOnly, firstSeq: last);
        Assert.That(tailOnly.GetProperty("events").GetInt32(), Is.EqualTo(1));
    }

    [Test]
    public async Task A_late_subscriber_to_a_finished_run_gets_the_whole_log()
    {
        var runId = await _server.StartRunAsync("seq 1 20000");
        await _server.WaitForTerminalAsync(runId);
        var expected = string.Concat(Enumerable.Range(1, 20000).Select(i => i + "\n"));
        var watch = await _server.WatchAsync(runId, transports: "polling");
        AssertComplete(watch);
        Assert.That(watch.GetProperty("stdoutSha256").GetString(), Is.EqualTo(Sha256(expected)));
    }

    [Test]
    public async Task Subscribing_during_a_fast_run_loses_and_repeats_nothing()
    {
        // About 8 MB written as fast as possible while the subscribers join mid-run.
        var runId = await _server.StartRunAsync("seq 1 1000000");
        var watches = new[]
        {
            _server.WatchAsync(runId, transports: "websocket"),
            _server.WatchAsync(runId, transports: "default"),
            _server.WatchAsync(runId, via: "query", transports: "websocket"),
        };
        var results = await Task.WhenAll(watches);
        var expected = Sha256(string.Concat(Enumerable.Range(1, 1000000).Select(i => i + "\n")));
        foreach (var watch in results)
        {
            AssertComplete(watch);
            Assert.That(watch.GetProperty("stdoutSha256").GetString(), Is.EqualTo(expected));
        }
    }

    [Test]
    public async Task A_50_MB_output_arrives_complete_and_in_order_at_several_subscribers()
    {
        const long size = 50L * 1024 * 1024;
        var runId = await _server.StartRunAsync($"head -c {size} /dev/zero | tr '\\0' 'a'; printf end");
        var watches = Enumerable.Range(0, 3).Select(i => _server.WatchAsync(runId, transports: i == 1 ? "default" : "websocket")).ToArray();
        var results = await Task.WhenAll(watches);
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var chunk = Encoding.ASCII.GetBytes(new string('a', 1024 * 1024));
        for (var i = 0; i < 50; i++)
        {
            sha.AppendData(chunk);
        }
        sha.AppendData("end"u8);
        var expected = Convert.ToHexString(sha.GetHashAndReset()).ToLowerInvariant();
        foreach (var watch in results)
        {
            AssertComplete(watch);
            Assert.That(watch.GetProperty("stdoutBytes").GetInt64(), Is.EqualTo(size + 3));
            Assert.That(watch.GetProperty("stdoutSha256").GetString(), Is.EqualTo(expected));
            Assert.That(watch.GetProperty("terminal").GetProperty("stdoutBytes").GetInt64(), Is.EqualTo(size + 3));
        }
    }

    [Test]
    public async Task A_stalled_subscriber_neither_slows_the_others_nor_misses_anything()
    {
        var runId = await _server.StartRunAsync("head -c 20000000 /dev/zero | tr '\\0' 'b'");
        var stalled = _server.WatchAsync(runId, transports: "websocket", pauseMs: 4000);
        var healthy = await _server.WatchAsync(runId, transports: "websocket");
        AssertComplete(healthy);
        Assert.That(healthy.GetProperty("stdoutBytes").GetInt64(), Is.EqualTo(20000000));
        var slow = await stalled;
        AssertComplete(slow);
        Assert.That(slow.GetProperty("stdoutBytes").GetInt64(), Is.EqualTo(20000000));
    }

    [Test]
    public async Task Stalled_subscribers_that_read_again_get_every_line_once_and_in_order()
    {
        // About 30 MB of numbered lines: far more than the memory window, so the two stalled
        // subscribers catch up from the store, sharing its batches and their read-ahead.
        const int Lines = 3_500_000;
        var runId = await _server.StartRunAsync($"sleep 1; seq 1 {Lines}");
        var stalled = new[]
        {
            _server.WatchAsync(runId, transports: "websocket", pauseMs: 4000),
            _server.WatchAsync(runId, transports: "websocket", pauseMs: 4000),
        };
        var expected = Sha256(string.Concat(Enumerable.Range(1, Lines).Select(i => $"{i}\n")));
        foreach (var watch in await Task.WhenAll(stalled))
        {
            AssertComplete(watch);
            Assert.That(watch.GetProperty("stdoutSha256").GetString(), Is.EqualTo(expected));
        }
    }

    [Test]
    public async Task Two_runs_at_once_never_mix()
    {
        var a = await _server.StartRunAsync("for i in $(seq 1 3000); do echo A$i; done");
        var b = await _server.StartRunAsync("for i in $(seq 1 3000); do echo B$i; done");
        var results = await Task.WhenAll(_server.WatchAsync(a), _server.WatchAsync(b));
        AssertComplete(results[0]);
        AssertComplete(results[1]);
        Assert.That(results[0].GetProperty("runIds").EnumerateArray().Select(x => x.GetString()), Is.EqualTo(new[] { a }));
        Assert.That(results[1].GetProperty("runIds").EnumerateArray().Select(x => x.GetString()), Is.EqualTo(new[] { b }));
        Assert.That(results[0].GetProperty("stdoutSha256").GetString(), Is.EqualTo(Sha256(string.Concat(Enumerable.Range(1, 3000).Select(i => $"A{i}\n")))));
        Assert.That(results[1].GetProperty("stdoutSha256").GetString(), Is.EqualTo(Sha256(string.Concat(Enumerable.Range(1, 3000).Select(i => $"B{i}\n")))));
    }

    [Test]
    public async Task Multi_byte_characters_split_across_writes_arrive_intact()
    {
        var runId = await _server.StartRunAsync("printf '\\342'; sleep 0.1; printf '\\202'; sleep 0.1; printf '\\254 h\\303'; sleep 0.1; printf '\\251llo'");
        var watch = await _server.WatchAsync(runId);
        AssertComplete(watch);
        Assert.That(watch.GetProperty("stdoutText").GetString(), Is.EqualTo("€ héllo"));
    }

    [Test]
    public async Task Subscribing_to_an_unknown_well_formed_id_waits_for_an_external_executor()
    {
        var runId = "later-" + Guid.NewGuid().ToString("N");
        var watch = _server.WatchAsync(runId);
        // Publish only once the subscriber is there: poll the server until it holds the subscription.
        await Eventually.WaitUntilAsync(() => _server.Runs.SubscriberCountOf(runId) > 0, "the subscriber arrived", TimeSpan.FromSeconds(60));
        var publish = await _server.SendAsync(HttpMethod.Post, $"/runs/{runId}/events",
            "[{\"type\":\"stdout\",\"data\":\"from afar\\n\"},{\"type\":\"status\",\"data\":\"succeeded\",\"exitCode\":0}]");
        Assert.That(publish.StatusCode, Is.EqualTo(HttpStatusCode.Accepted));
        var result = await watch;
        AssertComplete(result);
        Assert.That(result.GetProperty("ack").GetProperty("status").ValueKind, Is.EqualTo(JsonValueKind.Null));
        Assert.That(result.GetProperty("stdoutText").GetString(), Is.EqualTo("from afar\n"));
        Assert.That(result.GetProperty("statuses").EnumerateArray().Select(s => s.GetString()), Is.EqualTo(new[] { "succeeded" }));
    }

    [TestCase("bad id")]
    [TestCase("-dash")]
    [TestCase("")]
    public async Task Subscribing_to_a_malformed_id_is_refused_in_the_ack(string runId)
    {
        var watch = await _server.WatchAsync(runId.Length == 0 ? "\"\"" : runId);
        Assert.That(watch.GetProperty("ok").GetBoolean(), Is.True, watch.GetRawText());
        Assert.That(watch.GetProperty("ack").GetProperty("ok").GetBoolean(), Is.False);
        Assert.That(watch.GetProperty("ack").GetProperty("error").GetString(), Does.Contain("runId"));
        Assert.That(watch.GetProperty("events").GetInt32(), Is.EqualTo(0));
    }

    [Test]
    public async Task A_wrong_token_is_refused_with_Unauthorized_and_gets_nothing()
    {
        var refused = await _server.ConnectAsync("wrong-token");
        Assert.That(refused.GetProperty("connected").GetBoolean(), Is.False);
        Assert.That(refused.GetProperty("error").GetString(), Is.EqualTo("Unauthorized"));
        var missing = await _server.ConnectAsync("", ns: "/runs", transports: "polling");
        Assert.That(missing.GetProperty("connected").GetBoolean(), Is.False);
        Assert.That(missing.GetProperty("error").GetString(), Is.EqualTo("Unauthorized"));
        var accepted = await _server.ConnectAsync(RunsServerHost.Token, ns: "/runs");
        Assert.That(accepted.GetProperty("connected").GetBoolean(), Is.True);
    }

    [Test]
    public async Task An_unknown_namespace_is_refused_with_Invalid_namespace()
    {
        var result = await _server.ConnectAsync(RunsServerHost.Token, ns: "/elsewhere");
        Assert.That(result.GetProperty("connected").GetBoolean(), Is.False);
        Assert.That(result.GetProperty("error").GetString(), Is.EqualTo("Invalid namespace"));
    }
}
