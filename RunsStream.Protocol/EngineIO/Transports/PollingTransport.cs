using System.Buffers;
using System.IO.Pipelines;
using Microsoft.AspNetCore.Http;
using RunsStream.Protocol.EngineIO.Parser;

namespace RunsStream.Protocol.EngineIO.Transports;

/// <summary>
/// HTTP long-polling (engine.io-protocol v4, "HTTP long-polling"): a GET is held until the
/// session has frames for the client, a POST carries the client's packets. One GET and one
/// POST at a time; an overlapping request closes the session, as in the reference server.
/// An Engine.IO v3 session's payloads are framed by length instead (engine.io-protocol v3,
/// "Payload"; see <see cref="EnginePacketWriterV3"/>).
/// </summary>
/// <param name="session">The session the transport carries.</param>
/// <param name="base64">A v3 client that cannot take binary bodies (its handshake had <c>b64</c>): binary packets go as base64 text.</param>
internal sealed class PollingTransport(ITransportSession session, bool base64 = false)
{
    private const string BinaryContentType = "application/octet-stream";

    // The request currently holding each direction. It lets go as soon as its answer is
    // decided, before the body is written: a fast client may send its next request the moment
    // it has the answer, and that request is not an overlap.
    private readonly RequestSlot _get = new("overlapping poll from client");
    private readonly RequestSlot _post = new("overlapping data request from client");
    private volatile bool _releaseRequested;

    /// <summary>Answers a held GET with NOOP so the client can finish the upgrade.</summary>
    public void ReleaseForUpgrade()
    {
        _releaseRequested = true;
        session.Queue.Signal();
    }

    /// <summary>The upgrade did not happen: polls are held again.</summary>
    public void CancelRelease() => _releaseRequested = false;

    public Task HandleGetAsync(HttpContext context) => OneAtATimeAsync(_get, context, PollAsync);

    /// <summary>A GET is being answered or held right now.</summary>
    public bool IsPollPending => _get.IsHeld;

    public Task HandlePostAsync(HttpContext context) => OneAtATimeAsync(_post, context, ReceiveAsync);

    /// <summary>
    /// Serves <paramref name="context"/> while it holds <paramref name="slot"/>; a request that
    /// finds the slot held is an overlap: refused, and the session ends (as the reference).
    /// </summary>
    private async Task OneAtATimeAsync(RequestSlot slot, HttpContext context, Func<HttpContext, Task> serve)
    {
        if (!slot.TryTake(context))
        {
            await EngineResponses.WriteErrorAsync(context, EngineErrorCode.BadRequest);
            session.Abort(slot.OverlapReason);
            return;
        }
        try
        {
            await serve(context);
        }
        finally
        {
            slot.Release(context);
        }
    }

    private async Task PollAsync(HttpContext context)
    {
        var frames = new List<EngineFrame>();
        var aborted = context.RequestAborted;
        while (true)
        {
            if (session.IsFinalized)
            {
                frames.Add(session.FinalPollFrame);
                await WritePayloadAsync(context, frames);
                return;
            }
            session.Queue.Drain(frames, session.Options.MaxPollingResponseBytes);
            if (session.IsClosing && session.Queue.Count == 0)
            {
                frames.Add(EngineFrame.Close);
                await WritePayloadAsync(context, frames);
                session.FinalizeClose();
                return;
            }
            if (frames.Count > 0)
            {
                await WritePayloadAsync(context, frames);
                return;
            }
            if (_releaseRequested || session.IsPollingReleased)
            {
                _releaseRequested = false;
                frames.Add(EngineFrame.Noop);
                await WritePayloadAsync(context, frames);
                return;
            }
            try
            {
                await session.Queue.WaitAsync().WaitAsync(aborted);
            }
            catch (OperationCanceledException) when (aborted.IsCancellationRequested)
            {
                session.OnTransportClosed(this, "transport error"); // the client abandoned its poll
                return;
            }
        }
    }

    private async Task WritePayloadAsync(HttpContext context, List<EngineFrame> frames)
    {
        _get.Release(context);
        var body = new ArrayBufferWriter<byte>(EstimateSize(frames));
        var binaryBody = session.ProtocolVersion == 3 && !base64 && frames.Exists(f => f.IsBinary);
        for (var i = 0; i < frames.Count; i++)
        {
            var packet = frames[i].Packet.Span;
            if (session.ProtocolVersion == 4)
            {
                EnginePacketWriter.WritePayloadElement(body, packet, frames[i].IsBinary, first: i == 0);
            }
            else if (binaryBody)
            {
                EnginePacketWriterV3.WriteBinaryPayloadElement(body, packet, frames[i].IsBinary);
            }
            else
            {
                EnginePacketWriterV3.WriteTextPayloadElement(body, packet, frames[i].IsBinary);
            }
        }
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = binaryBody ? BinaryContentType : "text/plain; charset=UTF-8";
        context.Response.ContentLength = body.WrittenCount;
        try
        {
            await context.Response.Body.WriteAsync(body.WrittenMemory, context.RequestAborted);
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException)
        {
            // The client went away; the session notices on its next poll or by ping timeout.
        }
    }

