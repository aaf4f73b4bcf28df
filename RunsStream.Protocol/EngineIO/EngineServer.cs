using System.Collections.Concurrent;
using System.IO.Pipelines;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using RunsStream.Protocol.EngineIO.Parser;
using RunsStream.Protocol.EngineIO.Transports;
using RunsStream.Protocol.EngineIO.WebSockets;

namespace RunsStream.Protocol.EngineIO;

/// <summary>
/// The Engine.IO request handler: verifies each request as the reference server does
/// (engine.io <c>Server.verify</c>), opens sessions on handshake and routes later requests to
/// their session's transport.
/// </summary>
public sealed partial class EngineServer : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, EngineSession> _sessions = new(StringComparer.Ordinal);

    // Polling sessions the client closed with a POST, by sid: when the client had a GET in
    // flight at the same moment, that GET may reach the server just after the POST. It gets
    // the NOOP it would have got had it arrived first, once, within this time.
    private static readonly TimeSpan RacingPollGrace = TimeSpan.FromSeconds(1);
    private const int MaxRacingPollSids = 1024;
    private readonly ConcurrentDictionary<string, long> _closedByPollingClient = new(StringComparer.Ordinal);
    private readonly EngineIOOptions _options;
    private readonly Func<EngineSession, IEngineSessionHandler> _handlerFactory;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;

    /// <summary>A server whose sessions get their handler from <paramref name="handlerFactory"/>; <paramref name="time"/> (default the system clock) drives heartbeats and timeouts.</summary>
    public EngineServer(EngineIOOptions options, Func<EngineSession, IEngineSessionHandler> handlerFactory, ILogger? logger = null, TimeProvider? time = null)
    {
        options.Validate();
        _options = options;
        _handlerFactory = handlerFactory;
        _logger = logger ?? NullLogger.Instance;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>The options read when the server was built.</summary>
    public EngineIOOptions Options => _options;

    /// <summary>Sessions currently open or closing.</summary>
    public int SessionCount => _sessions.Count;

    /// <summary>The session with id <paramref name="sid"/>, if it is still known.</summary>
    public bool TryGetSession(string sid, out EngineSession session) => _sessions.TryGetValue(sid, out session!);

    /// <summary>
    /// True when this server holds the live session <paramref name="sid"/>: a request for it is
    /// served here. A fleet node forwards a request for a sid it does not hold to the node whose
    /// prefix the sid carries.
    /// </summary>
    public bool HoldsSession(string sid) =>
        _sessions.TryGetValue(sid, out var session) && !session.IsFinalized;

    /// <summary>
    /// Answers <paramref name="context"/> as a request for a session this server does not know
    /// is answered: 400 with the reference's <c>{"code":1,"message":"Session ID unknown"}</c>,
    /// the answer on which an Engine.IO client opens a new session. Nothing when the response
    /// has already started.
    /// </summary>
    public Task RefuseUnknownSessionAsync(HttpContext context) => RefuseAsync(context, EngineErrorCode.UnknownSid);

    /// <summary>Serves one Engine.IO request: handshake, poll, POST or WebSocket upgrade; refusals carry the reference's error codes.</summary>
    public async Task HandleRequestAsync(HttpContext context)
    {
        if (_options.Cors is { } cors && cors.Apply(context))
        {
            return; // a preflight, answered
        }

        var query = context.Request.Query;
        var transport = query["transport"].ToString();
        if (!_options.Transports.Contains(transport))
        {
            await RefuseAsync(context, EngineErrorCode.UnknownTransport);
            return;
        }

        var sid = query["sid"].ToString();
        var isWebSocketRequest = IsWebSocketRequest(context);
        if (sid.Length > 0)
        {
            await HandleSessionRequestAsync(context, sid, transport, isWebSocketRequest);
            return;
        }

        if (ProtocolVersionOf(query["EIO"].ToString()) == 0)
        {
            await RefuseAsync(context, EngineErrorCode.UnsupportedProtocolVersion);
            return;
        }
        if (transport == TransportNames.Polling && !HttpMethods.IsGet(context.Request.Method))
        {
            await RefuseAsync(context, EngineErrorCode.BadHandshakeMethod);
            return;
        }
        if (transport == TransportNames.WebSocket && !isWebSocketRequest)
        {
            await RefuseAsync(context, EngineErrorCode.BadRequest);
            return;
        }
        if (_options.AllowRequest is { } allow && !await allow(context))
        {
            await RefuseAsync(context, EngineErrorCode.Forbidden);
            return;
        }

        await HandshakeAsync(context, transport);
    }

    private async Task HandleSessionRequestAsync(HttpContext context, string sid, string transport, bool isWebSocketRequest)
    {
        if (!_sessions.TryGetValue(sid, out var session) || session.IsFinalized || session.CloseIfPastPingTimeout())
        {
            if (transport == TransportNames.Polling && HttpMethods.IsGet(context.Request.Method) && TakeRacingPoll(sid))
            {
                context.Response.StatusCode = StatusCodes.Status200OK;
                context.Response.ContentType = "text/plain; charset=UTF-8";
                await context.Response.Body.WriteAsync(context.Request.Query["EIO"] == "3" ? EngineFrame.NoopPayloadV3 : EngineFrame.Noop.Packet);
                return;
            }
            await RefuseAsync(context, EngineErrorCode.UnknownSid);
            return;
        }

        if (transport == TransportNames.WebSocket)
        {
            if (!isWebSocketRequest)
            {
                await RefuseAsync(context, EngineErrorCode.BadRequest);
                return;
            }
            await ProbeAsync(context, session);
            return;
        }

        if (session.WebSocket is not null || session.Polling is not { } polling)
        {
            // After the upgrade, polling requests for the session are refused.
            await RefuseAsync(context, EngineErrorCode.BadRequest);
            return;
        }
        if (HttpMethods.IsGet(context.Request.Method))
        {
            await polling.HandleGetAsync(context);
        }
        else if (HttpMethods.IsPost(context.Request.Method))
        {
            await polling.HandlePostAsync(context);
        }
        else
        {
            await RefuseAsync(context, EngineErrorCode.BadRequest);
        }
    }

    private async Task HandshakeAsync(HttpContext context, string transport)
    {
        var session = NewSession(HandshakeRequest.From(context, _time.GetUtcNow()));
        if (transport == TransportNames.Polling)
        {
            // A v3 client without XHR2 (Node's socket.io-client 2.x) asks for base64 with b64.
            var polling = new PollingTransport(session, base64: context.Request.Query.ContainsKey("b64"));
            var openFrame = OpenFrame(session, transport);
            _sessions[session.Id] = session;
            session.Attach(_handlerFactory(session));
            session.StartWithPolling(polling);
            Log.SessionOpened(_logger, session.Id, transport);
            context.Response.ContentType = "text/plain; charset=UTF-8";
            var body = PollingBody(session, openFrame);
            context.Response.ContentLength = body.Length;
            await context.Response.Body.WriteAsync(body);
            return;
        }

        var stream = await AcceptWebSocketAsync(context);
        try
        {
            await OpenWithWebSocketAsync(session, CreateWebSocketTransport(context, stream, session));
        }
        finally
        {
            await stream.DisposeAsync();
        }
    }

    private async Task ProbeAsync(HttpContext context, EngineSession session)
    {
        var stream = await AcceptWebSocketAsync(context);
        try
        {
            await ProbeWithWebSocketAsync(session, CreateWebSocketTransport(context, stream, session));
        }
        finally
        {
            await stream.DisposeAsync();
        }
    }

    private EngineSession NewSession(HandshakeRequest request) =>
        new(_options.SidPrefix + NewSessionId(), request, _options, _time, _logger, OnFinalized, ProtocolVersionOf(request.Query.GetValueOrDefault("EIO", "")));

    private EngineFrame OpenFrame(EngineSession session, string transport)
    {
        var upgrades = transport == TransportNames.Polling && _options.AllowUpgrades && _options.Transports.Contains(TransportNames.WebSocket)
            ? new[] { TransportNames.WebSocket }
            : Array.Empty<string>();
        var open = new OpenPacketData(session.Id, upgrades, (int)_options.PingInterval.TotalMilliseconds, (int)_options.PingTimeout.TotalMilliseconds, _options.MaxPayload);
        return EngineFrame.Text(EnginePacketType.Open, open.ToUtf8Json());
    }

    /// <summary>A new session whose first transport is this WebSocket; completes when the connection ends.</summary>
    private Task OpenWithWebSocketAsync(EngineSession session, WebSocketTransport webSocket)
    {
        _sessions[session.Id] = session;
        webSocket.SendControl(OpenFrame(session, TransportNames.WebSocket).WebSocketFrame);
        session.Attach(_handlerFactory(session));
        session.StartWithWebSocket(webSocket);
        Log.SessionOpened(_logger, session.Id, TransportNames.WebSocket);
        return webSocket.RunAsync();
    }

    /// <summary>An upgrade of a polling session to this WebSocket; completes when the connection ends.</summary>
    private static Task ProbeWithWebSocketAsync(EngineSession session, WebSocketTransport probe)
    {
        if (!session.TryBeginProbe(probe))
        {
            // As the reference server: the handshake succeeds, then the socket is closed at once.
            probe.Close(WebSocketCloseCodes.PolicyViolation, "session already upgraded or upgrading");
        }
        return probe.RunAsync();
    }

    /// <summary>Zero-byte reads: an idle connection holds no read buffer.</summary>
    private static WebSocketTransport CreateWebSocketTransport(HttpContext context, Stream stream, EngineSession session) =>
        new(PipeReader.Create(stream, new StreamPipeReaderOptions(leaveOpen: true, minimumReadSize: 4096, useZeroByteReads: true)), new StreamWebSocketOutput(stream), session, context.Abort)
        {
            Encoding = EncodingFor(session, context.Request.Query.ContainsKey("b64")),
        };

    private static bool IsWebSocketRequest(HttpContext context)
    {
        var upgrade = context.Features.Get<IHttpUpgradeFeature>();
        var headers = context.Request.Headers;
        return upgrade is { IsUpgradableRequest: true }
            && HttpMethods.IsGet(context.Request.Method)
            && WebSocketHandshake.HeaderContainsToken(headers.Upgrade, "websocket")
            && headers.SecWebSocketVersion == "13"
            && WebSocketHandshake.IsValidKey(headers.SecWebSocketKey);
    }

    private static async Task<Stream> AcceptWebSocketAsync(HttpContext context)
    {
        var headers = context.Response.Headers;
        headers.Connection = "Upgrade";
        headers.Upgrade = "websocket";
        headers.SecWebSocketAccept = WebSocketHandshake.ComputeAccept(context.Request.Headers.SecWebSocketKey.ToString());
        return await context.Features.Get<IHttpUpgradeFeature>()!.UpgradeAsync();
    }

    private async Task RefuseAsync(HttpContext context, EngineErrorCode code)
    {
        Log.RequestRefused(_logger, context.Request.Method, context.Request.QueryString.Value ?? "", (int)code);
        await EngineResponses.WriteErrorAsync(context, code);
    }

    private bool TakeRacingPoll(string sid) =>
        _closedByPollingClient.TryRemove(sid, out var closedAt) && _time.GetElapsedTime(closedAt) <= RacingPollGrace;

    private void OnFinalized(EngineSession session)
    {
        _sessions.TryRemove(new KeyValuePair<string, EngineSession>(session.Id, session));
        if (session.ClosedByPollingClient)
        {
            if (_closedByPollingClient.Count >= MaxRacingPollSids)
            {
                foreach (var (sid, closedAt) in _closedByPollingClient)
                {
                    if (_time.GetElapsedTime(closedAt) > RacingPollGrace)
                    {
                        _closedByPollingClient.TryRemove(sid, out _);
                    }
                }
            }
            if (_closedByPollingClient.Count < MaxRacingPollSids)
            {
                _closedByPollingClient[session.Id] = _time.GetTimestamp();
            }
        }
        Log.SessionClosed(_logger, session.Id);
        if (_sessions.IsEmpty)
        {
            Volatile.Read(ref _allClosed)?.TrySetResult();
        }
    }

    private TaskCompletionSource? _allClosed;

    /// <summary>Like the reference's base64id: 15 random bytes, URL-safe base64 (20 characters).</summary>
    private static string NewSessionId()
    {
        Span<byte> bytes = stackalloc byte[15];
        RandomNumberGenerator.Fill(bytes);
        return Convert.ToBase64String(bytes).Replace('+', '-').Replace('/', '_');
    }

    /// <summary>
    /// Closes every session as a server shutting down does: what is queued for a client is sent
    /// first, then the close (a WebSocket also gets its close frame). Sessions that have not
    /// finished within <paramref name="timeout"/> (a long-polling client that does not poll
    /// again, a client that does not read) are ended at once.
    /// </summary>
    public async Task CloseAllAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var allClosed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Volatile.Write(ref _allClosed, allClosed);
        foreach (var session in _sessions.Values)
        {
            session.Close("server shutting down");
        }
        if (_sessions.IsEmpty)
        {
            return;
        }
        try
        {
            await allClosed.Task.WaitAsync(timeout, cancellationToken);
        }
        catch (Exception ex) when (ex is TimeoutException or OperationCanceledException)
        {
            foreach (var session in _sessions.Values)
            {
                session.Abort("server shutting down");
            }
        }
    }

    /// <summary>Closes every session (graceful for WebSocket: queued frames are sent first).</summary>
    public ValueTask DisposeAsync()
    {
        foreach (var session in _sessions.Values)
        {
            session.Close("server shutting down");
        }
        return ValueTask.CompletedTask;
    }
}
