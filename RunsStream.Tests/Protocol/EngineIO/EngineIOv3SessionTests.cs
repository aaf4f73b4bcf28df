using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Time.Testing;
using RunsStream.Tests.Support;

namespace RunsStream.Tests.Protocol.EngineIO;

/// <summary>
/// An Engine.IO v3 session over raw HTTP long-polling, on a manual clock (engine.io-protocol
/// v3; the reference's allowEIO3): the length-framed handshake, the main namespace joined
/// without a CONNECT, the heartbeat driven by the client, binary as base64 text or as a binary
/// payload, UTF-16 lengths, and a malformed payload ending the session.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed partial class EngineIOv3SessionTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);
    private static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(1);
    private const string BinaryAckPacket = "461-0[{\"_placeholder\":true,\"num\":0}]";

    private FakeTimeProvider _time = null!;
    private RawHost _host = null!;

    private static TimeSpan HeartbeatDeadline => RawHost.RelaxedEngineOptions().PingInterval + RawHost.RelaxedEngineOptions().PingTimeout;

    [OneTimeSetUp]
    public async Task StartServer()
    {
        _time = new FakeTimeProvider();
        _host = await RawHost.StartRelaxedAsync(o => o with { Engine = o.Engine with { AllowEIO3 = true } }, time: _time);
    }

    [OneTimeTearDown]
    public async Task StopServer() => await _host.DisposeAsync();

    [GeneratedRegex(@"^(\d+):0(\{.*\})$")]
    private static partial Regex OpenPayload();

    /// <summary>A v3 handshake; returns the sid once the implicit CONNECT answer ("40") has been polled.</summary>
    private async Task<string> OpenAsync(bool base64 = true)
    {
        var body = await (await _host.Http.GetAsync("/socket.io/?EIO=3&transport=polling" + (base64 ? "&b64=1" : ""))).Content.ReadAsStringAsync();
        var match = OpenPayload().Match(body);
        Assert.That(match.Success, Is.True, body);
        Assert.That(int.Parse(match.Groups[1].Value), Is.EqualTo(1 + match.Groups[2].Value.Length), "the length counts the packet");
        var sid = JsonDocument.Parse(match.Groups[2].Value).RootElement.GetProperty("sid").GetString()!;
        // The host's connection handler emits "auth" once the namespace is joined.
        var expected = "2:40" + Framed("42[\"auth\",{}]");
        var received = "";
        while (received.Length < expected.Length)
        {
            received += await PollAsync(sid);
        }
        Assert.That(received, Is.EqualTo(expected), "the main namespace is joined without a CONNECT");
        return sid;
    }

    private async Task<string> PollAsync(string sid) =>
        await (await PollResponseAsync(sid)).Content.ReadAsStringAsync();

    private Task<HttpResponseMessage> PollResponseAsync(string sid) =>
        _host.Http.GetAsync($"/socket.io/?EIO=3&transport=polling&sid={sid}").WaitAsync(Timeout);

    private async Task<HttpStatusCode> PostAsync(string sid, string payload)
    {
        using var content = new StringContent(payload, Encoding.UTF8, "text/plain");
        using var response = await _host.Http.PostAsync($"/socket.io/?EIO=3&transport=polling&sid={sid}", content).WaitAsync(Timeout);
        return response.StatusCode;
    }

    private static string Framed(string packet) => $"{packet.Length}:{packet}"; // string.Length: UTF-16 units

    [Test]
    public async Task The_open_packet_carries_the_handshake_fields()
    {
        var body = await (await _host.Http.GetAsync("/socket.io/?EIO=3&transport=polling&b64=1")).Content.ReadAsStringAsync();
        var open = JsonDocument.Parse(OpenPayload().Match(body).Groups[2].Value).RootElement;
        Assert.That(open.GetProperty("upgrades")[0].GetString(), Is.EqualTo("websocket"));
        Assert.That(open.GetProperty("pingInterval").GetInt32(), Is.EqualTo(60_000));
        Assert.That(open.GetProperty("pingTimeout").GetInt32(), Is.EqualTo(60_000));
    }

    [Test]
    public async Task The_client_pings_the_server_pongs_and_a_silent_client_is_closed_after_interval_plus_timeout()
    {
        var sid = await OpenAsync();
        _time.Advance(HeartbeatDeadline - Tick);
        Assert.That(await PostAsync(sid, "1:2"), Is.EqualTo(HttpStatusCode.OK));
        Assert.That(await PollAsync(sid), Is.EqualTo("1:3"), "a pong, and no ping of the server's although its v4 interval passed");

        _time.Advance(HeartbeatDeadline - Tick);
        Assert.That(await PostAsync(sid, "1:2"), Is.EqualTo(HttpStatusCode.OK), "each ping restarts the wait");
        Assert.That(await PollAsync(sid), Is.EqualTo("1:3"));

        _time.Advance(HeartbeatDeadline);
        using var gone = await PollResponseAsync(sid);
        Assert.That(gone.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest), "no ping for pingInterval + pingTimeout closes the session");
    }

    [Test]
    public async Task A_pong_from_a_v3_client_is_the_wrong_direction_and_ends_the_session()
    {
        var sid = await OpenAsync();
        await PostAsync(sid, "1:3");
        using var gone = await PollResponseAsync(sid);
        Assert.That(gone.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
    }

    [Test]
    public async Task Text_lengths_count_UTF16_code_units_both_ways()
    {
        var sid = await OpenAsync();
        await PostAsync(sid, Framed("42[\"message\",\"😀€ é\"]"));
        var body = await PollAsync(sid);
        var colon = body.IndexOf(':');
        var packet = body[(colon + 1)..];
        Assert.That(int.Parse(body[..colon]), Is.EqualTo(packet.Length), body);
        Assert.That(JsonDocument.Parse(packet[2..]).RootElement[1].GetString(), Is.EqualTo("😀€ é"));
    }

    [Test]
    public async Task With_b64_a_binary_attachment_travels_as_b4_base64_text()
    {
        var sid = await OpenAsync(base64: true);
        await PostAsync(sid, Framed("451-0[\"message-with-ack\",{\"_placeholder\":true,\"num\":0}]") + Framed("b4AQID"));
        using var response = await PollResponseAsync(sid);
        Assert.That(response.Content.Headers.ContentType!.MediaType, Is.EqualTo("text/plain"));
        Assert.That(await response.Content.ReadAsStringAsync(), Is.EqualTo(Framed(BinaryAckPacket) + Framed("b4AQID")));
    }

    [Test]
    public async Task Without_b64_a_batch_with_binary_is_a_binary_payload_and_one_is_read_back()
    {
        var sid = await OpenAsync(base64: false);
        var header = Encoding.UTF8.GetBytes("451-0[\"message-with-ack\",{\"_placeholder\":true,\"num\":0}]");
        byte[] body = [0, .. Digits(header.Length), 0xFF, .. header, 1, 4, 0xFF, 4, 1, 2, 3];
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new("application/octet-stream");
        using var posted = await _host.Http.PostAsync($"/socket.io/?EIO=3&transport=polling&sid={sid}", content).WaitAsync(Timeout);
        Assert.That(posted.StatusCode, Is.EqualTo(HttpStatusCode.OK));

        using var response = await PollResponseAsync(sid);
        Assert.That(response.Content.Headers.ContentType!.MediaType, Is.EqualTo("application/octet-stream"));
        var ack = Encoding.UTF8.GetBytes(BinaryAckPacket);
        byte[] expected = [0, .. Digits(ack.Length), 0xFF, .. ack, 1, 4, 0xFF, 4, 1, 2, 3];
        Assert.That(await response.Content.ReadAsByteArrayAsync(), Is.EqualTo(expected));
    }

    [Test]
    public async Task A_payload_shorter_than_its_length_is_refused_and_ends_the_session()
    {
        var sid = await OpenAsync();
        Assert.That(await PostAsync(sid, "9:42[\"x\"]"), Is.EqualTo(HttpStatusCode.BadRequest));
        using var gone = await PollResponseAsync(sid);
        Assert.That(gone.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
    }

    [TestCase("2")]
    [TestCase("")]
    public async Task Only_EIO_3_and_4_open_a_session(string eio)
    {
        using var response = await _host.Http.GetAsync($"/socket.io/?EIO={eio}&transport=polling");
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(await response.Content.ReadAsStringAsync(), Does.Contain("Unsupported protocol version"));
    }

    private static byte[] Digits(int value) => value.ToString().Select(c => (byte)(c - '0')).ToArray();
}
