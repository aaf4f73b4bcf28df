using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using RunsStream.Protocol.SocketIO;

namespace RunsStream.Protocol.Hosting;

public static class SocketIOServiceCollectionExtensions
{
    /// <summary>
    /// Registers one <see cref="SocketIOServer"/> configured by <paramref name="configure"/>, and
    /// closes its sessions when the host stops (after the hosted services registered later).
    /// </summary>
    public static IServiceCollection AddSocketIO(this IServiceCollection services, Action<SocketIOOptions>? configure = null)
    {
        var options = new SocketIOOptions();
        configure?.Invoke(options);
        options.Validate();
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(options);
        services.AddSingleton(sp => new SocketIOServer(options, sp.GetRequiredService<ILoggerFactory>(), sp.GetRequiredService<TimeProvider>()));
        services.AddHostedService<SocketIOLifetime>();
        return services;
    }
}
