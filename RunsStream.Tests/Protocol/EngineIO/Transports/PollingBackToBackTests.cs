using System.Net;
using System.Text;
using System.Text.Json;
using RunsStream.ComplianceServer;
using RunsStream.Tests.Support;

namespace RunsStream.Tests.Protocol.EngineIO.Transports;

/// <summary>
/// A client that sends its next request the moment it has an answer (the load generator, a
/// busy browser tab) is not overlapping: the server lets go of a request as soon as its answer
/// is decided.
/// </summary>
[TestFixture]
public sealed class PollingBackToBackTests
{
    [Test]
    public async Task Hundreds_of_back_to_back_polls_and_posts_never_count_as_overlaps()
    {
        await using var server = await TestServer.StartAsync(ComplianceApp.Build("http://127.0.0.1:0"));
        using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = 4 };
        using var http = new HttpClient(handler) { BaseAddress = server.BaseUri, Timeout = TimeSpan.FromSeconds(30) };
        var open = await http.GetStringAsync("/engine.io/?EIO=4&transport=polling");
        var sid = JsonDocument.Parse(open[1..]).RootElement.GetProperty("sid").GetString();
        var url = $"/engine.io/?EIO=4&transport=polling&sid={sid}";

        for (var i = 0; i < 400; i++)
        {
            var post = await http.PostAsync(url, new StringContent($"4m{i}", Encoding.UTF8, "text/plain"));
            Assert.That(post.StatusCode, Is.EqualTo(HttpStatusCode.OK), $"post {i}: {await post.Content.ReadAsStringAsync()}");
            while (true)
            {
                var poll = await http.GetAsync(url);
                var body = await poll.Content.ReadAsStringAsync();
                Assert.That(poll.StatusCode, Is.EqualTo(HttpStatusCode.OK), $"poll {i}: {body}");
                var packets = body.Split('\u001e');
                if (packets.Contains("2"))
                {
                    (await http.PostAsync(url, new StringContent("3", Encoding.UTF8, "text/plain"))).EnsureSuccessStatusCode();
                }
                if (packets.Contains($"4m{i}"))
                {
                    break;
                }
            }
        }
    }
}
