using System.Net;
using Microsoft.Extensions.DependencyInjection;
using RunsStream.Protocol.EngineIO;
using RunsStream.Protocol.SocketIO;
using RunsStream.Protocol.Hosting;
using RunsStream.Tests.Support;

namespace RunsStream.Tests.Protocol.EngineIO;

/// <summary>CORS on the polling transport: "*" for the compliance host, a listed origin with credentials otherwise.</summary>
[TestFixture]
[NonParallelizable]
public sealed class CorsPolicyTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? string.Join(",", values)
        : response.Content.Headers.TryGetValues(name, out var contentValues) ? string.Join(",", contentValues)
        : null;

    private static async Task<HttpResponseMessage> SendAsync(HttpClient http, HttpMethod method, string url, string? origin, params (string Name, string Value)[] headers)
    {
        var request = new HttpRequestMessage(method, url);
        if (origin is not null)
        {
            request.Headers.Add("Origin", origin);
        }
        foreach (var (name, value) in headers)
        {
            request.Headers.Add(name, value);
        }
        return await http.SendAsync(request).WaitAsync(Timeout);
    }

    [Test]
    public async Task With_any_origin_allowed_a_request_with_an_origin_gets_the_wildcard_and_no_credentials()
    {
        await using var host = await RawHost.StartComplianceAsync();
        var http = host.Http;

        using var response = await SendAsync(http, HttpMethod.Get, "/socket.io/?EIO=4&transport=polling", "http://example.com");

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(Header(response, "Access-Control-Allow-Origin"), Is.EqualTo("*"));
        Assert.That(Header(response, "Access-Control-Allow-Credentials"), Is.Null);
    }

    [Test]
    public async Task With_any_origin_allowed_a_preflight_is_answered_204_with_methods_and_the_requested_headers()
    {
        await using var host = await RawHost.StartComplianceAsync();
        var http = host.Http;

        using var response = await SendAsync(http, HttpMethod.Options, "/engine.io/?EIO=4&transport=polling", "http://example.com",
            ("Access-Control-Request-Method", "POST"), ("Access-Control-Request-Headers", "content-type"));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
        Assert.That(Header(response, "Access-Control-Allow-Origin"), Is.EqualTo("*"));
        Assert.That(Header(response, "Access-Control-Allow-Methods")?.Split(','), Does.Contain("GET").And.Contain("POST"));
        Assert.That(Header(response, "Access-Control-Allow-Headers"), Is.EqualTo("content-type"));
    }

    [Test]
    public async Task A_request_without_an_origin_gets_no_cors_headers()
    {
        await using var host = await RawHost.StartComplianceAsync();
        var http = host.Http;

        using var response = await SendAsync(http, HttpMethod.Get, "/engine.io/?EIO=4&transport=polling", origin: null);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(Header(response, "Access-Control-Allow-Origin"), Is.Null);
    }

    [Test]
    public async Task A_listed_origin_is_echoed_with_credentials_and_other_origins_get_no_cors_headers()
    {
        await using var server = await TestServer.StartAsync(
            builder => builder.Services.AddSocketIO(new SocketIOOptions { Engine = new EngineIOOptions { Cors = new CorsPolicy(["http://a.example"]) } }),
            app => app.MapSocketIO());
        var http = server.Http;

        using (var listed = await SendAsync(http, HttpMethod.Get, "/socket.io/?EIO=4&transport=polling", "http://a.example"))
        {
            Assert.That(listed.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(Header(listed, "Access-Control-Allow-Origin"), Is.EqualTo("http://a.example"));
            Assert.That(Header(listed, "Access-Control-Allow-Credentials"), Is.EqualTo("true"));
            Assert.That(Header(listed, "Vary"), Does.Contain("Origin"));
        }

        using (var preflight = await SendAsync(http, HttpMethod.Options, "/socket.io/?EIO=4&transport=polling", "http://a.example",
            ("Access-Control-Request-Method", "POST")))
        {
            Assert.That(preflight.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
            Assert.That(Header(preflight, "Access-Control-Allow-Origin"), Is.EqualTo("http://a.example"));
            Assert.That(Header(preflight, "Access-Control-Allow-Credentials"), Is.EqualTo("true"));
        }

        using (var other = await SendAsync(http, HttpMethod.Get, "/socket.io/?EIO=4&transport=polling", "http://b.example"))
        {
            Assert.That(other.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(Header(other, "Access-Control-Allow-Origin"), Is.Null);
            Assert.That(Header(other, "Access-Control-Allow-Credentials"), Is.Null);
        }

        using (var otherPreflight = await SendAsync(http, HttpMethod.Options, "/socket.io/?EIO=4&transport=polling", "http://b.example",
            ("Access-Control-Request-Method", "POST")))
        {
            Assert.That(otherPreflight.StatusCode, Is.Not.EqualTo(HttpStatusCode.NoContent));
            Assert.That(Header(otherPreflight, "Access-Control-Allow-Origin"), Is.Null);
        }
    }

    [Test]
    public void A_listed_origin_matches_case_insensitively_and_without_a_trailing_slash()
    {
        var policy = new CorsPolicy(["http://A.example/", " ", "http://b.example"]);

        Assert.That(policy.IsListed("http://a.example"), Is.True);
        Assert.That(policy.IsListed("http://b.example"), Is.True);
        Assert.That(policy.IsListed("http://c.example"), Is.False);
        Assert.That(policy.AllowAny, Is.False);
        Assert.That(new CorsPolicy(["*"]).AllowAny, Is.True);
    }

    [Test]
    public async Task An_error_answer_carries_the_cors_headers_so_a_browser_can_read_it()
    {
        await using var host = await RawHost.StartComplianceAsync();
        var http = host.Http;

        using var response = await SendAsync(http, HttpMethod.Get, "/engine.io/?EIO=4&transport=unknown", "http://example.com");

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(Header(response, "Access-Control-Allow-Origin"), Is.EqualTo("*"));
    }
}
