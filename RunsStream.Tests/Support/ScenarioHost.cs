using Microsoft.Extensions.DependencyInjection;
using RunsStream.Protocol.EngineIO;
using RunsStream.Protocol.Hosting;
using RunsStream.Protocol.SocketIO;

namespace RunsStream.Tests.Support;

/// <summary>
/// The scenario host that the real-client drivers talk to: the same behaviour as
/// NodeClient/reference-server.mjs (the npm socket.io 4.8 server), so that any difference
/// between the two is ours.
/// </summary>
public static class ScenarioHost
{
    public static Task<TestServer> StartAsync(Func<SocketIOOptions, SocketIOOptions>? configure = null) =>
        TestServer.StartAsync(
            builder => builder.Services.AddSocketIO(Configured(configure)),
            app =>
            {
                var io = app.Services.GetRequiredService<SocketIOServer>();
                Configure(io.Root);
                Configure(io.Of("/custom"));
                app.MapSocketIO();
            });

    private static SocketIOOptions Configured(Func<SocketIOOptions, SocketIOOptions>? configure)
    {
        var options = new SocketIOOptions
        {
            ConnectTimeout = TimeSpan.FromSeconds(2),
            Engine = new EngineIOOptions
            {
                PingInterval = TimeSpan.FromSeconds(2),
                PingTimeout = TimeSpan.FromSeconds(2),
                Cors = new CorsPolicy(["*"]),
            },
        };
        return configure?.Invoke(options) ?? options;
    }

    private static void Configure(SocketIONamespace ns)
    {
        ns.Use(socket =>
        {
            if (socket.Handshake.GetAuthString("token") == "bad")
            {
                throw new ConnectionRefusedException("Unauthorized");
            }
            return ValueTask.CompletedTask;
        });

        ns.OnConnection(socket =>
        {
            socket.Emit("auth", socket.Handshake.Auth);
            socket.On("message", e => socket.Emit("message-back", e.Args));
            socket.On("message-with-ack", e => e.Ack(e.Args));
            socket.On("request-server-ack", async e =>
            {
                try
                {
                    var answer = await socket.EmitWithAckAsync("server-ack-request", TimeSpan.FromSeconds(5), e.Args[0]);
                    var answerList = Enumerable.Range(0, answer.Count).Select(i => answer[i]).ToList();
                    socket.Emit("server-ack-result", answerList);
                }
                catch (Exception ex)
                {
                    socket.Emit("server-ack-result", new { error = ex.Message });
                }
            });
            socket.On("disconnect-me", _ => socket.Disconnect());
            socket.On("drop-me", _ => socket.CloseConnection());
            socket.On("join", e =>
            {
                socket.Join(e.Args.Get<string>(0)!);
                e.Ack(true);
            });
            socket.On("to-room", e => ns.To(e.Args.Get<string>(0)!).Emit("room-message", e.Args.Count > 1 ? e.Args[1] : null));
        });
    }
}
