using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using RunsStream.Protocol.Diagnostics;
using RunsStream.Protocol.EngineIO;

namespace RunsStream.Protocol.SocketIO;

/// <summary>
/// A Socket.IO v5 server over the Engine.IO layer: owns the namespaces and gives each Engine.IO
/// session a <see cref="SocketIOConnection"/> that routes its packets to them.
/// </summary>
public sealed class SocketIOServer : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, SocketIONamespace> _namespaces = new(StringComparer.Ordinal);
    private readonly ILoggerFactory _loggerFactory;

    /// <summary>
    /// A server with <paramref name="options"/>; <paramref name="time"/> (default the system
    /// clock) drives heartbeats and timeouts; its metrics (<see cref="ProtocolMetrics"/>) are on a
    /// meter of <paramref name="meters"/> (the host's), or of their own when null.
    /// </summary>
    public SocketIOServer(SocketIOOptions options, ILoggerFactory? loggerFactory = null, TimeProvider? time = null, IMeterFactory? meters = null)
    {
        options.Validate();
        Options = options;
        Time = time ?? TimeProvider.System;
        _loggerFactory = loggerFactory ?? NullLoggerFactory.Instance;
        Logger = _loggerFactory.CreateLogger<SocketIOServer>();
        Engine = new EngineServer(options.Engine, session => new SocketIOConnection(this, session), _loggerFactory.CreateLogger<EngineServer>(), Time);
        Metrics = new ProtocolMetrics(this, meters);
        Of(Parser.SocketIOPacket.RootNamespace);
    }

    /// <summary>Connections, connects, disconnects by reason, packets and bytes sent.</summary>
    internal ProtocolMetrics Metrics { get; }

    /// <summary>The namespaces created so far.</summary>
    internal ICollection<SocketIONamespace> Namespaces => _namespaces.Values;

    /// <summary>The options read when the server was built.</summary>
    public SocketIOOptions Options { get; }

    /// <summary>The Engine.IO layer underneath.</summary>
    public EngineServer Engine { get; }

    internal TimeProvider Time { get; }

    internal ILogger Logger { get; }

    /// <summary>The namespace named <paramref name="name"/>, created on first use.</summary>
    public SocketIONamespace Of(string name)
    {
        if (string.IsNullOrEmpty(name) || name[0] != '/')
        {
            name = "/" + name;
        }
        return _namespaces.GetOrAdd(name, n => new SocketIONamespace(this, n));
    }

    /// <summary>The main namespace "/".</summary>
    public SocketIONamespace Root => Of(Parser.SocketIOPacket.RootNamespace);

    internal bool TryGetNamespace(string name, out SocketIONamespace ns) => _namespaces.TryGetValue(name, out ns!);

    /// <summary>Serves one Engine.IO request of this server (what <c>MapSocketIO</c> maps).</summary>
    public Task HandleRequestAsync(HttpContext context) => Engine.HandleRequestAsync(context);

    /// <summary>Closes every session, then releases the namespaces' adapters.</summary>
    public async ValueTask DisposeAsync()
    {
        await Engine.DisposeAsync();
        foreach (var ns in _namespaces.Values)
        {
            ns.Adapter.Dispose();
        }
        Metrics.Close();
    }
}
