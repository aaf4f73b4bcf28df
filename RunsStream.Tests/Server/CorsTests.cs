using RunsStream.Tests.Support;

namespace RunsStream.Tests.Server;

/// <summary>CONTRACT sections 1 and 6: CORS_ORIGINS for REST and the Socket.IO endpoint.</summary>
[TestFixture]
public sealed class CorsTests
{
    private static async Task<HttpResponseMessage> SendAsync(RunsServerHost server, HttpMethod method, string path, string origin, bool preflight = false)
    {
        using var http = new HttpClient { BaseAddress = new Uri(server.Url), Timeout = TimeSpan.FromSeconds(30) };
        using var request = new HttpRequestMessage(method, path);
        request.Headers.Add("Origin", origin);
        if (preflight)
        {
            request.Headers.Add("Access-Control-Request-Method", "POST");
            request.Headers.Add("Access-Control-Request-Headers", "authorization,content-type");
        }
        else
        {
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", RunsServerHost.Token);
        }
        return await http.SendAsync(request);
    }

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? string.Join(",", values) : null;

    [Test]
    public async Task Without_CORS_ORIGINS_no_CORS_headers_are_sent()
    {
        await using var server = await RunsServerHost.StartAsync();
        var rest = await SendAsync(server, HttpMethod.Get, "/runs", "http://elsewhere.example");
        Assert.That(Header(rest, "Access-Control-Allow-Origin"), Is.Null);
        var socket = await SendAsync(server, HttpMethod.Get, "/socket.io/?EIO=4&transport=polling", "http://elsewhere.example");
        Assert.That(Header(socket, "Access-Control-Allow-Origin"), Is.Null);
    }

    [Test]
    public async Task A_listed_origin_gets_credentials_and_an_unlisted_one_nothing()
    {
        await using var server = await RunsServerHost.StartAsync(o => o with { CorsOrigins = ["http://app.example"] });
        foreach (var path in new[] { "/runs", "/socket.io/?EIO=4&transport=polling" })
        {
            var listed = await SendAsync(server, HttpMethod.Get, path, "http://app.example");
            Assert.That(Header(listed, "Access-Control-Allow-Origin"), Is.EqualTo("http://app.example"), path);
            Assert.That(Header(listed, "Access-Control-Allow-Credentials"), Is.EqualTo("true"), path);
            var other = await SendAsync(server, HttpMethod.Get, path, "http://evil.example");
            Assert.That(Header(other, "Access-Control-Allow-Origin"), Is.Null, path);
        }
        var preflight = await SendAsync(server, HttpMethod.Options, "/runs", "http://app.example", preflight: true);
        Assert.That((int)preflight.StatusCode, Is.EqualTo(204));
        Assert.That(Header(preflight, "Access-Control-Allow-Methods"), Does.Contain("POST"));
        Assert.That(Header(preflight, "Access-Control-Allow-Headers")?.ToLowerInvariant(), Does.Contain("authorization"));
        var socketPreflight = await SendAsync(server, HttpMethod.Options, "/socket.io/?EIO=4&transport=polling", "http://app.example", preflight: true);
        Assert.That((int)socketPreflight.StatusCode, Is.EqualTo(204));
    }

    [Test]
    public async Task A_star_allows_any_origin_without_credentials()
    {
        await using var server = await RunsServerHost.StartAsync(o => o with { CorsOrigins = ["*"] });
        foreach (var path in new[] { "/runs", "/socket.io/?EIO=4&transport=polling" })
        {
            var response = await SendAsync(server, HttpMethod.Get, path, "http://any.example");
            Assert.That(Header(response, "Access-Control-Allow-Origin"), Is.EqualTo("*"), path);
            Assert.That(Header(response, "Access-Control-Allow-Credentials"), Is.Null, path);
        }
    }
}
