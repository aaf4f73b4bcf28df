using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;

namespace RunsStream.LoadGen.Client;

/// <summary>
/// A minimal Engine.IO v4 / Socket.IO v5 client over a bare TCP socket, framing WebSocket by
/// hand (RFC 6455): one receive buffer, frames handled in place, pings answered, run-events
/// scanned by <see cref="PacketScanner"/>. It is made to cost the measured server as little as
/// possible and to cost this process little too: no per-message allocation on the hot path.
/// </summary>
internal sealed class WsConnection : IAsyncDisposable
{
    private const int InitialBuffer = 16 * 1024;

    private readonly Socket _socket;
    private readonly Subscriber _subscriber;
    private readonly List<int>? _latencies;
    private readonly object _sendLock = new();
    private readonly TaskCompletionSource _stallRelease = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private byte[] _buffer = new byte[InitialBuffer];
    private int _start;
    private int _end;
    private byte[]? _fragments;
    private int _fragmentLength;
    private readonly string _namespacePrefix;
    private bool _closed;
    private bool _pingPending;
    private bool _resumed;

    private WsConnection(Socket socket, Subscriber subscriber, string ns)
    {
        _socket = socket;
        _subscriber = subscriber;
        _latencies = subscriber.Latency?.CreateList();
        // Socket.IO writes a namespace other than "/" after the packet type, then a comma.
        _namespacePrefix = ns == "/" ? "" : ns + ",";
    }

    public Subscriber Subscriber => _subscriber;

