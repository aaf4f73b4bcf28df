using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using RunsStream.Protocol.SocketIO;
using RunsStream.Server.Configuration;
using Yarp.ReverseProxy.Forwarder;

namespace RunsStream.Server.Fleet.Routing;

/// <summary>Wires <see cref="SessionRouting"/> into the server when the options ask for it.</summary>
internal static class SessionRoutingExtensions
{
    /// <summary>
    /// A margin over the quietest a healthy forwarded exchange gets (a long-poll answered by
    /// the next ping, a pong late by up to the ping timeout) before it counts as dead.
    /// </summary>
    private static readonly TimeSpan IdleMargin = TimeSpan.FromSeconds(30);

    public static IServiceCollection AddSessionRouting(this IServiceCollection services, RunsStreamOptions options)
    {
        if (options.Routing is not { } routing)
        {
            return services;
        }
        services.AddHttpForwarder();
        services.AddSingleton(sp => new SessionForwarder(
            sp.GetRequiredService<IHttpForwarder>(),
            routing.Tag,
            options.PingInterval + options.PingTimeout + IdleMargin));
        return services;
    }

    /// <summary>Forwards requests for other nodes' sessions; put before the Socket.IO endpoint.</summary>
    public static IApplicationBuilder UseSessionRouting(this IApplicationBuilder app, RunsStreamOptions options, SocketIOServer io)
    {
        if (options.Routing is not { } routing)
        {
            return app;
        }
        var forwarder = app.ApplicationServices.GetRequiredService<SessionForwarder>();
        return app.UseMiddleware<SessionForwardingMiddleware>(
            io.Engine, new PathString(io.Options.Path.TrimEnd('/')), routing.Tag, routing.Nodes, forwarder);
    }
}
