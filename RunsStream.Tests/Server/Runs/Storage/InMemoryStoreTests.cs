using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using RunsStream.Tests.Support;

namespace RunsStream.Tests.Server.Runs.Storage;

/// <summary>STORE=memory serves the same contract as the durable store, within one process.</summary>
[TestFixture]
public sealed class InMemoryStoreTests
{
    private RunsServerHost _server = null!;

    [OneTimeSetUp]
    public async Task Start() => _server = await RunsServerHost.StartAsync(o => o with { Store = "memory", RunLogMaxBytes = 64 * 1024 });

    [OneTimeTearDown]
    public async Task Stop() => await _server.DisposeAsync();

    [Test]
    public async Task Runs_list_log_ranges_and_replay_work_without_a_database()
    {
        var runId = await _server.StartRunAsync("printf 'hello world'");
        await _server.WaitForTerminalAsync(runId);
        Assert.That(File.Exists(Path.Combine(_server.DataDirectory, "runsstream.db")), Is.False);

        var list = JsonDocument.Parse(await _server.Http.GetStringAsync("/runs")).RootElement;
        Assert.That(list.EnumerateArray().Select(r => r.GetProperty("runId").GetString()), Does.Contain(runId));
        Assert.That(await _server.Http.GetStringAsync($"/runs/{runId}/log"), Is.EqualTo("hello world"));

        using var request = new HttpRequestMessage(HttpMethod.Get, $"/runs/{runId}/log");
        request.Headers.Range = new RangeHeaderValue(6, 10);
        var range = await _server.Http.SendAsync(request);
        Assert.That(range.StatusCode, Is.EqualTo(HttpStatusCode.PartialContent));
        Assert.That(await range.Content.ReadAsStringAsync(), Is.EqualTo("world"));

        var watch = await _server.WatchAsync(runId);
        Assert.That(watch.GetProperty("stdoutText").GetString(), Is.EqualTo("hello world"));
        Assert.That(watch.GetProperty("gaps").GetArrayLength(), Is.EqualTo(0));
    }

    [Test]
    public async Task The_retention_cap_keeps_head_and_tail_with_one_marker()
    {
        var runId = await _server.StartRunAsync("for i in $(seq 1 40); do seq 1 2000; sleep 0.02; done");
        await _server.WaitForTerminalAsync(runId);
        var late = await _server.WatchAsync(runId);
        Assert.That(late.GetProperty("markers").GetArrayLength(), Is.EqualTo(1));
        var total = 40 * string.Concat(Enumerable.Range(1, 2000).Select(i => i + "\n")).Length;
        Assert.That(late.GetProperty("stdoutBytes").GetInt64() + late.GetProperty("markers")[0].GetProperty("droppedBytes").GetInt64(), Is.EqualTo(total));
    }
}
