using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using RunsStream.ComplianceServer;
using RunsStream.Protocol.EngineIO;
using RunsStream.Protocol.EngineIO.Parser;
using RunsStream.Protocol.Hosting;
using RunsStream.Protocol.SocketIO;

namespace RunsStream.Tests.Support;

/// <summary>
/// Lets a test wait until the Engine.IO handler has taken a request and is waiting inside it
/// (a held poll, a POST waiting for its body), instead of guessing with a delay. The signal
/// comes when the endpoint's synchronous part has run, that is when it first awaits.
/// </summary>
public sealed class RawRequestTap
{
    private readonly List<(Func<HttpRequest, bool> Match, TaskCompletionSource Entered)> _waiters = new();

    /// <summary>Completes when the next request matching <paramref name="match"/> is inside the endpoint.</summary>
    public Task Expect(Func<HttpRequest, bool> match)
    {
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_waiters)
        {
            _waiters.Add((match, entered));
        }
        return entered.Task;
    }

    /// <summary>Completes when the next GET of session <paramref name="sid"/> is inside the endpoint.</summary>
    public Task ExpectPoll(string sid) => Expect(r => HttpMethods.IsGet(r.Method) && r.Query["sid"] == sid);

    public async Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        TaskCompletionSource? entered = null;
        lock (_waiters)
        {
            var index = _waiters.FindIndex(w => w.Match(context.Request));
            if (index >= 0)
            {
                entered = _waiters[index].Entered;
                _waiters.RemoveAt(index);
            }
        }
        var handling = next(context);
        entered?.TrySetResult();
        await handling;
    }
}

/// <summary>
/// Hosts for the raw protocol tests: the compliance host (short heartbeat, as the official
/// suites expect) and a relaxed host with the same echo behaviour but a heartbeat long enough
/// that it never interferes with what a test is looking at.
/// </summary>
public sealed class RawHost : IAsyncDisposable
{
    private readonly EngineServer? _echo;

    private RawHost(TestServer server, RawRequestTap tap, EngineServer? echo)
    {
        Server = server;
        Tap = tap;
        _echo = echo;
    }

    public TestServer Server { get; }

    public RawRequestTap Tap { get; }

    public SocketIOServer IO => Server.Services.GetRequiredService<SocketIOServer>();

    /// <summary>The raw Engine.IO echo server at /engine.io/ (relaxed host only).</summary>
    public EngineServer Echo => _echo ?? throw new InvalidOperationException("The compliance host's echo server is not reachable.");

    public Uri BaseUri => Server.BaseUri;

    /// <summary>An HttpClient on <see cref="BaseUri"/>, disposed with the host.</summary>
    public HttpClient Http => Server.Http;

    /// <summary>ComplianceApp.Build: pingInterval 300, pingTimeout 200, connectTimeout 1000, CORS "*".</summary>
    public static async Task<RawHost> StartComplianceAsync(Action<SocketIOServer>? configure = null)
    {
        var app = ComplianceApp.Build("http://127.0.0.1:0");
        var tap = new RawRequestTap();
        app.Use(tap.InvokeAsync);
        configure?.Invoke(app.Services.GetRequiredService<SocketIOServer>());
        return new RawHost(await TestServer.StartAsync(app), tap, null);
    }

    /// <summary>
    /// Socket.IO at /socket.io/ ("/" and "/custom" echo as in the compliance host) and a raw
    /// Engine.IO echo at /engine.io/, with a 60 s heartbeat unless <paramref name="configure"/> says otherwise.
    /// With <paramref name="webSocketsBeforeHttp"/>, WebSocket connections are taken at the
    /// connection level (<c>UseSocketIOWebSockets</c>, as the runs server does); otherwise they
    /// are upgraded HTTP requests. With <paramref name="time"/> (a manual clock), both servers'
    /// heartbeats and timeouts run on it.
    /// </summary>
    public static async Task<RawHost> StartRelaxedAsync(Func<SocketIOOptions, SocketIOOptions>? configure = null, Action<SocketIOServer>? configureIO = null, bool webSocketsBeforeHttp = false, TimeProvider? time = null)
    {
        var tap = new RawRequestTap();
        var echo = new EngineServer(RelaxedEngineOptions(), session => new EchoHandler(session), time: time);
        var server = await TestServer.StartAsync(
            builder =>
            {
                if (time is not null)
                {
                    builder.Services.AddSingleton(time);
                }
                var options = new SocketIOOptions
                {
                    ConnectTimeout = TimeSpan.FromSeconds(30),
                    ShutdownTimeout = TimeSpan.FromMilliseconds(500),
                    Engine = RelaxedEngineOptions(),
                    // On a manual clock the connection handlers' 1 ms delay would wait for a test
                    // to advance it; the tests that use one are about other timers.
                    ConnectionHandlerDelay = time is null ? TimeSpan.FromMilliseconds(SocketIOOptions.DefaultConnectionHandlerDelayMs) : TimeSpan.Zero,
                };
                builder.Services.AddSocketIO(configure?.Invoke(options) ?? options);
                if (webSocketsBeforeHttp)
                {
                    builder.WebHost.ConfigureKestrel(kestrel => kestrel.ConfigureEndpointDefaults(listen =>
                        listen.UseSocketIOWebSockets().UseEngineIOWebSockets("/engine.io/", echo)));
                }
            },
            app =>
            {
                app.Use(tap.InvokeAsync);
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
                configureIO?.Invoke(io);
                app.MapSocketIO();
                app.MapEngineIO("/engine.io", echo);
            });
        return new RawHost(server, tap, echo);
    }

    public static EngineIOOptions RelaxedEngineOptions() => new()
    {
        PingInterval = TimeSpan.FromSeconds(60),
        PingTimeout = TimeSpan.FromSeconds(60),
        MaxPayload = 1_000_000,
        Cors = new CorsPolicy(["*"]),
    };

    public async ValueTask DisposeAsync()
    {
        try
        {
            await Server.DisposeAsync();
        }
        finally
        {
            if (_echo is not null)
            {
                await _echo.DisposeAsync();
            }
        }
    }

    /// <summary>Sends every message back as it came, text or binary (as the compliance host's echo).</summary>
    private sealed class EchoHandler(EngineSession session) : IEngineSessionHandler
    {
        public void OnMessage(EnginePacket packet) =>
            session.Send(packet.IsBinary ? EngineFrame.Binary(packet.Data.Span) : EngineFrame.Message(packet.Data.Span));

        public void OnClose(string reason)
        {
        }
    }
}
