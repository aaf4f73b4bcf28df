using System.Net.WebSockets;
using System.Text;
using System.Threading.Channels;

namespace RunsStream.Tests.Support;

/// <summary>
/// An Engine.IO v4 WebSocket client on <see cref="ClientWebSocket"/>, one Engine.IO packet per
/// message. A background reader queues every message; with <see cref="AutoPong"/> it answers
/// PINGs itself and keeps them out of the queue, so short heartbeats do not disturb tests.
/// </summary>
public sealed class RawWebSocketClient : IAsyncDisposable
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    private readonly ClientWebSocket _socket = new();
    private readonly Channel<Message> _inbox = Channel.CreateUnbounded<Message>();
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private readonly TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task _reader = Task.CompletedTask;
    private int _pings;

    /// <summary>One received message: text (an Engine.IO packet) or binary.</summary>
    public readonly record struct Message(bool IsBinary, string Text, byte[] Data)
    {
        public override string ToString() => IsBinary ? "binary[" + string.Join(",", Data) + "]" : Text;
    }

    private RawWebSocketClient(bool autoPong)
    {
        AutoPong = autoPong;
    }

    public bool AutoPong { get; set; }

    /// <summary>PINGs received (answered or not).</summary>
    public int PingCount => Volatile.Read(ref _pings);

    /// <summary>Completes when the server closed the connection (close frame or TCP end).</summary>
    public Task Closed => _closed.Task;

    public WebSocketCloseStatus? CloseStatus { get; private set; }

    public string? CloseDescription { get; private set; }

    public WebSocketState State => _socket.State;

    /// <summary>The session id once <see cref="OpenEngineAsync"/> has read the OPEN packet.</summary>
    public string Sid { get; private set; } = "";

    public static async Task<RawWebSocketClient> ConnectAsync(Uri uri, bool autoPong = true)
    {
        var client = new RawWebSocketClient(autoPong);
        try
        {
            await client._socket.ConnectAsync(uri, CancellationToken.None).WaitAsync(Timeout);
        }
        catch
        {
            await client.DisposeAsync();
            throw;
        }
        client._reader = Task.Run(client.ReadLoopAsync);
        return client;
    }

    /// <summary>Opens a WebSocket-only Engine.IO session at <paramref name="path"/> and reads its OPEN packet.</summary>
    public static async Task<RawWebSocketClient> OpenEngineAsync(TestServer server, string path = "/engine.io/", bool autoPong = true)
    {
        var client = await ConnectAsync(new Uri($"{server.WebSocketUrl}{path}?EIO=4&transport=websocket"), autoPong);
        var open = await client.ReceiveTextAsync();
        if (!open.StartsWith('0'))
        {
            await client.DisposeAsync();
            throw new InvalidOperationException("Expected the OPEN packet, got " + open);
        }
        client.OpenJson = open[1..];
        client.Sid = System.Text.Json.JsonDocument.Parse(client.OpenJson).RootElement.GetProperty("sid").GetString()!;
        return client;
    }

    public string OpenJson { get; private set; } = "";

    public async Task SendTextAsync(string text)
    {
        await _sendLock.WaitAsync().WaitAsync(Timeout);
        try
        {
            await _socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, CancellationToken.None).WaitAsync(Timeout);
        }
        finally
        {
            _sendLock.Release();
        }
    }

    public async Task SendBinaryAsync(byte[] data)
    {
        await _sendLock.WaitAsync().WaitAsync(Timeout);
        try
        {
            await _socket.SendAsync(data, WebSocketMessageType.Binary, true, CancellationToken.None).WaitAsync(Timeout);
        }
        finally
        {
            _sendLock.Release();
        }
    }

    /// <summary>The next message; fails when the connection closes first.</summary>
    public async Task<Message> ReceiveAsync()
    {
        var message = await ReceiveOrCloseAsync();
        return message ?? throw new InvalidOperationException($"The server closed the connection ({CloseStatus} {CloseDescription}).");
    }

    /// <summary>The next message, or null when the connection closed.</summary>
    public async Task<Message?> ReceiveOrCloseAsync()
    {
        if (await _inbox.Reader.WaitToReadAsync().AsTask().WaitAsync(Timeout) && _inbox.Reader.TryRead(out var message))
        {
            return message;
        }
        return null;
    }

    public async Task<string> ReceiveTextAsync()
    {
        var message = await ReceiveAsync();
        if (message.IsBinary)
        {
            throw new InvalidOperationException("Expected a text message, got " + message);
        }
        return message.Text;
    }

    public async Task<byte[]> ReceiveBinaryAsync()
    {
        var message = await ReceiveAsync();
        if (!message.IsBinary)
        {
            throw new InvalidOperationException("Expected a binary message, got " + message.Text);
        }
        return message.Data;
    }

    /// <summary>Waits for the server to close; returns the messages that came before the close.</summary>
    public async Task<List<Message>> WaitForCloseAsync()
    {
        var messages = new List<Message>();
        while (await ReceiveOrCloseAsync() is { } message)
        {
            messages.Add(message);
        }
        await Closed.WaitAsync(Timeout);
        return messages;
    }

    private async Task ReadLoopAsync()
    {
        var buffer = new byte[64 * 1024];
        try
        {
            while (true)
            {
                using var message = new MemoryStream();
                WebSocketReceiveResult result;
                do
                {
                    result = await _socket.ReceiveAsync(buffer, CancellationToken.None);
                    message.Write(buffer, 0, result.Count);
                }
                while (!result.EndOfMessage && result.MessageType != WebSocketMessageType.Close);

                if (result.MessageType == WebSocketMessageType.Close)
                {
                    CloseStatus = result.CloseStatus;
                    CloseDescription = result.CloseStatusDescription;
                    try
                    {
                        await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "", CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(5));
                    }
                    catch (Exception ex) when (ex is WebSocketException or TimeoutException or ObjectDisposedException or OperationCanceledException)
                    {
                    }
                    return;
                }
                if (result.MessageType == WebSocketMessageType.Binary)
                {
                    _inbox.Writer.TryWrite(new Message(true, "", message.ToArray()));
                    continue;
                }
                var text = Encoding.UTF8.GetString(message.GetBuffer(), 0, (int)message.Length);
                if (text == "2")
                {
                    Interlocked.Increment(ref _pings);
                    if (AutoPong)
                    {
                        await SendTextAsync("3");
                        continue;
                    }
                }
                _inbox.Writer.TryWrite(new Message(false, text, []));
            }
        }
        catch (Exception ex) when (ex is WebSocketException or ObjectDisposedException or OperationCanceledException or TimeoutException or InvalidOperationException)
        {
            // The connection ended without a close handshake.
        }
        finally
        {
            _inbox.Writer.TryComplete();
            _closed.TrySetResult();
        }
    }

    public async ValueTask DisposeAsync()
    {
        _socket.Abort();
        _socket.Dispose();
        try
        {
            await _reader.WaitAsync(Timeout);
        }
        catch (Exception ex) when (ex is TimeoutException or WebSocketException or ObjectDisposedException)
        {
        }
        _sendLock.Dispose();
    }
}