    private static int EstimateSize(List<EngineFrame> frames)
    {
        var size = 16;
        foreach (var frame in frames)
        {
            // v3's length prefixes fit within the 12 bytes added per frame.
            size += frame.IsBinary ? 14 + (frame.Packet.Length + 2) / 3 * 4 : 12 + frame.Packet.Length;
        }
        return size;
    }

    private async Task ReceiveAsync(HttpContext context)
    {
        var max = session.Options.MaxPayload;
        if (context.Request.ContentLength > max)
        {
            await RefuseTooLargeAsync(context);
            return;
        }

        var reader = context.Request.BodyReader;
        ReadResult result;
        try
        {
            while (true)
            {
                result = await reader.ReadAsync(context.RequestAborted);
                if (result.Buffer.Length > max)
                {
                    reader.AdvanceTo(result.Buffer.End);
                    await RefuseTooLargeAsync(context);
                    return;
                }
                if (result.IsCompleted || result.IsCanceled)
                {
                    break;
                }
                reader.AdvanceTo(result.Buffer.Start, result.Buffer.End);
            }
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            // Kestrel's own body limit (the host may set it a little above maxPayload) struck
            // before this loop saw the buffer grow past maxPayload: a chunked body that arrived
            // in one read. The same answer as ours, whichever check was first.
            await RefuseTooLargeAsync(context);
            return;
        }
        catch (BadHttpRequestException)
        {
            // A malformed body (bad chunk framing): refused like a malformed payload; Kestrel
            // ends the connection after the answer.
            session.Abort("data request aborted");
            await EngineResponses.WriteErrorAsync(context, EngineErrorCode.BadRequest);
            return;
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException)
        {
            session.OnTransportClosed(this, "data request aborted");
            return;
        }

        var packets = new List<EnginePacket>();
        try
        {
            if (session.ProtocolVersion == 3)
            {
                ReadPayloadV3(result.Buffer.ToArray(), context.Request.ContentType == BinaryContentType, packets);
            }
            else
            {
                var payload = result.Buffer;
                while (EnginePacketReader.TryReadPayloadPacket(ref payload, out var packet))
                {
                    packets.Add(packet);
                }
            }
            if (packets.Count == 0)
            {
                throw new EngineProtocolException("empty payload");
            }
        }
        catch (EngineProtocolException ex)
        {
            reader.AdvanceTo(result.Buffer.End);
            session.OnMalformedPayload(ex.Message);
            await EngineResponses.WriteErrorAsync(context, EngineErrorCode.BadRequest);
            return;
        }
        reader.AdvanceTo(result.Buffer.End);

        foreach (var packet in packets)
        {
            session.OnPacket(this, packet);
        }
        _post.Release(context);
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = "text/html";
        context.Response.ContentLength = 2;
        await context.Response.Body.WriteAsync("ok"u8.ToArray());
    }

    /// <summary>A v3 body: binary framing when the client sent it as octets (XHR2), else text.</summary>
    private static void ReadPayloadV3(byte[] body, bool binary, List<EnginePacket> packets)
    {
        var offset = 0;
        EnginePacket packet;
        while (binary
            ? EnginePacketReaderV3.TryReadBinaryPayloadPacket(body, ref offset, out packet)
            : EnginePacketReaderV3.TryReadTextPayloadPacket(body, ref offset, out packet))
        {
            packets.Add(packet);
        }
    }

    private async Task RefuseTooLargeAsync(HttpContext context)
    {
        // Closed before the answer leaves: a client that reads the 413 finds the session gone.
        session.Abort("payload too large");
        if (context.Response.HasStarted)
        {
            return;
        }
        context.Response.StatusCode = StatusCodes.Status413PayloadTooLarge;
        context.Response.Headers.Connection = "close";
        await context.Response.CompleteAsync();
    }

    /// <summary>The request currently holding one direction of the transport, if any.</summary>
    private sealed class RequestSlot(string overlapReason)
    {
        private HttpContext? _holder;

        /// <summary>Why the session ends when a second request finds the slot held.</summary>
        public string OverlapReason => overlapReason;

        public bool TryTake(HttpContext context) => Interlocked.CompareExchange(ref _holder, context, null) is null;

        public bool IsHeld => Volatile.Read(ref _holder) is not null;

        /// <summary>Lets go, if <paramref name="context"/> still holds the slot (it may have let go early).</summary>
        public void Release(HttpContext context) => Interlocked.CompareExchange(ref _holder, null, context);
    }
}
