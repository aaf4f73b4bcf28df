using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using RunsStream.Protocol.SocketIO;

namespace RunsStream.Protocol.Hosting;

/// <summary>Registration of the Socket.IO server in an application's services.</summary>
public static class SocketIOServiceCollectionExtensions
{
    /// <summary>
    /// Registers one <see cref="SocketIOServer"/> with <paramref name="options"/> (the defaults when
    /// null), and closes its sessions when the host stops (after the hosted services registered
    /// later). The options are checked here, so a bad combination fails at startup.
    /// </summary>
    /// <param name="services">The application's services.</param>
    /// <param name="options">The server's options, e.g. <c>new SocketIOOptions { ConnectTimeout = ... }</c>.</param>
    /// <returns><paramref name="services"/>, for chaining.</returns>
    /// <exception cref="ArgumentException">The options break a rule between two properties.</exception>
    public static IServiceCollection AddSocketIO(this IServiceCollection services, SocketIOOptions? options = null)
    {
        options ??= new SocketIOOptions();
        options.Validate();
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(options);
        services.AddSingleton(sp => new SocketIOServer(options, sp.GetRequiredService<ILoggerFactory>(), sp.GetRequiredService<TimeProvider>(), sp.GetService<System.Diagnostics.Metrics.IMeterFactory>()));
        services.AddHostedService<SocketIOLifetime>();
        return services;
    }
}
