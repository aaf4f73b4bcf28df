using System.IO.Pipelines;
using System.Text;
using Microsoft.AspNetCore.Connections;
using RunsStream.Protocol.EngineIO;
using RunsStream.Protocol.EngineIO.Parser;
using RunsStream.Protocol.Hosting;
using RunsStream.Tests.Support;

namespace RunsStream.Tests.Protocol.Hosting;

/// <summary>
/// The connection middleware on in-memory pipes: what it does not take, HTTP gets whole, with
/// not a byte consumed; what it takes is answered with 101 and served as a WebSocket.
/// </summary>
[TestFixture]
public sealed class EngineIOConnectionMiddlewareTests
{
    private const string Handshake =
        "GET /engine.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n" +
        "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";

    private sealed class NullHandler : IEngineSessionHandler
    {
        public void OnMessage(EnginePacket packet)
        {
        }

        public void OnClose(string reason)
        {
        }
    }

    private static (DefaultConnectionContext Connection, Pipe ClientToServer, Pipe ServerToClient) NewConnection()
    {
        var clientToServer = new Pipe();
        var serverToClient = new Pipe();
        var connection = new DefaultConnectionContext("test", new DuplexPipe(clientToServer.Reader, serverToClient.Writer), new DuplexPipe(serverToClient.Reader, clientToServer.Writer));
        return (connection, clientToServer, serverToClient);
    }

    private sealed class DuplexPipe(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;

        public PipeWriter Output { get; } = output;
    }

    private static async Task<string> ReadAvailableAsync(PipeReader reader, string until)
    {
        var text = new StringBuilder();
        while (!text.ToString().Contains(until))
        {
            var result = await reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(20));
            text.Append(Encoding.Latin1.GetString(result.Buffer));
            reader.AdvanceTo(result.Buffer.End);
        }
        return text.ToString();
    }

    [TestCase("GET /engine.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: x\r\n", TestName = "an unfinished head")]
    [TestCase("GET /engine.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: x\r\n\r\n", TestName = "a polling request")]
    [TestCase("GET /elsewhere/?EIO=4&transport=websocket HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n", TestName = "another path")]
    [TestCase("\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03", TestName = "TLS")]
    public async Task What_it_does_not_take_reaches_http_unconsumed(string firstBytes)
    {
        await using var engine = new EngineServer(RawHost.RelaxedEngineOptions(), _ => new NullHandler());
        var (connection, clientToServer, _) = NewConnection();
        await clientToServer.Writer.WriteAsync(Encoding.Latin1.GetBytes(firstBytes));
        string? seenByHttp = null;

        await EngineIOConnectionMiddleware.RunAsync(connection, async c =>
        {
            var result = await c.Transport.Input.ReadAsync();
            seenByHttp = Encoding.Latin1.GetString(result.Buffer);
            c.Transport.Input.AdvanceTo(result.Buffer.End);
        }, () => engine, () => "/engine.io/").WaitAsync(TimeSpan.FromSeconds(20));

        Assert.That(seenByHttp, Is.EqualTo(firstBytes));
        Assert.That(engine.SessionCount, Is.Zero);
    }

    [Test]
    public async Task A_connection_that_sends_nothing_is_left_to_http_after_the_first_read_timeout()
    {
        await using var engine = new EngineServer(RawHost.RelaxedEngineOptions(), _ => new NullHandler());
        var (connection, clientToServer, _) = NewConnection();
        var httpCalled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var httpGotIt = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);

        var serving = EngineIOConnectionMiddleware.RunAsync(connection, async c =>
        {
            httpCalled.TrySetResult();
            // HTTP still reads whatever comes later, from the first byte.
            var result = await c.Transport.Input.ReadAsync();
            httpGotIt.TrySetResult(Encoding.ASCII.GetString(result.Buffer));
            c.Transport.Input.AdvanceTo(result.Buffer.End);
        }, () => engine, () => "/engine.io/", firstReadTimeout: TimeSpan.FromMilliseconds(50));

        // Nothing has been sent: only the timeout can have handed the connection to HTTP.
        await httpCalled.Task.WaitAsync(TimeSpan.FromSeconds(20));
        await clientToServer.Writer.WriteAsync(Encoding.ASCII.GetBytes("late"));

        Assert.That(await httpGotIt.Task.WaitAsync(TimeSpan.FromSeconds(20)), Is.EqualTo("late"));
        await serving.WaitAsync(TimeSpan.FromSeconds(20));
    }

    [Test]
    public async Task A_handshake_is_answered_with_101_and_the_open_packet_without_http()
    {
        await using var engine = new EngineServer(RawHost.RelaxedEngineOptions(), _ => new NullHandler());
        var (connection, clientToServer, serverToClient) = NewConnection();
        await clientToServer.Writer.WriteAsync(Encoding.ASCII.GetBytes(Handshake));
        var httpCalled = false;

        var serving = EngineIOConnectionMiddleware.RunAsync(connection, _ =>
        {
            httpCalled = true;
            return Task.CompletedTask;
        }, () => engine, () => "/engine.io/");
        var answer = await ReadAvailableAsync(serverToClient.Reader, "maxPayload");

        Assert.That(answer, Does.StartWith("HTTP/1.1 101 Switching Protocols\r\n"));
        Assert.That(answer, Does.Contain("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n\x81"));
        Assert.That(answer, Does.Contain("0{\"sid\":"));
        Assert.That(engine.SessionCount, Is.EqualTo(1));
        Assert.That(httpCalled, Is.False);

        await clientToServer.Writer.CompleteAsync(); // the client goes away
        await serving.WaitAsync(TimeSpan.FromSeconds(20));
        await Eventually.WaitUntilAsync(() => engine.SessionCount == 0, "the session is closed");
    }
}
