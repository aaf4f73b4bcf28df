using System.Net;
using System.Text;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.WebUtilities;
using RunsStream.Protocol.EngineIO.Transports;
using RunsStream.Protocol.EngineIO.WebSockets;

namespace RunsStream.Protocol.EngineIO;

/// <summary>
/// WebSocket connections taken straight from the connection, before the HTTP server: a
/// connection whose first request is a valid Engine.IO WebSocket handshake (or probe) is
/// answered here and becomes a WebSocket transport that reads the connection's input and
/// sends on its socket. Such a connection carries none of an HTTP request's state for its
/// lifetime, and its frames go from the shared buffers to the socket without a copy.
/// Everything else, including every request this server would refuse, goes to the HTTP
/// server and <see cref="HandleRequestAsync"/>, which answers it as the reference does.
/// </summary>
/// <remarks>
/// Kept with the hosting code (it speaks Kestrel's connection abstractions) while remaining a
/// part of <see cref="EngineServer"/>, whose session table it shares.
/// </remarks>
public sealed partial class EngineServer
{
    /// <summary>
    /// True when <paramref name="head"/>, the first request of a connection, is one this server
    /// accepts as a WebSocket at <paramref name="path"/>: a handshake, or the probe of a live
    /// polling session.
    /// </summary>
    public bool AcceptsWebSocket(HttpRequestHead head, string path)
    {
        if (head.Method != "GET"
            || head.Version != "HTTP/1.1"
            || !PathMatches(head.Path, path)
            || _options.AllowRequest is not null
            || !_options.Transports.Contains(TransportNames.WebSocket)
            || !WebSocketHandshake.HeaderContainsToken(head["Upgrade"], "websocket")
            || !WebSocketHandshake.HeaderContainsToken(head["Connection"], "upgrade")
            || head["Sec-WebSocket-Version"] != "13"
            || !WebSocketHandshake.IsValidKey(head["Sec-WebSocket-Key"])
            || head.Headers.ContainsKey("Content-Length")
            || head.Headers.ContainsKey("Transfer-Encoding"))
        {
            return false;
        }
        var query = QueryHelpers.ParseQuery(head.QueryString);
        if (Get(query, "transport") != TransportNames.WebSocket)
        {
            return false;
        }
        var sid = Get(query, "sid");
        if (sid.Length > 0)
        {
            return _sessions.TryGetValue(sid, out var session) && !session.IsFinalized && !session.CloseIfPastPingTimeout();
        }
        return ProtocolVersionOf(Get(query, "EIO")) != 0;
    }

    /// <summary>
    /// Serves a connection whose first request, <paramref name="head"/> (already consumed from
    /// its input), passed <see cref="AcceptsWebSocket"/>. Completes when the connection ends.
    /// </summary>
    /// <remarks>
    /// Not an async method: when the 101 goes out at once (the usual case), the task returned is
    /// the transport's own, and an idle connection keeps no state machine of this method alive.
    /// </remarks>
    public Task RunWebSocketConnectionAsync(ConnectionContext connection, HttpRequestHead head)
    {
        var tls = connection.Features.Get<ITlsHandshakeFeature>() is not null;
        WebSocketOutput output = !tls && connection.Features.Get<IConnectionSocketFeature>()?.Socket is { } socket
            ? new SocketWebSocketOutput(socket)
            : new StreamWebSocketOutput(connection.Transport.Output.AsStream(leaveOpen: true));

        var query = QueryHelpers.ParseQuery(head.QueryString);
        var sid = Get(query, "sid");
        EngineSession? session = null;
        if (sid.Length > 0 && (!_sessions.TryGetValue(sid, out session) || session.IsFinalized))
        {
            // The session ended since the check: refuse as the HTTP path would.
            return RespondAsync(output, EngineResponses.RawError(EngineErrorCode.UnknownSid)).AsTask();
        }

        var switching = RespondAsync(output, SwitchingProtocols(head["Sec-WebSocket-Key"]!));
        return switching.IsCompletedSuccessfully
            ? Serve(connection, head, output, query, tls, session)
            : ServeAfterAsync(switching, connection, head, output, query, tls, session);
    }

    private async Task ServeAfterAsync(ValueTask switching, ConnectionContext connection, HttpRequestHead head, WebSocketOutput output, Dictionary<string, Microsoft.Extensions.Primitives.StringValues> query, bool tls, EngineSession? session)
    {
        await switching;
        await Serve(connection, head, output, query, tls, session);
    }

    private Task Serve(ConnectionContext connection, HttpRequestHead head, WebSocketOutput output, Dictionary<string, Microsoft.Extensions.Primitives.StringValues> query, bool tls, EngineSession? session)
    {
        if (session is not null)
        {
            return ProbeWithWebSocketAsync(session, new WebSocketTransport(connection.Transport.Input, output, session, connection.Abort)
            {
                Encoding = EncodingFor(session, query.ContainsKey("b64")),
            });
        }
        var values = new Dictionary<string, string>(query.Count, StringComparer.Ordinal);
        foreach (var (key, value) in query)
        {
            values[key] = value.ToString();
        }
        var request = new HandshakeRequest(
            values,
            head.Headers,
            (connection.RemoteEndPoint as IPEndPoint)?.Address.ToString(),
            head.Target,
            tls,
            _time.GetUtcNow());
        session = NewSession(request);
        return OpenWithWebSocketAsync(session, new WebSocketTransport(connection.Transport.Input, output, session, connection.Abort)
        {
            Encoding = EncodingFor(session, query.ContainsKey("b64")),
        });
    }

    private static string Get(Dictionary<string, Microsoft.Extensions.Primitives.StringValues> query, string key) =>
        query.TryGetValue(key, out var value) ? value.ToString() : "";

    private static bool PathMatches(string requestPath, string path)
    {
        var trimmed = path.TrimEnd('/');
        return requestPath == trimmed || requestPath == trimmed + "/";
    }

    private static byte[] SwitchingProtocols(string key) => Encoding.ASCII.GetBytes(
        "HTTP/1.1 101 Switching Protocols\r\n" +
        "Upgrade: websocket\r\n" +
        "Connection: Upgrade\r\n" +
        $"Sec-WebSocket-Accept: {WebSocketHandshake.ComputeAccept(key)}\r\n\r\n");

    private static ValueTask RespondAsync(WebSocketOutput output, byte[] bytes)
    {
        output.Add(bytes);
        return output.SendAsync();
    }
}
