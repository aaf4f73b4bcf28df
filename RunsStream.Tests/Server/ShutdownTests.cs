using System.Text.Json;
using RunsStream.Tests.Support;

namespace RunsStream.Tests.Server;

/// <summary>
/// Stopping the server (SIGTERM) with clients connected: a subscriber of a running run gets the
/// run's terminal status, then a WebSocket close (1000), and the server exits cleanly; it does
/// not hold the shutdown open until the web server's timeout resets the connections.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class ShutdownTests
{
    private string _dataDirectory = null!;

    [SetUp]
    public void CreateDataDirectory() => _dataDirectory = Directory.CreateTempSubdirectory("runsstream-shutdown-").FullName;

    [TearDown]
    public void DeleteDataDirectory() => Directory.Delete(_dataDirectory, recursive: true);

    [Test]
    public async Task Subscribers_get_the_final_status_and_a_close_frame_then_the_server_exits()
    {
        await using var server = await ServerProcess.StartAsync(_dataDirectory);
        var runId = await server.StartRunAsync("echo started; sleep 600");

        await using var ws = await RawTcpWebSocket.ConnectAsync(new Uri(server.Url), "/socket.io/?EIO=4&transport=websocket");
        Assert.That(await ws.ReadTextAsync(), Does.StartWith("0{"));
        await ws.SendTextAsync($"40{{\"token\":\"{RunsServerHost.Token}\"}}");
        Assert.That(await ws.ReadTextAsync(), Does.StartWith("40{\"sid\""));
        await ws.SendTextAsync($"421[\"subscribe\",{{\"runId\":\"{runId}\"}}]");
        var events = new List<JsonElement>();
        while (!events.Any(e => e.GetProperty("data").GetString() == "started\n"))
        {
            var text = await ws.ReadTextAsync();
            if (text.StartsWith("42[\"run-event\"", StringComparison.Ordinal))
            {
                events.Add(JsonDocument.Parse(text[2..]).RootElement[1].Clone());
            }
        }

        var stopping = server.StopAsync();
        ushort? closeCode = null;
        while (await ws.ReadFrameAsync() is { } frame)
        {
            if (frame.Opcode == RawFrames.Close)
            {
                closeCode = frame.CloseCode;
                await ws.SendRawAsync(RawFrames.ClientClose(1000));
                break;
            }
            if (frame.Opcode == RawFrames.Text && frame.Text.StartsWith("42[\"run-event\"", StringComparison.Ordinal))
            {
                events.Add(JsonDocument.Parse(frame.Text[2..]).RootElement[1].Clone());
            }
        }

        Assert.That(closeCode, Is.EqualTo(1000), "a close frame, not a reset");
        var last = events[^1];
        Assert.That(last.GetProperty("type").GetString(), Is.EqualTo("status"));
        Assert.That(last.GetProperty("status").GetString(), Is.EqualTo("failed"));
        Assert.That(last.GetProperty("reason").GetString(), Is.EqualTo("Server shutting down"));
        Assert.That(await stopping, Is.EqualTo(0));
    }
}
