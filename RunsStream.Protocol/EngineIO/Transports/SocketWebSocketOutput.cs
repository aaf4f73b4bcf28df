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

    public override ValueTask SendAsync()
    {
        // Most batches fit in the socket's buffer: one gathering send without waiting; wait
        // (which costs the socket its cached asynchronous state) only for what is left.
        var sent = TrySendBatchNow();
        if (sent < 0)
        {
            _batch.Clear();
            return ValueTask.FromException(new IOException("The connection is broken."));
        }
        var done = 0;
        while (done < _batch.Count && sent >= _batch[done].Count)
        {
            sent -= _batch[done].Count;
            done++;
        }
        if (done == _batch.Count)
        {
            _batch.Clear();
            return ValueTask.CompletedTask;
        }
        _batch.RemoveRange(0, done);
        _batch[0] = _batch[0][sent..];
        return SendRestAsync();
    }

    private int TrySendBatchNow()
    {
        if (_batch.Count == 1)
        {
            return TrySendNow(_batch[0]);
        }
        SocketError error;
        try
        {
            return Outcome(_socket.Send(_batch, SocketFlags.None, out error), error);
        }
        catch (ObjectDisposedException)
        {
            return -1;
        }
    }

    private async ValueTask SendRestAsync()
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
        SocketError error;
        try
        {
            return Outcome(_socket.Send(frame, SocketFlags.None, out error), error);
        }
        catch (ObjectDisposedException)
        {
            return -1;
        }
    }

    /// <summary>A non-blocking send's outcome: bytes sent, 0 when the socket is full, -1 when it is broken.</summary>
    private static int Outcome(int sent, SocketError error) => error switch
    {
        SocketError.Success => sent,
        SocketError.WouldBlock => 0,
        _ => -1,
    };
}