    /// <summary>Opens the WebSocket, waits for the Engine.IO open packet and connects to <paramref name="ns"/> with the token.</summary>
    public static async Task<WsConnection> ConnectAsync(IPEndPoint server, string token, Subscriber subscriber, int? receiveBufferSize, CancellationToken cancellationToken, string ns = "/")
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        if (receiveBufferSize is { } size)
        {
            socket.ReceiveBufferSize = size; // before connecting: the advertised window stays small
        }
        var connection = new WsConnection(socket, subscriber, ns);
        try
        {
            await socket.ConnectAsync(server, cancellationToken);
            var key = Convert.ToBase64String(RandomNumberGenerator.GetBytes(16));
            var request = $"GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: {server}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n";
            await socket.SendAsync(Encoding.ASCII.GetBytes(request), SocketFlags.None, cancellationToken);
            await connection.ReadHandshakeAsync(cancellationToken);
            if (await connection.ReadSetupPacketAsync(cancellationToken) is not ['0', ..] open)
            {
                throw new InvalidOperationException("no Engine.IO open packet");
            }
            connection.SendText("40" + connection._namespacePrefix + "{\"token\":\"" + token + "\"}");
            var connected = await connection.ReadSetupPacketAsync(cancellationToken);
            if (!connected.StartsWith("40" + connection._namespacePrefix, StringComparison.Ordinal))
            {
                throw new InvalidOperationException("connect refused: " + connected);
            }
            return connection;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Asks for the run's events after <paramref name="since"/> (acknowledged as id 1).</summary>
    public void Subscribe(string runId, long since) =>
        SendText("42" + _namespacePrefix + "1[\"subscribe\",{\"runId\":\"" + runId + "\",\"since\":" + since + "}]");

    /// <summary>Lets a stalled subscriber read again: it then receives to the end like any other.</summary>
    public void ReleaseStall() => _stallRelease.TrySetResult();

    /// <summary>Receives until the terminal status (or close); with <paramref name="untilClosed"/>, until the connection ends.</summary>
    public async Task RunAsync(bool untilClosed, CancellationToken cancellationToken)
    {
        try
        {
            // Until the terminal status and the subscribe ack (which may follow the replay) are both in.
            while (!_closed && (untilClosed || !_subscriber.Done.IsCompleted || !_subscriber.Subscribed.IsCompleted))
            {
                EnsureSpace();
                var read = await _socket.ReceiveAsync(_buffer.AsMemory(_end), SocketFlags.None, cancellationToken);
                if (read == 0)
                {
                    break;
                }
                _end += read;
                ProcessFrames(_latencies is null ? 0 : WallClock.NowMicros());
                if (_pingPending)
                {
                    _pingPending = false;
                    SendText("3");
                }
                if (_subscriber.StallAfterFirstEvent && !_resumed && _subscriber.Subscribed.IsCompleted && _subscriber.Events > 0)
                {
                    // Stop reading: the socket's receive buffer fills, then the server's send buffer.
                    await _stallRelease.Task.WaitAsync(cancellationToken);
                    _resumed = true;
                }
            }
            if (!_subscriber.Done.IsCompleted)
            {
                _subscriber.Fail("the connection closed before the terminal status");
            }
        }
        catch (OperationCanceledException)
        {
            _subscriber.Fail("timed out");
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException or InvalidOperationException)
        {
            _subscriber.Fail("connection failed: " + ex.Message);
        }
    }

    private void EnsureSpace()
    {
        if (_start == _end)
        {
            _start = _end = 0;
        }
        var needed = PendingFrameLength();
        if (_end < _buffer.Length && needed <= _buffer.Length - _start)
        {
            return;
        }
        var length = _end - _start;
        var target = needed > _buffer.Length / 2 ? new byte[Math.Max(_buffer.Length * 2, needed)] : _buffer;
        Buffer.BlockCopy(_buffer, _start, target, 0, length);
        _buffer = target;
        _start = 0;
        _end = length;
    }

    /// <summary>The full length of the frame that starts at <see cref="_start"/>, or a minimum when its header is incomplete.</summary>
    private int PendingFrameLength()
    {
        var available = _end - _start;
        if (available < 2)
        {
            return 2;
        }
        var span = _buffer.AsSpan(_start, available);
        var length = span[1] & 0x7F;
        return length switch
        {
            < 126 => 2 + length,
            126 => available < 4 ? 4 : 4 + BinaryPrimitives.ReadUInt16BigEndian(span[2..]),
            _ => available < 10 ? 10 : checked(10 + (int)BinaryPrimitives.ReadUInt64BigEndian(span[2..])),
        };
    }

    private void ProcessFrames(long nowMicros)
    {
        while (true)
        {
            var available = _end - _start;
            if (available < 2)
            {
                return;
            }
            var total = PendingFrameLength();
            if (total > available)
            {
                return;
            }
            var span = _buffer.AsSpan(_start, total);
            var header = (span[1] & 0x7F) switch { < 126 => 2, 126 => 4, _ => 10 };
            var payload = span[header..];
            var fin = (span[0] & 0x80) != 0;
            var opcode = span[0] & 0x0F;
            _start += total;
            switch (opcode)
            {
                case 0x1 when fin:
                    OnPacket(payload, nowMicros);
                    break;
                case 0x1:
                case 0x0:
                    AddFragment(payload);
                    if (fin)
                    {
                        OnPacket(_fragments.AsSpan(0, _fragmentLength), nowMicros);
                        _fragmentLength = 0;
                    }
                    break;
                case 0x8:
                    _closed = true;
                    return;
                case 0x9:
                    SendFrame(0xA, payload);
                    break;
            }
        }
    }

    private void AddFragment(ReadOnlySpan<byte> payload)
    {
        if (_fragments is null || _fragmentLength + payload.Length > _fragments.Length)
        {
            Array.Resize(ref _fragments, Math.Max(64 * 1024, (_fragmentLength + payload.Length) * 2));
        }
        payload.CopyTo(_fragments.AsSpan(_fragmentLength));
        _fragmentLength += payload.Length;
    }

    private void OnPacket(ReadOnlySpan<byte> packet, long nowMicros)
    {
        switch (PacketScanner.Handle(packet, _subscriber, _latencies, nowMicros))
        {
            case PacketKind.Ping:
                _pingPending = true;
                break;
            case PacketKind.Close:
                _closed = true;
                break;
        }
    }

    private async Task ReadHandshakeAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var read = await _socket.ReceiveAsync(_buffer.AsMemory(_end), SocketFlags.None, cancellationToken);
            if (read == 0)
            {
                throw new InvalidOperationException("closed during the WebSocket handshake");
            }
            _end += read;
            var head = _buffer.AsSpan(0, _end).IndexOf("\r\n\r\n"u8);
            if (head < 0)
            {
                continue;
            }
            if (!_buffer.AsSpan().StartsWith("HTTP/1.1 101"u8))
            {
                throw new InvalidOperationException("WebSocket handshake refused: " + Encoding.ASCII.GetString(_buffer, 0, head));
            }
            _start = head + 4;
            return;
        }
    }

    /// <summary>The next text packet, during set-up only (allocates; answers pings).</summary>
    private async Task<string> ReadSetupPacketAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var available = _end - _start;
            if (available >= 2 && PendingFrameLength() is var total && total <= available)
            {
                var span = _buffer.AsSpan(_start, total);
                var header = (span[1] & 0x7F) switch { < 126 => 2, 126 => 4, _ => 10 };
                var text = Encoding.UTF8.GetString(span[header..]);
                _start += total;
                if (text == "2")
                {
                    SendText("3");
                    continue;
                }
                return text;
            }
            EnsureSpace();
            var read = await _socket.ReceiveAsync(_buffer.AsMemory(_end), SocketFlags.None, cancellationToken);
            if (read == 0)
            {
                throw new InvalidOperationException("closed during the Socket.IO handshake");
            }
            _end += read;
        }
    }

    private void SendText(string text) => SendFrame(0x1, Encoding.UTF8.GetBytes(text));

    /// <summary>A masked client frame (RFC 6455 section 5.3); small, so a blocking send under a lock is fine.</summary>
    private void SendFrame(int opcode, ReadOnlySpan<byte> payload)
    {
        var header = payload.Length < 126 ? 2 : 4;
        var frame = new byte[header + 4 + payload.Length];
        frame[0] = (byte)(0x80 | opcode);
        if (header == 2)
        {
            frame[1] = (byte)(0x80 | payload.Length);
        }
        else
        {
            frame[1] = 0x80 | 126;
            BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(2), (ushort)payload.Length);
        }
        var mask = frame.AsSpan(header, 4);
        RandomNumberGenerator.Fill(mask);
        for (var i = 0; i < payload.Length; i++)
        {
            frame[header + 4 + i] = (byte)(payload[i] ^ mask[i & 3]);
        }
        lock (_sendLock)
        {
            try
            {
                _socket.Send(frame);
            }
            catch (SocketException) when (_subscriber.Done.IsCompleted)
            {
            }
        }
    }

    public ValueTask DisposeAsync()
    {
        ReleaseStall();
        try
        {
            _socket.Shutdown(SocketShutdown.Both);
        }
        catch (SocketException)
        {
        }
        _socket.Dispose();
        return ValueTask.CompletedTask;
    }
}
