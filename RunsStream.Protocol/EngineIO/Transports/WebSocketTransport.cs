using System.Buffers;
using System.IO.Pipelines;
using System.Text.Unicode;
using RunsStream.Protocol.EngineIO.Parser;
using RunsStream.Protocol.EngineIO.WebSockets;

namespace RunsStream.Protocol.EngineIO.Transports;

/// <summary>
/// The WebSocket transport over an upgraded HTTP/1.1 connection, framed by hand (RFC 6455) so
/// that an outbound frame encoded once is written as is to every client. A read loop turns
/// frames into Engine.IO packets; one write loop owns the output: it sends control frames
/// first, then, once this transport is active, the session's queued frames. While it is idle
/// and the output allows it, producers send their frames themselves (see
/// <see cref="OutboundQueue"/>).
/// </summary>
internal sealed class WebSocketTransport
{
    private const int MaxBatchBytes = 256 * 1024;
    private static readonly TimeSpan CloseHandshakeTimeout = TimeSpan.FromSeconds(2);

    private readonly ITransportSession _session;
    private readonly Action _abort;
    private readonly PipeReader _reader;
    private readonly WebSocketOutput _output;
    // Control frames waiting for the writer; created on first use, guarded by _signalLock.
    private Queue<ReadOnlyMemory<byte>>? _control;
    private readonly object _signalLock = new();
    private TaskCompletionSource? _controlSignal;
    private volatile bool _active;
    private volatile bool _drainThenClose;
    private volatile bool _closeQueued;
    private int _closed;
    private int _finished;

    /// <param name="session">The session the transport carries, as transports see it.</param>
    /// <param name="abort">Tears the connection down when the peer does not let a close complete.</param>
    /// <param name="input">The upgraded connection's input.</param>
    /// <param name="output">Where frames go: the socket itself, or the upgraded stream.</param>
    public WebSocketTransport(PipeReader input, WebSocketOutput output, ITransportSession session, Action abort)
    {
        _session = session;
        _abort = abort;
        _reader = input;
        _output = output;
    }

    /// <summary>How binary messages are framed, in and out: v4 unless the session is an Engine.IO v3 one.</summary>
    public FrameEncoding Encoding { get; init; }

    /// <summary>From now on this transport drains the session's outbound queue.</summary>
    public void Activate()
    {
        _session.Queue.SetEncoding(Encoding);
        _active = true;
        _session.Queue.SetWaker(Wake);
        _session.Queue.Signal();
        Wake();
    }

    /// <summary>Sends a frame ahead of the session's queue (probe answer, pong, close).</summary>
    public void SendControl(ReadOnlyMemory<byte> frame)
    {
        lock (_signalLock)
        {
            if (_control is not { Count: > 0 } && _active && _session.Queue.TrySendNow(frame))
            {
                return;
            }
            (_control ??= new()).Enqueue(frame);
        }
        Wake();
    }

    /// <summary>Sends what is queued, then a close frame.</summary>
    public void CloseAfterDrain()
    {
        _drainThenClose = true;
        StopSendNow();
        _session.Queue.Signal();
        Wake();
    }

    /// <summary>Sends a close frame now and ends the connection shortly after.</summary>
    public void Close(ushort code, string reason)
    {
        if (_closeQueued)
        {
            return;
        }
        _closeQueued = true;
        StopSendNow();
        SendControl(WebSocketFrameWriter.CreateCloseFrame(code, reason));
        // A client that does not read would keep the writer blocked and the connection open:
        // if the close has not completed in time, abort the connection.
        _ = Task.Delay(CloseHandshakeTimeout * 2, _session.Time).ContinueWith(_ =>
        {
            if (Volatile.Read(ref _finished) == 0)
            {
                _abort();
            }
        }, TaskScheduler.Default);
    }

    public async Task RunAsync()
    {
        var writer = WriteLoopAsync(); // runs here until it first waits (the open packet goes out at once)
        var readerReason = await ReadLoopAsync();
        Close(WebSocketCloseCodes.Normal, "");
        _session.OnTransportClosed(this, readerReason);
        await writer;
        await _reader.CompleteAsync();
        Volatile.Write(ref _finished, 1);
    }

