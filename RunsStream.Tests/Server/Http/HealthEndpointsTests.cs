using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using RunsStream.Server.Http;
using RunsStream.Server.Runs.Storage;
using RunsStream.Tests.Support;

namespace RunsStream.Tests.Server.Http;

/// <summary>
/// /healthz (liveness) and /readyz (readiness), without a token: ready while the store writes
/// and the server is not stopping; 503 with the reason from the moment a SIGTERM arrives
/// (while the runs are still being stopped and /healthz still says 200), and while the store
/// cannot write (here from its health value; FullDiskTests shows it on a real full disk).
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class HealthEndpointsTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    private static async Task<(HttpStatusCode Status, JsonElement Body)> GetAsync(HttpClient http, string url)
    {
        using var response = await http.GetAsync(url);
        return (response.StatusCode, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone());
    }

    [Test]
    public async Task A_serving_server_is_live_and_ready_without_a_token()
    {
        await using var server = await RunsServerHost.StartAsync();
        using var anonymous = new HttpClient { BaseAddress = new Uri(server.Url) };

        var ready = await GetAsync(anonymous, "/readyz");
        Assert.That(ready.Status, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(ready.Body.GetProperty("status").GetString(), Is.EqualTo("ready"));
        var live = await GetAsync(anonymous, "/healthz");
        Assert.That(live.Status, Is.EqualTo(HttpStatusCode.OK));

        using var head = await anonymous.SendAsync(new HttpRequestMessage(HttpMethod.Head, "/readyz"));
        Assert.That(head.StatusCode, Is.EqualTo(HttpStatusCode.OK));
    }

    [Test]
    public async Task From_SIGTERM_on_the_server_is_not_ready_while_it_stays_live()
    {
        var dataDirectory = Directory.CreateTempSubdirectory("runsstream-readyz-").FullName;
        try
        {
            // A run that ignores SIGTERM holds the shutdown open for the cancel grace.
            await using var server = await ServerProcess.StartAsync(dataDirectory, new Dictionary<string, string> { ["CANCEL_GRACE"] = "15s" });
            using var anonymous = new HttpClient { BaseAddress = new Uri(server.Url) };
            Assert.That((await GetAsync(anonymous, "/readyz")).Status, Is.EqualTo(HttpStatusCode.OK));
            var runId = await server.StartRunAsync("trap '' TERM; echo started; sleep 600");
            await server.WaitForLogAsync(runId, "started");

            var stopping = server.StopAsync();
            var notReady = await Eventually.ValueAsync(
                () => GetAsync(anonymous, "/readyz"),
                r => r.Status == HttpStatusCode.ServiceUnavailable,
                r => $"/readyz stayed {r.Status}: {r.Body.GetRawText()}",
                Timeout);
            Assert.That(notReady.Body.GetProperty("status").GetString(), Is.EqualTo("unavailable"));
            Assert.That(notReady.Body.GetProperty("reason").GetString(), Does.Contain("shutting down"));
            Assert.That((await GetAsync(anonymous, "/healthz")).Status, Is.EqualTo(HttpStatusCode.OK), "still live while it stops");
            Assert.That(await stopping, Is.EqualTo(0));
        }
        finally
        {
            Directory.Delete(dataDirectory, recursive: true);
        }
    }

    [Test]
    public async Task A_store_that_cannot_write_makes_the_server_not_ready_and_says_why()
    {
        var since = DateTimeOffset.Parse("2026-01-02T03:04:05Z");
        var (status, body) = await ExecuteAsync(HealthEndpoints.Readiness(new StoreHealth(false, "database or disk is full", since, 3), shuttingDown: false));
        Assert.That(status, Is.EqualTo(StatusCodes.Status503ServiceUnavailable));
        Assert.That(body.GetProperty("reason").GetString(), Is.EqualTo("The run store cannot write: database or disk is full"));
        Assert.That(body.GetProperty("since").GetString(), Is.EqualTo("2026-01-02T03:04:05.000Z"));

        var (stopping, stoppingBody) = await ExecuteAsync(HealthEndpoints.Readiness(new StoreHealth(false, "disk full", since, 1), shuttingDown: true));
        Assert.That(stopping, Is.EqualTo(StatusCodes.Status503ServiceUnavailable));
        Assert.That(stoppingBody.GetProperty("reason").GetString(), Does.Contain("shutting down"));

        Assert.That((await ExecuteAsync(HealthEndpoints.Readiness(StoreHealth.Writable, shuttingDown: false))).Status, Is.EqualTo(StatusCodes.Status200OK));
    }

    private static async Task<(int Status, JsonElement Body)> ExecuteAsync(IResult result)
    {
        var context = new DefaultHttpContext
        {
            RequestServices = new ServiceCollection().AddLogging().AddSingleton(NullLoggerFactory.Instance).BuildServiceProvider(),
        };
        context.Response.Body = new MemoryStream();
        await result.ExecuteAsync(context);
        return (context.Response.StatusCode, JsonDocument.Parse(((MemoryStream)context.Response.Body).ToArray()).RootElement.Clone());
    }
}
