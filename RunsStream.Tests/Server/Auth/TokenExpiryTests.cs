using System.Diagnostics;
using System.Text.Json;
using RunsStream.Server.Auth;
using RunsStream.Tests.Support;

namespace RunsStream.Tests.Server.Auth;

/// <summary>
/// Issue 15 item 1: a socket whose token expires during a live stream is ended at that moment
/// with a clear reason (the token-expired event, then the server's DISCONNECT); REST then says
/// "Token expired".
/// </summary>
[TestFixture]
public sealed class TokenExpiryTests
{
    private RunsServerHost _server = null!;

    [OneTimeSetUp]
    public async Task Start() => _server = await AuthFixture.StartAsync();

    [OneTimeTearDown]
    public async Task Stop() => await _server.DisposeAsync();

    [Test]
    public async Task A_socket_is_told_and_disconnected_when_its_token_expires_mid_stream()
    {
        var runId = await AuthFixture.StartRunAsync(_server, AuthFixture.Token("alice", "a", "runs:write"), "while true; do echo tick; sleep 0.2; done", "a");
        try
        {
            // JWT times are whole seconds: exp is the next second boundary at least 2 s away.
            var now = DateTimeOffset.UtcNow;
            var exp = DateTimeOffset.FromUnixTimeSeconds(now.ToUnixTimeSeconds() + 3);
            var token = AuthFixture.Token("alice", "a", "runs:read", exp - now, now);
            await using var socket = await AuthSocket.ConnectAsync(_server, token);
            Assert.That(socket.Connected, Is.True, socket.ConnectAnswer);
            Assert.That((await socket.EmitWithAckAsync("subscribe", new { runId })).GetProperty("ok").GetBoolean(), Is.True);
            await socket.ReceiveUntilAsync(f => f.Contains("tick", StringComparison.Ordinal));

            var expired = await socket.ReceiveUntilAsync(f => f.StartsWith("42[\"token-expired\"", StringComparison.Ordinal));
            var at = DateTimeOffset.UtcNow;
            var payload = JsonDocument.Parse(expired[2..]).RootElement[1];
            Assert.That(payload.GetProperty("message").GetString(), Is.EqualTo(TokenValidator.ExpiredMessage));
            Assert.That(at, Is.GreaterThanOrEqualTo(exp.AddMilliseconds(-50)), "not before exp");
            Assert.That(at, Is.LessThan(exp.AddSeconds(5)), "at exp, not at the next ping or the library's 5 minutes");
            // Then the server's DISCONNECT for the namespace (a tick already on its way may come between).
            await socket.ReceiveUntilAsync(f => f == "41");
            Assert.That(DateTimeOffset.UtcNow, Is.LessThan(exp.AddSeconds(10)), "disconnected right after the event");

            using var rest = await AuthFixture.SendAsync(_server, token, HttpMethod.Get, $"/runs/{runId}");
            Assert.That((int)rest.StatusCode, Is.EqualTo(401));
            Assert.That(await rest.Content.ReadAsStringAsync(), Does.Contain("Token expired"));
            Assert.That(rest.Headers.WwwAuthenticate.ToString(), Does.Contain("invalid_token"));
        }
        finally
        {
            using var _ = await _server.SendAsync(HttpMethod.Post, $"/runs/{runId}/cancel");
        }
    }

    [Test]
    public async Task An_expired_token_is_refused_at_connect_with_its_reason()
    {
        var token = AuthFixture.Token("alice", "a", "runs:read", TimeSpan.FromMinutes(1), DateTimeOffset.UtcNow.AddMinutes(-2));
        await using var socket = await AuthSocket.ConnectAsync(_server, token);
        Assert.That(socket.Error, Is.EqualTo("Token expired"));
        await using var garbage = await AuthSocket.ConnectAsync(_server, "not-a-token");
        Assert.That(garbage.Error, Is.EqualTo("Unauthorized"), "the refusal of today's clients is unchanged");
    }

    [Test]
    public async Task With_AUTH_CLOCK_SKEW_the_socket_lives_until_exp_plus_the_skew()
    {
        await using var server = await AuthFixture.StartAsync(skew: TimeSpan.FromSeconds(2));
        var now = DateTimeOffset.UtcNow;
        var exp = DateTimeOffset.FromUnixTimeSeconds(now.ToUnixTimeSeconds() + 2);
        await using var socket = await AuthSocket.ConnectAsync(server, AuthFixture.Token("alice", "*", "runs:read", exp - now, now));
        Assert.That(socket.Connected, Is.True, socket.ConnectAnswer);
        var watch = Stopwatch.StartNew();
        await socket.ReceiveUntilAsync(f => f.StartsWith("42[\"token-expired\"", StringComparison.Ordinal));
        Assert.That(DateTimeOffset.UtcNow, Is.GreaterThanOrEqualTo(exp.AddSeconds(2).AddMilliseconds(-50)), $"after {watch.Elapsed}");
    }
}
