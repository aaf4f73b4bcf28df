using System.Net;
using System.Text;
using RunsStream.Protocol.EngineIO;
using RunsStream.Tests.Support;

namespace RunsStream.Tests.Protocol.EngineIO;

/// <summary>
/// Every refused request gets the reference's answer: HTTP 400 (403 for code 4) with
/// <c>{"code":n,"message":...}</c> (engine.io Server.errors).
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class EngineErrorsTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    private RawHost _host = null!;

    [OneTimeSetUp]
    public async Task StartServer() => _host = await RawHost.StartComplianceAsync();

    [OneTimeTearDown]
    public async Task StopServer() => await _host.DisposeAsync();

    private HttpClient Http => _host.Http;

    private async Task AssertRefusedAsync(HttpRequestMessage request, int status, string body)
    {
        using var response = await Http.SendAsync(request).WaitAsync(Timeout);

        Assert.That((int)response.StatusCode, Is.EqualTo(status));
        Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/json"));
        Assert.That(await response.Content.ReadAsStringAsync().WaitAsync(Timeout), Is.EqualTo(body));
    }

    [TestCase("/engine.io/?EIO=4&transport=carrier-pigeon")]
    [TestCase("/engine.io/?EIO=4")]
    [TestCase("/socket.io/?EIO=4&transport=")]
    [TestCase("/socket.io/?EIO=4&transport=POLLING")]
    public async Task An_unknown_transport_is_refused_with_code_0(string url)
    {
        await AssertRefusedAsync(new HttpRequestMessage(HttpMethod.Get, url), 400, "{\"code\":0,\"message\":\"Transport unknown\"}");
    }

    [TestCase("/engine.io/?EIO=4&transport=polling&sid=unknown")]
    [TestCase("/socket.io/?EIO=4&transport=polling&sid=AAAAAAAAAAAAAAAAAAAA")]
    public async Task An_unknown_session_id_is_refused_with_code_1(string url)
    {
        await AssertRefusedAsync(new HttpRequestMessage(HttpMethod.Get, url), 400, "{\"code\":1,\"message\":\"Session ID unknown\"}");
        await AssertRefusedAsync(new HttpRequestMessage(HttpMethod.Post, url) { Content = new StringContent("4hello") }, 400, "{\"code\":1,\"message\":\"Session ID unknown\"}");
    }

    [Test]
    public async Task A_websocket_with_an_unknown_session_id_is_refused_with_code_1()
    {
        var key = Convert.ToBase64String(new byte[16]);
        var response = await RawHttp.SendAsync(_host.BaseUri,
            "GET /engine.io/?EIO=4&transport=websocket&sid=unknown HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
            $"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n");

        Assert.That(response.StatusCode, Is.EqualTo(400));
        Assert.That(response.Body, Is.EqualTo("{\"code\":1,\"message\":\"Session ID unknown\"}"));
    }

    [Test]
    public async Task A_handshake_by_post_is_refused_with_code_2()
    {
        await AssertRefusedAsync(
            new HttpRequestMessage(HttpMethod.Post, "/engine.io/?EIO=4&transport=polling") { Content = new StringContent("4hello") },
            400, "{\"code\":2,\"message\":\"Bad handshake method\"}");
    }

    [Test]
    public async Task A_websocket_handshake_without_upgrade_headers_is_refused_with_code_3()
    {
        await AssertRefusedAsync(new HttpRequestMessage(HttpMethod.Get, "/engine.io/?EIO=4&transport=websocket"), 400, "{\"code\":3,\"message\":\"Bad request\"}");
    }

    [Test]
    public async Task A_request_with_an_unsupported_method_on_a_session_is_refused_with_code_3()
    {
        using var client = await RawEngineClient.OpenAsync(_host.BaseUri);

        await AssertRefusedAsync(new HttpRequestMessage(HttpMethod.Put, client.SessionUrl) { Content = new StringContent("4x") }, 400, "{\"code\":3,\"message\":\"Bad request\"}");
    }

    [TestCase("/engine.io/?EIO=3&transport=polling")]
    [TestCase("/engine.io/?EIO=5&transport=polling")]
    [TestCase("/engine.io/?transport=polling")]
    [TestCase("/socket.io/?EIO=abc&transport=polling")]
    public async Task An_unsupported_or_missing_protocol_version_is_refused_with_code_5(string url)
    {
        await AssertRefusedAsync(new HttpRequestMessage(HttpMethod.Get, url), 400, "{\"code\":5,\"message\":\"Unsupported protocol version\"}");
    }

    [Test]
    public async Task An_unsupported_protocol_version_over_websocket_is_refused_with_code_5()
    {
        var key = Convert.ToBase64String(new byte[16]);
        var response = await RawHttp.SendAsync(_host.BaseUri,
            "GET /engine.io/?EIO=3&transport=websocket HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
            $"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n");

        Assert.That(response.StatusCode, Is.EqualTo(400));
        Assert.That(response.Body, Is.EqualTo("{\"code\":5,\"message\":\"Unsupported protocol version\"}"));
    }

    [Test]
    public async Task A_handshake_refused_by_allow_request_is_forbidden_with_code_4()
    {
        await using var host = await RawHost.StartRelaxedAsync(options => options with { Engine = options.Engine with { AllowRequest = _ => ValueTask.FromResult(false) } });

        using var response = await host.Http.GetAsync("/socket.io/?EIO=4&transport=polling").WaitAsync(Timeout);

        Assert.That((int)response.StatusCode, Is.EqualTo(403));
        Assert.That(await response.Content.ReadAsStringAsync().WaitAsync(Timeout), Is.EqualTo("{\"code\":4,\"message\":\"Forbidden\"}"));
    }

    [Test]
    public void The_error_table_has_the_reference_messages_and_statuses()
    {
        var table = Enum.GetValues<EngineErrorCode>().Select(c => $"{(int)c} {EngineErrors.StatusCode(c)} {EngineErrors.Message(c)}");

        Assert.That(table, Is.EqualTo(new[]
        {
            "0 400 Transport unknown",
            "1 400 Session ID unknown",
            "2 400 Bad handshake method",
            "3 400 Bad request",
            "4 403 Forbidden",
            "5 400 Unsupported protocol version",
        }));
    }

    [Test]
    public async Task A_transport_that_is_not_enabled_is_refused_with_code_0()
    {
        await using var host = await RawHost.StartRelaxedAsync(options => options with { Engine = options.Engine with { Transports = ["polling"] } });
        using var client = await RawEngineClient.OpenAsync(host.BaseUri, "/socket.io/");

        var key = Convert.ToBase64String(new byte[16]);
        var response = await RawHttp.SendAsync(host.BaseUri,
            "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
            $"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n");

        Assert.That(client.Open.GetProperty("upgrades").GetArrayLength(), Is.Zero, "a polling-only server offers no upgrade");
        Assert.That(response.StatusCode, Is.EqualTo(400));
        Assert.That(response.Body, Is.EqualTo("{\"code\":0,\"message\":\"Transport unknown\"}"));
    }

    [Test]
    public async Task A_poll_for_a_session_opened_over_websocket_is_refused_with_code_3()
    {
        await using var client = await RawWebSocketClient.OpenEngineAsync(_host.Server);

        await AssertRefusedAsync(new HttpRequestMessage(HttpMethod.Get, $"/engine.io/?EIO=4&transport=polling&sid={client.Sid}"), 400, "{\"code\":3,\"message\":\"Bad request\"}");
    }
}
