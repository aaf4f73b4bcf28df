using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using RunsStream.Protocol.EngineIO;
using RunsStream.Protocol.EngineIO.Parser;
using RunsStream.Protocol.Hosting;
using RunsStream.Tests.Server.Runs.Execution;
using RunsStream.Tests.Support;

namespace RunsStream.Tests.Protocol.EngineIO;

/// <summary>
/// The heartbeat deadline does not depend on the timer being on time: a request that comes
/// after pingInterval + pingTimeout without a pong finds the session closed, even when the
/// timeout timer has not run yet (here it never runs: the clock is manual).
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class EngineSessionHeartbeatDeadlineTests
{
    private sealed class NullHandler : IEngineSessionHandler
    {
        public void OnMessage(EnginePacket packet)
        {
        }

        public void OnClose(string reason)
        {
        }
    }

    [Test]
    public async Task A_request_after_the_deadline_is_refused_though_the_timer_has_not_fired()
    {
        var time = new ManualTimeProvider();
        var options = new EngineIOOptions { PingInterval = TimeSpan.FromSeconds(25), PingTimeout = TimeSpan.FromSeconds(20) };
        await using var engine = new EngineServer(options, _ => new NullHandler(), time: time);
        await using var server = await TestServer.StartAsync(_ => { }, app => app.MapEngineIO("/engine.io", engine));
        using var http = new HttpClient { BaseAddress = server.BaseUri };
        var open = await http.GetStringAsync("/engine.io/?EIO=4&transport=polling");
        var sid = JsonDocument.Parse(open[1..]).RootElement.GetProperty("sid").GetString()!;
        var url = $"/engine.io/?EIO=4&transport=polling&sid={Uri.EscapeDataString(sid)}";

        time.Advance(options.PingInterval + options.PingTimeout - TimeSpan.FromMilliseconds(1));
        var before = await http.PostAsync(url, new StringContent("4still here"));
        time.Advance(TimeSpan.FromMilliseconds(1));
        var after = await http.PostAsync(url, new StringContent("4too late"));

        Assert.That(before.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(after.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(await after.Content.ReadAsStringAsync(), Does.Contain("\"code\":1"));
        Assert.That(engine.SessionCount, Is.Zero);
    }
}
