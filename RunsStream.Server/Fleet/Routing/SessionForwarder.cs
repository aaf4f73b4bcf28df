using System.Net;
using Microsoft.AspNetCore.Http;
using Yarp.ReverseProxy.Forwarder;

namespace RunsStream.Server.Fleet.Routing;

/// <summary>
/// Sends one Engine.IO request to the node that holds its session, with YARP's
/// <see cref="IHttpForwarder"/>, and streams the answer back: a long-poll's wait, a POST's
/// body, a WebSocket upgrade and the frames that follow in both directions.
/// </summary>
internal sealed class SessionForwarder : IDisposable
{
    /// <summary>
    /// Marks a request that a node forwarded. A node never forwards a request that carries it:
    /// a request is forwarded at most once, so two nodes whose directories disagree cannot
    /// bounce it between them.
    /// </summary>
    public const string ForwardedHeader = "X-RunsStream-Forwarded";

    /// <summary>
    /// A live node accepts a connection at once; a dead one refuses it at once or never
    /// answers. Well under a polling client's own request timeout, so that the client hears
    /// "Session ID unknown" and reconnects instead of waiting for nothing.
    /// </summary>
    public static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(3);

    private readonly IHttpForwarder _forwarder;
    private readonly HttpMessageInvoker _client;
    private readonly ForwarderRequestConfig _config;
    private readonly MarkingTransformer _transformer;
    private long _forwarded;

    /// <param name="idleTimeout">
    /// How long a forwarded exchange may carry nothing before it is ended: longer than the
    /// longest quiet time of a healthy session (a long-poll waits at most a ping interval, a
    /// WebSocket sees a ping every ping interval).
    /// </param>
    public SessionForwarder(IHttpForwarder forwarder, string nodeTag, TimeSpan idleTimeout)
    {
        _forwarder = forwarder;
        // Node to node over the fleet's own network: no proxy, and the bytes pass as they are
        // (no redirects followed, nothing decompressed, no cookies kept between clients).
        _client = new HttpMessageInvoker(new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            UseCookies = false,
            ConnectTimeout = ConnectTimeout,
            ActivityHeadersPropagator = null,
        });
        // HTTP/1.1: a WebSocket upgrade stays an Upgrade request end to end, which the target
        // takes before its HTTP server as it takes a client's.
        _config = new ForwarderRequestConfig
        {
            ActivityTimeout = idleTimeout,
            Version = HttpVersion.Version11,
            VersionPolicy = HttpVersionPolicy.RequestVersionOrLower,
        };
        _transformer = new MarkingTransformer(nodeTag);
    }

    /// <summary>Requests forwarded so far, whatever their outcome.</summary>
    public long Forwarded => Interlocked.Read(ref _forwarded);

    /// <summary>Forwards <paramref name="context"/>'s request to <paramref name="node"/>; what went wrong, if anything.</summary>
    public ValueTask<ForwarderError> ForwardAsync(HttpContext context, Uri node)
    {
        Interlocked.Increment(ref _forwarded);
        return _forwarder.SendAsync(context, node.GetLeftPart(UriPartial.Authority), _client, _config, _transformer);
    }

    public void Dispose() => _client.Dispose();

    /// <summary>Copies the request as it came (path, query, headers but Host) and marks it as forwarded by this node.</summary>
    private sealed class MarkingTransformer(string nodeTag) : HttpTransformer
    {
        public override async ValueTask TransformRequestAsync(HttpContext httpContext, HttpRequestMessage proxyRequest, string destinationPrefix, CancellationToken cancellationToken)
        {
            await base.TransformRequestAsync(httpContext, proxyRequest, destinationPrefix, cancellationToken);
            proxyRequest.Headers.Host = null;
            proxyRequest.Headers.TryAddWithoutValidation(ForwardedHeader, nodeTag);
        }
    }
}
