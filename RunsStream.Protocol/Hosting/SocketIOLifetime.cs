using Microsoft.Extensions.Hosting;
using RunsStream.Protocol.SocketIO;

namespace RunsStream.Protocol.Hosting;

/// <summary>
/// Closes the Socket.IO server's sessions when the host begins to stop, before the web server
/// stops: clients get their close at once (and reconnect later) instead of holding the shutdown
/// until the server's timeout cuts their connections. Stopping hooks run in reverse order of
/// registration: services registered after <c>AddSocketIO</c> stop first and can still send
/// to their clients.
/// </summary>
internal sealed class SocketIOLifetime(SocketIOServer server) : IHostedLifecycleService
{
    public Task StoppingAsync(CancellationToken cancellationToken) => server.Engine.CloseAllAsync(server.Options.ShutdownTimeout, cancellationToken);

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