    private async Task<string> ReadLoopAsync()
    {
        var maxPayload = _session.Options.MaxPayload;
        var fragments = new MessageAssembler(maxPayload);
        try
        {
            while (true)
            {
                var result = await _reader.ReadAsync();
                if (result.IsCanceled)
                {
                    return "transport close";
                }
                var buffer = result.Buffer;
                try
                {
                    while (WebSocketFrameReader.TryRead(ref buffer, maxPayload, out var frame))
                    {
                        if (!OnFrame(frame, fragments))
                        {
                            return "transport close";
                        }
                    }
                    if (result.IsCompleted)
                    {
                        return "transport close";
                    }
                }
                finally
                {
                    _reader.AdvanceTo(buffer.Start, buffer.End);
                }
            }
        }
        catch (WebSocketProtocolException ex)
        {
            Close(ex.CloseCode, ex.Message);
            return "transport error";
        }
        catch (EngineProtocolException)
        {
            Close(WebSocketCloseCodes.ProtocolError, "parse error");
            return "parse error";
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or OperationCanceledException)
        {
            return "transport error";
        }
    }

    /// <summary>Returns false when the connection is finished (a close frame arrived).</summary>
    private bool OnFrame(WebSocketFrame frame, MessageAssembler fragments)
    {
        switch (frame.Opcode)
        {
            case WebSocketOpcode.Ping:
                SendControl(WebSocketFrameWriter.CreateFrame(WebSocketOpcode.Pong, frame.Payload));
                return true;
            case WebSocketOpcode.Pong:
                return true;
            case WebSocketOpcode.Close:
                // Echo the close (RFC 6455 section 5.5.1) and stop reading.
                if (!_closeQueued)
                {
                    _closeQueued = true;
                    StopSendNow();
                    SendControl(WebSocketFrameWriter.CreateFrame(WebSocketOpcode.Close, frame.Payload.Length >= 2 ? frame.Payload.AsSpan(0, 2) : default));
                }
                return false;
        }

        if (!fragments.Add(frame, out var opcode, out var message))
        {
            return true;
        }
        if (opcode == WebSocketOpcode.Text)
        {
            if (!Utf8.IsValid(message))
            {
                throw new WebSocketProtocolException(WebSocketCloseCodes.InvalidPayload, "invalid UTF-8");
            }
            _session.OnPacket(this, Encoding == FrameEncoding.V4 ? EnginePacketReader.ReadText(message) : EnginePacketReaderV3.ReadText(message));
        }
        else
        {
            _session.OnPacket(this, Encoding == FrameEncoding.V4 ? EnginePacketReader.ReadBinary(message) : EnginePacketReaderV3.ReadBinary(message));
        }
        return true;
    }

    private async Task WriteLoopAsync()
    {
        var batch = new List<EngineFrame>();
        var queue = _session.Queue;
        var closeSent = false;
        var sendNow = false;
        try
        {
            while (!closeSent)
            {
                // Only the active transport shares the queue with producers; a probe does not.
                var owner = _active;
                var partial = owner ? queue.BeginWrite() : default;
                try
                {
                    if (!partial.IsEmpty)
                    {
                        _output.Add(partial);
                    }
                    while (TryDequeueControl(out var control))
                    {
                        _output.Add(control);
                        if (IsCloseFrame(control.Span))
                        {
                            closeSent = true;
                            break;
                        }
                    }
                    if (!closeSent && owner && !_closeQueued)
                    {
                        batch.Clear();
                        queue.Drain(batch, MaxBatchBytes);
                        foreach (var frame in batch)
                        {
                            _output.Add(frame.WebSocketFrameFor(Encoding));
                        }
                        if (batch.Count == 0 && _drainThenClose && !_output.HasPending)
                        {
                            Close(WebSocketCloseCodes.Normal, "");
                            _session.FinalizeClose();
                            continue;
                        }
                    }
                    if (_output.HasPending)
                    {
                        await _output.SendAsync();
                        continue;
                    }
                }
                finally
                {
                    if (owner)
                    {
                        queue.EndWrite();
                    }
                }
                if (!sendNow && owner && !_closeQueued && !_drainThenClose)
                {
                    // Everything sent before activation (the open packet, the probe answer)
                    // is out: producers may send for themselves from now on.
                    queue.EnableSendNow(_output);
                    sendNow = true;
                }
                await WaitForWorkAsync();
            }
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or OperationCanceledException or InvalidOperationException)
        {
            // The peer is gone; the read loop reports the close.
        }
        finally
        {
            if (sendNow)
            {
                queue.DisableSendNow();
            }
            if (Interlocked.Exchange(ref _closed, 1) == 0)
            {
                // Give the peer a moment to answer the close frame, then stop reading.
                _ = Task.Delay(CloseHandshakeTimeout, _session.Time).ContinueWith(_ => _reader.CancelPendingRead(), TaskScheduler.Default);
            }
        }
    }

