using System.Text.Json;
using RunsStream.Tests.Support;

namespace RunsStream.Tests.Server.Auth;

/// <summary>Issue 15 item 2: who started and who cancelled a run, stored (SQLite schema 4) and shown by GET /runs/{id}.</summary>
[TestFixture]
public sealed class RunAuthorshipTests
{
    [Test]
    public async Task CreatedBy_and_cancelledBy_are_the_tokens_users_and_survive_a_restart()
    {
        var data = Path.Combine(Path.GetTempPath(), "runsstream-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(data);
        string runId, published;
        await using (var server = await AuthFixture.StartAsync(configure: o => o with { DataDirectory = data, WorkspaceRoot = Path.Combine(data, "ws") }))
        {
            runId = await AuthFixture.StartRunAsync(server, AuthFixture.Token("alice", "a", "runs:write"), "sleep 60", "a");
            using var cancel = await AuthFixture.SendAsync(server, AuthFixture.Token("bob", "a,b", "runs:write"), HttpMethod.Post, $"/runs/{runId}/cancel");
            Assert.That((int)cancel.StatusCode, Is.EqualTo(200), await cancel.Content.ReadAsStringAsync());
            await server.WaitForTerminalAsync(runId);
            published = "ext-" + Guid.NewGuid().ToString("N")[..12];
            using var publish = await AuthFixture.SendAsync(server, AuthFixture.Token("carol", "default", "runs:write"), HttpMethod.Post, $"/runs/{published}/events", "[{\"type\":\"stdout\",\"data\":\"hi\"}]");
            Assert.That((int)publish.StatusCode, Is.EqualTo(202), await publish.Content.ReadAsStringAsync());
            await server.Runs.FlushStoreAsync();
        }
        await using (var restarted = await RunsServerHost.StartAsync(o => o with { DataDirectory = data, WorkspaceRoot = Path.Combine(data, "ws"), Jwt = AuthFixture.Jwt() }))
        {
            var run = await restarted.GetRunAsync(runId);
            Assert.That(run.GetProperty("status").GetString(), Is.EqualTo("cancelled"));
            Assert.That(run.GetProperty("createdBy").GetString(), Is.EqualTo("alice"));
            Assert.That(run.GetProperty("cancelledBy").GetString(), Is.EqualTo("bob"));
            var external = await restarted.GetRunAsync(published);
            Assert.That(external.GetProperty("createdBy").GetString(), Is.EqualTo("carol"));
            Assert.That(external.GetProperty("cancelledBy").ValueKind, Is.EqualTo(JsonValueKind.Null));
            var byAdmin = await restarted.StartRunAsync("true");
            Assert.That((await restarted.GetRunAsync(byAdmin)).GetProperty("createdBy").GetString(), Is.EqualTo("admin"), "WS_AUTH_TOKEN's user");
        }
    }
}
