using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using RunsStream.Protocol.EngineIO;
using Yarp.ReverseProxy.Forwarder;

namespace RunsStream.Server.Fleet.Routing;

/// <summary>
/// Lets a plain round-robin load balancer sit in front of the fleet (issue 14 item 5): a
/// request to the Engine.IO path for a session this node does not hold, whose sid's tag names
/// another live node, is forwarded to that node. Everything else goes on to the Engine.IO
/// endpoint, which answers an unknown session with the reference's "Session ID unknown".
/// </summary>
/// <remarks>
/// A WebSocket upgrade for a session held here never reaches this middleware: it is taken from
/// the connection before HTTP. One for a session held elsewhere falls through to HTTP (the
/// connection-level check does not know the sid) and is forwarded here like a poll.
/// </remarks>
internal sealed partial class SessionForwardingMiddleware(
    RequestDelegate next,
    EngineServer engine,
    PathString enginePath,
    string nodeTag,
    INodeDirectory nodes,
    SessionForwarder forwarder,
    ILogger<SessionForwardingMiddleware> logger)
{
    public async Task InvokeAsync(HttpContext context)
    {
        if (Target(context) is not { } node)
        {
            await next(context);
            return;
        }

        var error = await forwarder.ForwardAsync(context, node);
        if (error == ForwarderError.None)
        {
            return;
        }
        Log.ForwardFailed(logger, context.Request.Method, node, error);
        if (!context.Response.HasStarted)
        {
            // YARP answers a failed forward with 502, which an Engine.IO client takes for a
            // transport error and retries against the same dead session. The reference's
            // "Session ID unknown" (400, code 1) is what makes it open a new session, on a node
            // that is alive: the session's node is gone or unreachable, so for the fleet it is.
            context.Response.Clear();
            await engine.RefuseUnknownSessionAsync(context);
        }
    }

    /// <summary>The node to forward to, or null when the request is this node's to answer.</summary>
    private Uri? Target(HttpContext context)
    {
        var request = context.Request;
        if (!IsEnginePath(request.Path) || request.Headers.ContainsKey(SessionForwarder.ForwardedHeader))
        {
            return null;
        }
        var sid = request.Query["sid"];
        if (sid.Count != 1 || sid[0] is not { Length: > 0 } id || engine.HoldsSession(id))
        {
            return null;
        }
        if (NodeTags.Of(id) is not { } tag || tag == nodeTag)
        {
            return null;
        }
        return nodes.Resolve(tag);
    }

    private bool IsEnginePath(PathString path) =>
        path.Equals(enginePath, StringComparison.Ordinal)
        || (path.Value is { } value && value.Length == enginePath.Value!.Length + 1 && value.EndsWith('/') && value.StartsWith(enginePath.Value, StringComparison.Ordinal));
}
