using System.Net.Http.Json;
using System.Text.Json;

namespace RunsStream.Tests.Support;

/// <summary>
/// A runs server a test talks to from outside: <see cref="RunsServerHost"/> in this process or
/// <see cref="ServerProcess"/> as its own, both on a loopback URL with the test token.
/// </summary>
public interface IRunsServer
{
    /// <summary>The base URL the server listens on.</summary>
    string Url { get; }

    /// <summary>An HttpClient on <see cref="Url"/> that sends the bearer token.</summary>
    HttpClient Http { get; }
}

/// <summary>
/// What tests do with a runs server over REST and the npm socket.io-client, the same whether
/// the server runs in the test's process or in its own: start a run, read it, wait for it.
/// </summary>
public static class RunsServerRest
{
    /// <summary>How long a wait on a run may take by default: runs are real processes on a loaded machine.</summary>
    public static readonly TimeSpan RunTimeout = TimeSpan.FromSeconds(120);

    /// <summary>POST /runs; the new run's id.</summary>
    public static async Task<string> StartRunAsync(this IRunsServer server, string command, string? workspaceId = null)
    {
        var response = await server.Http.PostAsJsonAsync("/runs", new { command, workspaceId });
        var body = await response.Content.ReadAsStringAsync();
        Assert.That((int)response.StatusCode, Is.EqualTo(201), body);
        return JsonDocument.Parse(body).RootElement.GetProperty("runId").GetString()!;
    }

    /// <summary>GET /runs/{id}, which must answer 200.</summary>
    public static async Task<JsonElement> GetRunAsync(this IRunsServer server, string runId)
    {
        var response = await server.Http.GetAsync($"/runs/{runId}");
        var body = await response.Content.ReadAsStringAsync();
        Assert.That((int)response.StatusCode, Is.EqualTo(200), body);
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    /// <summary>Polls GET /runs/{id} until <paramref name="predicate"/> holds; the run then.</summary>
    public static Task<JsonElement> WaitForRunAsync(this IRunsServer server, string runId, Func<JsonElement, bool> predicate, TimeSpan? timeout = null) =>
        Eventually.ValueAsync(
            () => server.GetRunAsync(runId),
            predicate,
            run => $"run {runId} never reached the expected state; last: {run.GetRawText()}",
            timeout ?? RunTimeout);

    /// <summary>Waits until the run succeeded, failed or was cancelled; the run then.</summary>
    public static Task<JsonElement> WaitForTerminalAsync(this IRunsServer server, string runId, TimeSpan? timeout = null) =>
        server.WaitForRunAsync(runId, r => r.GetProperty("status").GetString() is "succeeded" or "failed" or "cancelled", timeout);

    /// <summary>Polls GET /runs/{id}/log until it holds <paramref name="text"/>; the log then.</summary>
    public static Task<string> WaitForLogAsync(this IRunsServer server, string runId, string text, TimeSpan? timeout = null) =>
        server.WaitForLogAsync(runId, log => log.Contains(text, StringComparison.Ordinal), $"\"{text}\" in the log", timeout);

    /// <summary>Polls GET /runs/{id}/log until <paramref name="done"/> holds for it; the log then.</summary>
    public static Task<string> WaitForLogAsync(this IRunsServer server, string runId, Func<string, bool> done, string what, TimeSpan? timeout = null) =>
        Eventually.ValueAsync(
            () => server.Http.GetStringAsync($"/runs/{runId}/log"),
            done,
            log => $"waiting for {what} of {runId}; the log: {log}",
            timeout ?? RunTimeout);

    /// <summary>Runs NodeClient/runs-client.mjs (the npm socket.io-client) to watch a run; its JSON verdict.</summary>
    public static Task<JsonElement> WatchAsync(this IRunsServer server, string runId, long? since = null, string via = "event", string ns = "/", string transports = "default", string until = "terminal", int pauseMs = 0, string token = RunsServerHost.Token)
    {
        var arguments = new List<string> { "--url", server.Url, "--token", token, "--namespace", ns, "--transports", transports, "--run-id", runId, "--via", via, "--until", until, "--timeout", "150000" };
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

    /// <summary>Runs NodeClient/runs-client.mjs to connect only; whether it was let in, and the error if not.</summary>
    public static Task<JsonElement> ConnectAsync(this IRunsServer server, string? token, string ns = "/", string transports = "websocket")
    {
        var arguments = new List<string> { "--url", server.Url, "--token", token ?? "", "--namespace", ns, "--transports", transports, "--mode", "connect", "--timeout", "30000" };
        return NodeDriver.RunAsync("runs-client.mjs", arguments, TimeSpan.FromSeconds(60));
    }
}
