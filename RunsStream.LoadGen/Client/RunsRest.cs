using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace RunsStream.LoadGen.Client;

/// <summary>The REST calls the scenarios need: start a run, read its status and its log, cancel it.</summary>
internal sealed class RunsRest(HttpClient http, Uri server, string token)
{
    public async Task<string> StartAsync(string command, CancellationToken cancellationToken = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(server, "/runs"))
        {
            Content = JsonContent.Create(new Dictionary<string, string> { ["command"] = command }),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await http.SendAsync(request, cancellationToken);
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        if ((int)response.StatusCode != 201)
        {
            throw new InvalidOperationException($"POST /runs answered {(int)response.StatusCode}: {body}");
        }
        return JsonDocument.Parse(body).RootElement.GetProperty("runId").GetString()!;
    }

    public async Task<string?> StatusAsync(string runId, CancellationToken cancellationToken = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(server, "/runs/" + runId));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await http.SendAsync(request, cancellationToken);
        response.EnsureSuccessStatusCode();
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        var status = JsonDocument.Parse(body).RootElement.GetProperty("status");
        return status.ValueKind == JsonValueKind.String ? status.GetString() : null;
    }

    /// <summary>GET /runs/{id}/log: stdout and stderr interleaved in seq order (CONTRACT section 6).</summary>
    public async Task<string> LogAsync(string runId, CancellationToken cancellationToken = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(server, $"/runs/{runId}/log"));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await http.SendAsync(request, cancellationToken);
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadAsStringAsync(cancellationToken);
    }

    public async Task CancelAsync(string runId)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(server, $"/runs/{runId}/cancel"));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await http.SendAsync(request);
    }

    /// <summary>Polls until the run has a terminal status; returns it.</summary>
    public async Task<string> WaitFinishedAsync(string runId, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            var status = await StatusAsync(runId);
            if (status is "succeeded" or "failed" or "cancelled")
            {
                return status;
            }
            await Task.Delay(50);
        }
        throw new TimeoutException($"run {runId} did not finish within {timeout}");
    }
}
