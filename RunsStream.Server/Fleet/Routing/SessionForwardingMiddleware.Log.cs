using Microsoft.Extensions.Logging;
using Yarp.ReverseProxy.Forwarder;

namespace RunsStream.Server.Fleet.Routing;

internal sealed partial class SessionForwardingMiddleware
{
    private static partial class Log
    {
        [LoggerMessage(6101, LogLevel.Warning, "Forwarding an Engine.IO {Method} to node {Node} failed ({Error}); answered Session ID unknown")]
        public static partial void ForwardFailed(ILogger logger, string method, Uri node, ForwarderError error);
    }
}
