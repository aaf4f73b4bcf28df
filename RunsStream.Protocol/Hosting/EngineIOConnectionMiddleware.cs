using System.IO.Pipelines;
using Microsoft.AspNetCore.Connections;
using RunsStream.Protocol.EngineIO;
using RunsStream.Protocol.EngineIO.WebSockets;

namespace RunsStream.Protocol.Hosting;

/// <summary>Looks at a connection's first request and hands it to the Engine.IO server or to HTTP.</summary>
internal static class EngineIOConnectionMiddleware
{
    /// <summary>
    /// How long the first bytes may take before the connection is left to HTTP, which then
    /// applies its own limits (Kestrel's request-headers timeout) to a client that sends nothing.
    /// </summary>
    public static readonly TimeSpan FirstReadTimeout = TimeSpan.FromSeconds(30);

    /// <remarks>
    /// The connection's task is the one of whoever takes it (the WebSocket transport or HTTP):
    /// once the first read is looked at, nothing of this method stays alive with the connection.
    /// </remarks>
    public static Task RunAsync(ConnectionContext connection, ConnectionDelegate next, Func<EngineServer> server, Func<string> path, TimeSpan? firstReadTimeout = null) =>
        LookAsync(connection, next, server, path, firstReadTimeout ?? FirstReadTimeout).Unwrap();

    private static async Task<Task> LookAsync(ConnectionContext connection, ConnectionDelegate next, Func<EngineServer> server, Func<string> path, TimeSpan firstReadTimeout)
    {
        var input = connection.Transport.Input;
        ReadResult result;
        using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(connection.ConnectionClosed))
        {
            timeout.CancelAfter(firstReadTimeout);
            try
            {
                result = await input.ReadAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                // Closed: nothing to do. Silent: HTTP's timeouts decide.
                return connection.ConnectionClosed.IsCancellationRequested ? Task.CompletedTask : next(connection);
            }
        }
        var buffer = result.Buffer;
        var engine = server();
        // Only a head that arrived whole is taken here; anything else is HTTP's to read and answer.
        if (HttpRequestHead.TryParse(buffer, out var head, out var end) == HttpRequestHead.ParseResult.Complete
            && engine.AcceptsWebSocket(head!, path()))
        {
            input.AdvanceTo(end);
            return engine.RunWebSocketConnectionAsync(connection, head!);
        }
        input.AdvanceTo(buffer.Start);
        return next(connection);
    }
}
