using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;

namespace RunsStream.Tests.Support;

/// <summary>
/// A WebSocket client over a bare TCP socket: the opening handshake and every frame are written
/// by hand, so a test can send frames no real client would (unmasked, RSV bits, ...) or stop
/// reading altogether (a slow consumer with a tiny receive buffer).
/// </summary>
public sealed class RawTcpWebSocket : IAsyncDisposable
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private byte[] _pending;
    private int _pendingCount;

    private RawTcpWebSocket(Socket socket, byte[] leftover)
    {
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: false);
        _pending = new byte[Math.Max(4096, leftover.Length)];
        leftover.CopyTo(_pending, 0);
        _pendingCount = leftover.Length;
    }

    /// <summary>The status line and headers of the server's answer to the opening handshake.</summary>
    public string HandshakeResponse { get; private set; } = "";

    /// <summary>Opens the TCP connection and performs the opening handshake; fails unless the server answers 101.</summary>
    public static async Task<RawTcpWebSocket> ConnectAsync(Uri baseUri, string pathAndQuery, int? receiveBufferSize = null)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        if (receiveBufferSize is { } size)
        {
            // Set before connecting so that the advertised window stays small.
            socket.ReceiveBufferSize = size;
        }
        try
        {
            await socket.ConnectAsync(baseUri.Host, baseUri.Port).WaitAsync(Timeout);
            var key = Convert.ToBase64String(RandomNumberGenerator.GetBytes(16));
            var request =
                $"GET {pathAndQuery} HTTP/1.1\r\nHost: {baseUri.Authority}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
                $"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n";
            await socket.SendAsync(Encoding.ASCII.GetBytes(request)).WaitAsync(Timeout);
            var (head, leftover) = await RawHttp.ReadHeadAsync(socket);
            if (!head.StartsWith("HTTP/1.1 101", StringComparison.Ordinal))
            {
                throw new InvalidOperationException("The server refused the WebSocket handshake: " + head);
            }
            var expectedAccept = Convert.ToBase64String(SHA1.HashData(Encoding.ASCII.GetBytes(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")));
            if (!head.Contains("Sec-WebSocket-Accept: " + expectedAccept, StringComparison.OrdinalIgnoreCase))
            {
                throw new InvalidOperationException("Wrong Sec-WebSocket-Accept: " + head);
            }
            return new RawTcpWebSocket(socket, leftover) { HandshakeResponse = head };
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public async Task SendRawAsync(byte[] bytes) => await _socket.SendAsync(bytes).WaitAsync(Timeout);

    public Task SendTextAsync(string text) => SendRawAsync(RawFrames.ClientText(text));

    public Task SendBinaryAsync(byte[] data) => SendRawAsync(RawFrames.ClientBinary(data));

    /// <summary>The next frame from the server, or null when the server closed the TCP connection.</summary>
    public async Task<RawFrames.ServerFrame?> ReadFrameAsync()
    {
        while (true)
        {
            var used = RawFrames.TryParseServerFrame(_pending.AsSpan(0, _pendingCount), out var frame);
            if (used > 0)
            {
                Buffer.BlockCopy(_pending, used, _pending, 0, _pendingCount - used);
                _pendingCount -= used;
                return frame;
            }
            if (_pendingCount == _pending.Length)
            {
                Array.Resize(ref _pending, _pending.Length * 2);
            }
            int read;
            try
            {
                read = await _stream.ReadAsync(_pending.AsMemory(_pendingCount)).AsTask().WaitAsync(Timeout);
            }
            catch (IOException)
            {
                return null;
            }
            if (read == 0)
            {
                return null;
            }
            _pendingCount += read;
        }
    }

    /// <summary>The next text frame's payload, skipping Engine.IO pings ("2") when <paramref name="skipPings"/>.</summary>
    public async Task<string> ReadTextAsync(bool skipPings = true)
    {
        while (true)
        {
            var frame = await ReadFrameAsync() ?? throw new InvalidOperationException("The server closed the connection.");
            if (frame.Opcode != RawFrames.Text)
            {
                throw new InvalidOperationException($"Expected a text frame, got opcode {frame.Opcode}.");
            }
            if (skipPings && frame.Text == "2")
            {
                await SendTextAsync("3");
                continue;
            }
            return frame.Text;
        }
    }

    /// <summary>Reads frames until a close frame and returns its status code (null: the TCP connection ended without one).</summary>
    public async Task<ushort?> ReadUntilCloseAsync()
    {
        while (await ReadFrameAsync() is { } frame)
        {
            if (frame.Opcode == RawFrames.Close)
            {
                return frame.CloseCode ?? 1005;
            }
        }
        return null;
    }

    public ValueTask DisposeAsync()
    {
        _stream.Dispose();
        _socket.Dispose();
        return ValueTask.CompletedTask;
    }
}

/// <summary>HTTP/1.1 requests written by hand, for requests HttpClient will not send as they are.</summary>
public static class RawHttp
{
    public sealed record Response(int StatusCode, string Head, string Body);

    /// <summary>Sends <paramref name="request"/> on a new connection and reads one response (Content-Length framed).</summary>
    public static async Task<Response> SendAsync(Uri baseUri, string request)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(baseUri.Host, baseUri.Port).WaitAsync(RawTcpWebSocket.Timeout);
        await socket.SendAsync(Encoding.ASCII.GetBytes(request)).WaitAsync(RawTcpWebSocket.Timeout);
        return await ReadResponseAsync(socket);
    }

    /// <summary>Reads one response from <paramref name="socket"/>.</summary>
    public static async Task<Response> ReadResponseAsync(Socket socket)
    {
        var (head, leftover) = await ReadHeadAsync(socket);
        var status = int.Parse(head.Split(' ')[1]);
        var length = 0;
        foreach (var line in head.Split("\r\n"))
        {
            if (line.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase))
            {
                length = int.Parse(line["Content-Length:".Length..].Trim());
            }
        }
        var body = new List<byte>(leftover);
        var buffer = new byte[4096];
        while (body.Count < length)
        {
            var read = await socket.ReceiveAsync(buffer).WaitAsync(RawTcpWebSocket.Timeout);
            if (read == 0)
            {
                break;
            }
            body.AddRange(buffer.AsSpan(0, read));
        }
        return new Response(status, head, Encoding.UTF8.GetString(body.ToArray()));
    }

    /// <summary>Reads up to the blank line; returns the head and whatever bytes followed it.</summary>
    public static async Task<(string Head, byte[] Leftover)> ReadHeadAsync(Socket socket)
    {
        var received = new List<byte>();
        var buffer = new byte[4096];
        while (true)
        {
            var read = await socket.ReceiveAsync(buffer).WaitAsync(RawTcpWebSocket.Timeout);
            if (read == 0)
            {
                throw new InvalidOperationException("The connection closed before the response head: " + Encoding.ASCII.GetString(received.ToArray()));
            }
            received.AddRange(buffer.AsSpan(0, read));
            var all = received.ToArray();
            var end = all.AsSpan().IndexOf("\r\n\r\n"u8);
            if (end >= 0)
            {
                return (Encoding.ASCII.GetString(all, 0, end), all[(end + 4)..]);
            }
        }
    }
}
