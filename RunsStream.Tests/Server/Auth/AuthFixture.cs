using System.Net.Http.Headers;
using System.Text;
using RunsStream.Server.Auth;
using RunsStream.Server.Configuration;
using RunsStream.Tests.Support;

namespace RunsStream.Tests.Server.Auth;

/// <summary>
/// A server that accepts HS256 tokens signed with <see cref="Secret"/>, and tokens for it: the
/// real minter, the real validator, a real server on a loopback port.
/// </summary>
internal static class AuthFixture
{
    public const string Secret = "test-secret-of-at-least-32-bytes-0123456789";

    public static readonly byte[] SecretBytes = Encoding.UTF8.GetBytes(Secret);

    public static JwtOptions Jwt(TimeSpan? skew = null, string? issuer = null, string? audience = null) =>
        JwtOptions.Load(name => name switch
        {
            "AUTH_JWT_SECRET" => Secret,
            "AUTH_CLOCK_SKEW" => skew is { } s ? $"{s.TotalSeconds}s" : null,
            "AUTH_JWT_ISSUER" => issuer,
            "AUTH_JWT_AUDIENCE" => audience,
            _ => null,
        })!;

    public static Task<RunsServerHost> StartAsync(TimeSpan? skew = null, Func<RunsStreamOptions, RunsStreamOptions>? configure = null) =>
        RunsServerHost.StartAsync(o => (configure?.Invoke(o) ?? o) with { Jwt = Jwt(skew) });

    /// <summary>A token for <paramref name="user"/> on <paramref name="workspaces"/> (comma-separated) with <paramref name="scopes"/>.</summary>
    public static string Token(string user, string workspaces, string scopes, TimeSpan? lifetime = null, DateTimeOffset? now = null) =>
        TokenMinter.Mint(SecretBytes, user, workspaces.Split(','), scopes, lifetime ?? TimeSpan.FromHours(1), now ?? DateTimeOffset.UtcNow);

    public static async Task<HttpResponseMessage> SendAsync(RunsServerHost server, string? token, HttpMethod method, string path, string? body = null)
    {
        using var http = new HttpClient { BaseAddress = new Uri(server.Url), Timeout = TimeSpan.FromSeconds(60) };
        using var request = new HttpRequestMessage(method, path);
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        }
        return await http.SendAsync(request);
    }

    /// <summary>POST /runs as <paramref name="token"/>; the new run's id.</summary>
    public static async Task<string> StartRunAsync(RunsServerHost server, string token, string command, string workspaceId)
    {
        var body = System.Text.Json.JsonSerializer.Serialize(new { command, workspaceId });
        using var response = await SendAsync(server, token, HttpMethod.Post, "/runs", body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.That((int)response.StatusCode, Is.EqualTo(201), text);
        return System.Text.Json.JsonDocument.Parse(text).RootElement.GetProperty("runId").GetString()!;
    }
}
