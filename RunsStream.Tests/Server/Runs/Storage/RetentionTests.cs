using System.Net;
using System.Text.Json;
using RunsStream.Tests.Support;

namespace RunsStream.Tests.Server.Runs.Storage;

/// <summary>RUN_RETENTION: expired runs are deleted and their endpoints answer 410 Gone.</summary>
[TestFixture]
public sealed class RetentionTests
{
    [Test]
    public async Task An_expired_run_is_deleted_and_answers_410_while_running_ones_stay()
    {
        await using var server = await RunsServerHost.StartAsync(o => o with { RunRetention = TimeSpan.FromSeconds(1) });
        var expired = await server.StartRunAsync("echo short-lived");
        await server.WaitForTerminalAsync(expired);
        var running = await server.StartRunAsync("sleep 600");

        var response = await Eventually.ValueAsync(
            () => server.Http.GetAsync($"/runs/{expired}"),
            r => r.StatusCode == HttpStatusCode.Gone,
            r => $"the run was never deleted: {(int)r.StatusCode}",
            TimeSpan.FromSeconds(60));
        await RestErrors.ErrorOf(response, 410, "gone");
        Assert.That((await server.Http.GetAsync($"/runs/{expired}/log")).StatusCode, Is.EqualTo(HttpStatusCode.Gone));
        Assert.That((await server.Http.PostAsync($"/runs/{expired}/cancel", null)).StatusCode, Is.EqualTo(HttpStatusCode.Gone));
        var list = JsonDocument.Parse(await server.Http.GetStringAsync("/runs")).RootElement;
        Assert.That(list.EnumerateArray().Select(r => r.GetProperty("runId").GetString()), Does.Not.Contain(expired));

        var stillThere = await server.GetRunAsync(running);
        Assert.That(stillThere.GetProperty("status").GetString(), Is.EqualTo("running"));
        await server.SendAsync(HttpMethod.Post, $"/runs/{running}/cancel");
        await server.WaitForTerminalAsync(running);
    }
}
