using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using RunsStream.Server;
using RunsStream.Server.Configuration;
using RunsStream.Server.Runs;

namespace RunsStream.Tests.Support;

/// <summary>
/// The real RunsStream server (the same composition as Program.cs) on a free loopback port,
/// with its own data directory, stopped and deleted with the test.
/// </summary>
public sealed class RunsServerHost : IAsyncDisposable
{
    public const string Token = "test-token-0123456789";

    private readonly WebApplication _app;

    private RunsServerHost(WebApplication app, string url, RunsStreamOptions options, string dataDirectory)
    {
        _app = app;
        Url = url;
        Options = options;
        DataDirectory = dataDirectory;
        Http = new HttpClient { BaseAddress = new Uri(url), Timeout = TimeSpan.FromSeconds(120) };
        Http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token);
    }

    public string Url { get; }

    public RunsStreamOptions Options { get; }

    public string DataDirectory { get; }

    /// <summary>An HttpClient that sends the bearer token.</summary>
    public HttpClient Http { get; }

    public RunsService Runs => _app.Services.GetRequiredService<RunsService>();

    public static async Task<RunsServerHost> StartAsync(Func<RunsStreamOptions, RunsStreamOptions>? configure = null)
    {
        var dataDirectory = Path.Combine(Path.GetTempPath(), "runsstream-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dataDirectory);
        var options = new RunsStreamOptions
        {
            Host = "127.0.0.1",
            Port = 0,
            AuthToken = Token,
            DataDirectory = dataDirectory,
            WorkspaceRoot = Path.Combine(dataDirectory, "workspaces"),
            MaxConcurrentRuns = 4,
            CancelGrace = TimeSpan.FromSeconds(5),
        };
        options = configure?.Invoke(options) ?? options;

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        var app = RunsStreamApp.Build(options, builder);
        await app.StartAsync().WaitAsync(TimeSpan.FromSeconds(60));
        var url = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new RunsServerHost(app, url, options, dataDirectory);
    }

    /// <summary>POST /runs and returns the run id.</summary>
    public async Task<string> StartRunAsync(string command, string? workspaceId = null)
    {
        var response = await Http.PostAsJsonAsync("/runs", new { command, workspaceId });
        var body = await response.Content.ReadAsStringAsync();
        Assert.That((int)response.StatusCode, Is.EqualTo(201), body);
        return JsonDocument.Parse(body).RootElement.GetProperty("runId").GetString()!;
    }

    public async Task<JsonElement> GetRunAsync(string runId)
    {
        var response = await Http.GetAsync($"/runs/{runId}");
        var body = await response.Content.ReadAsStringAsync();
        Assert.That((int)response.StatusCode, Is.EqualTo(200), body);
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    /// <summary>Polls GET /runs/{id} until <paramref name="predicate"/> holds (generous deadline, no fixed sleeps).</summary>
    public async Task<JsonElement> WaitForRunAsync(string runId, Func<JsonElement, bool> predicate, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(120));
        var delay = 10;
        while (true)
        {
            var run = await GetRunAsync(runId);
            if (predicate(run))
            {
                return run;
            }
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"run {runId} never reached the expected state; last: {run.GetRawText()}");
            }
            await Task.Delay(delay);
            delay = Math.Min(delay * 2, 200);
        }
    }

    public Task<JsonElement> WaitForTerminalAsync(string runId, TimeSpan? timeout = null) =>
        WaitForRunAsync(runId, r => r.GetProperty("status").GetString() is "succeeded" or "failed" or "cancelled", timeout);

    public async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string? body = null, bool withToken = true, string contentType = "application/json")
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8, contentType);
        }
        if (!withToken)
        {
            request.Headers.Authorization = null;
            using var anonymous = new HttpClient { BaseAddress = new Uri(Url), Timeout = TimeSpan.FromSeconds(60) };
            return await anonymous.SendAsync(request);
        }
        return await Http.SendAsync(request);
    }

    /// <summary>Runs NodeClient/runs-client.mjs (the npm socket.io-client) against this server.</summary>
    public Task<JsonElement> WatchAsync(string runId, long? since = null, string via = "event", string ns = "/", string transports = "default", string until = "terminal", int pauseMs = 0, string token = Token)
    {
        var arguments = new List<string> { "--url", Url, "--token", token, "--namespace", ns, "--transports", transports, "--run-id", runId, "--via", via, "--until", until, "--timeout", "150000" };
        if (since is not null)
        {
            arguments.AddRange(["--since", since.Value.ToString()]);
        }
        if (pauseMs > 0)
        {
            arguments.AddRange(["--pause-ms", pauseMs.ToString()]);
        }
        return NodeDriver.RunAsync("runs-client.mjs", arguments, TimeSpan.FromSeconds(180));
    }

    public Task<JsonElement> ConnectAsync(string? token, string ns = "/", string transports = "websocket")
    {
        var arguments = new List<string> { "--url", Url, "--token", token ?? "", "--namespace", ns, "--transports", transports, "--mode", "connect", "--timeout", "30000" };
        return NodeDriver.RunAsync("runs-client.mjs", arguments, TimeSpan.FromSeconds(60));
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            await _app.StopAsync(cts.Token);
        }
        finally
        {
            await _app.DisposeAsync();
            try
            {
                Directory.Delete(DataDirectory, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }
}
