using RunsStream.Tests.Support;

namespace RunsStream.Tests.Server.Runs;

/// <summary>CONTRACT section 2 and 6: token sources, their precedence, and refusal.</summary>
[TestFixture]
public sealed class SocketAuthTests
{
    private RunsServerHost _server = null!;
    private const string Good = RunsServerHost.Token;

    [OneTimeSetUp]
    public async Task Start() => _server = await RunsServerHost.StartAsync();

    [OneTimeTearDown]
    public async Task Stop() => await _server.DisposeAsync();

    [TestCase("/")]
    [TestCase("/runs")]
    public async Task Each_token_source_alone_is_accepted(string ns)
    {
        Assert.That((await SocketIOPollingProbe.ConnectAsync(_server.Url, ns, authJson: $"{{\"token\":\"{Good}\"}}")).Connected, Is.True, "auth payload");
        Assert.That((await SocketIOPollingProbe.ConnectAsync(_server.Url, ns, queryToken: Good)).Connected, Is.True, "query");
        Assert.That((await SocketIOPollingProbe.ConnectAsync(_server.Url, ns, bearer: Good)).Connected, Is.True, "header");
    }

    [Test]
    public async Task No_token_at_all_is_Unauthorized()
    {
        var result = await SocketIOPollingProbe.ConnectAsync(_server.Url);
        Assert.That(result.Connected, Is.False);
        Assert.That(result.RawAnswer, Is.EqualTo("44{\"message\":\"Unauthorized\"}"));
    }

    [Test]
    public async Task A_wrong_first_token_is_refused_even_when_a_later_source_is_right()
    {
        var authWrong = await SocketIOPollingProbe.ConnectAsync(_server.Url, authJson: "{\"token\":\"wrong-token\"}", queryToken: Good, bearer: Good);
        Assert.That(authWrong.Error, Is.EqualTo("Unauthorized"));
        var queryWrong = await SocketIOPollingProbe.ConnectAsync(_server.Url, "/runs", queryToken: "wrong-token", bearer: Good);
        Assert.That(queryWrong.Error, Is.EqualTo("Unauthorized"));
        var emptyAuthFallsThrough = await SocketIOPollingProbe.ConnectAsync(_server.Url, authJson: "{\"token\":\"\"}", queryToken: Good);
        Assert.That(emptyAuthFallsThrough.Connected, Is.True);
    }

    [Test]
    public async Task A_refused_client_is_sent_nothing_of_a_run()
    {
        var runId = await _server.StartRunAsync("echo secret-output");
        await _server.WaitForTerminalAsync(runId);
        var result = await SocketIOPollingProbe.ConnectAsync(_server.Url, authJson: "{\"token\":\"nope-nope\"}", extraQuery: "runId=" + runId);
        Assert.That(result.Connected, Is.False);
        Assert.That(result.RawAnswer, Does.Not.Contain("secret-output"));
    }

    [Test]
    public async Task A_malformed_runId_in_the_handshake_query_is_refused_clearly()
    {
        var result = await SocketIOPollingProbe.ConnectAsync(_server.Url, authJson: $"{{\"token\":\"{Good}\"}}", extraQuery: "runId=bad%20id");
        Assert.That(result.Connected, Is.False);
        Assert.That(result.Error, Does.StartWith("Invalid runId"));
    }
}
