using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;
using RunsStream.Protocol.EngineIO;
using RunsStream.Protocol.EngineIO.Parser;
using RunsStream.Protocol.Hosting;
using RunsStream.Protocol.SocketIO;

namespace RunsStream.ComplianceServer;

/// <summary>
/// The configuration the official Socket.IO and Engine.IO compliance suites expect: Socket.IO at
/// /socket.io/ (pingInterval 300, pingTimeout 200, connectTimeout 1000, CORS "*") with the
/// echo behaviour on "/" and "/custom", and a raw Engine.IO echo server at /engine.io/.
/// </summary>
public static class ComplianceApp
{
    public static WebApplication Build(string url, LogLevel logLevel = LogLevel.Warning)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.SetMinimumLevel(logLevel);
        builder.WebHost.UseUrls(url);
        builder.Services.AddSocketIO(new SocketIOOptions
        {
            ConnectTimeout = TimeSpan.FromMilliseconds(1000),
            ShutdownTimeout = TimeSpan.FromMilliseconds(500), // the suites do not test shutdown
            Engine = CreateEngineOptions(),
        });
        builder.Services.AddRouting();
        var engine = new EngineServer(CreateEngineOptions(), session => new EchoHandler(session));
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.ConfigureEndpointDefaults(listen =>
            listen.UseSocketIOWebSockets().UseEngineIOWebSockets("/engine.io/", engine)));

        var app = builder.Build();
        var io = app.Services.GetRequiredService<SocketIOServer>();
        foreach (var ns in new[] { io.Root, io.Of("/custom") })
        {
            ns.OnConnection(socket =>
            {
                socket.Emit("auth", socket.Handshake.Auth);
                socket.On("message", e => socket.Emit("message-back", e.Args));
                socket.On("message-with-ack", e => e.Ack(e.Args));
            });
        }

        app.UseRouting();
        app.MapSocketIO(io);
        app.MapEngineIO("/engine.io", engine);
        return app;
    }

    private static EngineIOOptions CreateEngineOptions() => new()
    {
        PingInterval = TimeSpan.FromMilliseconds(300),
        PingTimeout = TimeSpan.FromMilliseconds(200),
        MaxPayload = 1_000_000,
        Cors = new CorsPolicy(["*"]),
    };

    /// <summary>Sends every message back as it came, text or binary.</summary>
    private sealed class EchoHandler(EngineSession session) : IEngineSessionHandler
    {
        public void OnMessage(EnginePacket packet) =>
            session.Send(packet.IsBinary ? EngineFrame.Binary(packet.Data.Span) : EngineFrame.Message(packet.Data.Span));

        public void OnClose(string reason)
        {
        }
    }
}
