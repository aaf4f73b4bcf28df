using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace RunsStream.Protocol.EngineIO.Transports;

/// <summary>
/// Frames sent straight on the connection's socket: a batch goes out in one gathering send,
/// from the shared frame buffers, with no copy into a per-connection stream. The socket is put
/// in non-blocking mode so that <see cref="TrySendNow"/> never waits; the writer's sends are
/// asynchronous and unaffected.
/// </summary>
internal sealed class SocketWebSocketOutput : WebSocketOutput
{
    private readonly Socket _socket;
    private readonly List<ArraySegment<byte>> _batch = [];

    public SocketWebSocketOutput(Socket socket)
    {
        _socket = socket;
        _socket.Blocking = false;
    }

    public override bool HasPending => _batch.Count > 0;

    public override bool CanSendNow => true;

    public override void Add(ReadOnlyMemory<byte> frame)
    {
        if (!MemoryMarshal.TryGetArray(frame, out var segment))
        {
            segment = frame.ToArray();
        }
        _batch.Add(segment);
    }

    public override async ValueTask SendAsync()
    {
        try
        {
            if (_batch.Count == 1)
            {
                await _socket.SendAsync(_batch[0].AsMemory(), SocketFlags.None);
            }
            else
            {
                await _socket.SendAsync(_batch, SocketFlags.None);
            }
        }
        catch (SocketException ex)
        {
            throw new IOException(ex.Message, ex);
        }
        finally
        {
            _batch.Clear();
        }
    }

    public override int TrySendNow(ReadOnlySpan<byte> frame)
    {
        try
        {
            var sent = _socket.Send(frame, SocketFlags.None, out var error);
            return error switch
            {
                SocketError.Success => sent,
                SocketError.WouldBlock => 0,
                _ => -1,
            };
        }
        catch (ObjectDisposedException)
        {
            return -1;
        }
    }
}
