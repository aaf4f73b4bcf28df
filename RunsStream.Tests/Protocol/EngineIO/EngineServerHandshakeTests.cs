using System.Net;
using System.Text.RegularExpressions;
using RunsStream.Tests.Support;

namespace RunsStream.Tests.Protocol.EngineIO;

/// <summary>The OPEN packet of the compliance host (engine.io-protocol v4, "Handshake").</summary>
[TestFixture]
[NonParallelizable]
public sealed class EngineServerHandshakeTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);
    private static readonly Regex PollingOpen = new(
        "^0\\{\"sid\":\"[A-Za-z0-9_-]{20}\",\"upgrades\":\\[\"websocket\"\\],\"pingInterval\":300,\"pingTimeout\":200,\"maxPayload\":1000000\\}$");

    private RawHost _host = null!;

    [OneTimeSetUp]
    public async Task StartServer() => _host = await RawHost.StartComplianceAsync();

    [OneTimeTearDown]
    public async Task StopServer() => await _host.DisposeAsync();

    private HttpClient Http => _host.Http;

    [TestCase("/engine.io/")]
    [TestCase("/socket.io/")]
    public async Task A_polling_handshake_answers_the_open_packet_with_the_reference_fields_and_values(string path)
    {
        using var response = await Http.GetAsync($"{path}?EIO=4&transport=polling&t=N8hyd6w").WaitAsync(Timeout);
        var body = await response.Content.ReadAsStringAsync().WaitAsync(Timeout);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(response.Content.Headers.ContentType?.ToString(), Is.EqualTo("text/plain; charset=UTF-8"));
        Assert.That(body, Does.Match(PollingOpen));
    }

    [Test]
    public async Task A_websocket_handshake_sends_the_open_packet_first_without_upgrades()
    {
        await using var client = await RawWebSocketClient.OpenEngineAsync(_host.Server);

        Assert.That("0" + client.OpenJson, Does.Match(
            "^0\\{\"sid\":\"[A-Za-z0-9_-]{20}\",\"upgrades\":\\[\\],\"pingInterval\":300,\"pingTimeout\":200,\"maxPayload\":1000000\\}$"));
    }

    [Test]
    public async Task Every_handshake_gets_a_new_session_id()
    {
        var sids = new HashSet<string>();
        for (var i = 0; i < 20; i++)
        {
            using var client = await RawEngineClient.OpenAsync(_host.BaseUri);
            sids.Add(client.Sid);
        }

        Assert.That(sids, Has.Count.EqualTo(20));
    }

    [Test]
    public async Task The_session_of_a_polling_handshake_answers_polls_with_its_sid()
    {
        using var client = await RawEngineClient.OpenAsync(_host.BaseUri);
        await client.PostAsync("4hello");

        Assert.That(await client.ReceiveOneAsync(), Is.EqualTo("4hello"));
    }
}