    /// <summary>
    /// One signal for all the writer's work: control frames, and (once active) the session's
    /// queue, which calls <see cref="Wake"/> whenever it has something new.
    /// </summary>
    private Task WaitForWorkAsync()
    {
        Task signal;
        lock (_signalLock)
        {
            if (_control is { Count: > 0 })
            {
                return Task.CompletedTask;
            }
            _controlSignal ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            signal = _controlSignal.Task;
        }
        if (_active && (_drainThenClose || _session.Queue.Count > 0))
        {
            return Task.CompletedTask;
        }
        return signal;
    }

    private void Wake()
    {
        TaskCompletionSource? signal;
        lock (_signalLock)
        {
            signal = _controlSignal;
            _controlSignal = null;
        }
        signal?.TrySetResult();
    }

    private bool TryDequeueControl(out ReadOnlyMemory<byte> frame)
    {
        lock (_signalLock)
        {
            frame = default;
            return _control is not null && _control.TryDequeue(out frame);
        }
    }

    /// <summary>Frames queue from now on: nothing may follow a close frame.</summary>
    private void StopSendNow()
    {
        if (_active)
        {
            _session.Queue.DisableSendNow();
        }
    }

    private static bool IsCloseFrame(ReadOnlySpan<byte> frame) => frame.Length > 0 && (frame[0] & 0x0F) == (byte)WebSocketOpcode.Close;

    /// <summary>Joins fragmented messages (RFC 6455 section 5.4) within the payload limit.</summary>
    private sealed class MessageAssembler(long maxPayload)
    {
        private WebSocketOpcode _opcode;
        private ArrayBufferWriter<byte>? _parts;

        public bool Add(WebSocketFrame frame, out WebSocketOpcode opcode, out byte[] message)
        {
            if (frame.Opcode == WebSocketOpcode.Continuation)
            {
                if (_parts is null)
                {
                    throw new WebSocketProtocolException(WebSocketCloseCodes.ProtocolError, "continuation without a message");
                }
                if (_parts.WrittenCount + frame.Payload.Length > maxPayload)
                {
                    throw new WebSocketProtocolException(WebSocketCloseCodes.MessageTooBig, "message exceeds the maximum payload");
                }
                _parts.Write(frame.Payload);
                if (!frame.Fin)
                {
                    opcode = default;
                    message = [];
                    return false;
                }
                opcode = _opcode;
                message = _parts.WrittenSpan.ToArray();
                _parts = null;
                return true;
            }

            if (_parts is not null)
            {
                throw new WebSocketProtocolException(WebSocketCloseCodes.ProtocolError, "new message inside a fragmented one");
            }
            if (frame.Fin)
            {
                opcode = frame.Opcode;
                message = frame.Payload;
                return true;
            }
            _opcode = frame.Opcode;
            _parts = new ArrayBufferWriter<byte>(Math.Max(256, frame.Payload.Length * 2));
            _parts.Write(frame.Payload);
            opcode = default;
            message = [];
            return false;
        }
    }
}
