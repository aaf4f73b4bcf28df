using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using RunsStream.Protocol.EngineIO;
using RunsStream.Protocol.Hosting;
using RunsStream.Protocol.SocketIO;
using RunsStream.Server.Auth;
using RunsStream.Server.Configuration;
using RunsStream.Server.Fleet.Routing;
using RunsStream.Server.Diagnostics;
using RunsStream.Server.Http;
using RunsStream.Server.Runs;
using RunsStream.Server.Runs.Fleet;
using RunsStream.Server.Runs.Storage;
using RunsStream.Server.Security;

namespace RunsStream.Server;

/// <summary>
/// Composes the server: Kestrel, the Socket.IO endpoint, the runs domain and the REST API.
/// The entry point for an app that embeds the server; the runs domain's in-process API is
/// <see cref="RunsService"/>, resolved from the built app's services.
/// </summary>
public static class RunsStreamApp
{
    /// <summary>Namespaces that serve the runs stream (docs/api.md section 5).</summary>
    public static readonly string[] RunNamespaces = ["/", "/runs"];

    /// <summary>
    /// Builds the server for <paramref name="options"/> (see <see cref="OptionsLoader.Load"/>) on
    /// <paramref name="builder"/>, or on a new slim builder; start it with <c>StartAsync</c>.
    /// </summary>
    /// <exception cref="OptionsException">A setting cannot be used (for example RUN_AS_USER).</exception>
    public static WebApplication Build(RunsStreamOptions options, WebApplicationBuilder? builder = null)
    {
        builder ??= WebApplication.CreateSlimBuilder();
        // A fleet node (REDIS_URL and DATABASE_URL): its sids carry its tag, for the nodes its heartbeats find.
        var nodes = new NodeDirectory(new Dictionary<string, Uri>());
        options = FleetHosting.WithRouting(options, nodes);
        RedisRunBus? bus = null;
        DataDirectoryPermissions.Apply(options.DataDirectory, options.Store == "memory" || options.Fleet is not null ? null : SqliteRunStore.FileName);
        TlsListener.Configure(builder, options);
        // Socket completions run their continuations inline instead of hopping through the
        // thread pool: a broadcast to many connections is mostly such continuations (each
        // connection's writer), and every hop costs more than the write it schedules.
        builder.WebHost.UseSockets(sockets => sockets.UnsafePreferInlineScheduling = true);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            // Bodies are limited per endpoint (REST: MaxBodyBytes, polling: maxPayload); this is the outer bound.
            kestrel.Limits.MaxRequestBodySize = Math.Max(options.MaxBodyBytes, EngineIOOptions.DefaultMaxPayload) + 1;
        });
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton(new TokenValidator(options.AuthToken, options.Jwt));
        builder.AddTelemetry(options);
        builder.Services.AddSingleton<IRunStore>(sp => options.Fleet is { } fleet
            // Fleet mode: the store every node shares (issue 14).
            ? new Runs.Storage.Postgres.PostgresRunStore(fleet.DatabaseConnectionString, sp.GetRequiredService<ILogger<Runs.Storage.Postgres.PostgresRunStore>>(), sp.GetRequiredService<TimeProvider>())
            : options.Store == "memory"
            ? new InMemoryRunStore()
            : new SqliteRunStore(options.DataDirectory, sp.GetRequiredService<ILogger<SqliteRunStore>>(), sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<RunsMetrics>()));
        // RunsService is public for embedders, its constructor is not: built here, from the store.
        builder.Services.AddSingleton(sp => new RunsService(options, sp.GetRequiredService<IRunStore>(), sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<RunsService>>(),
            new RunsTelemetry(sp.GetRequiredService<RunsMetrics>())));
        builder.Services.AddSingleton<RunsSocketHandlers>();
        builder.Services.AddRouting();
        builder.Services.AddSessionRouting(options);
        var socketIO = new SocketIOOptions
        {
            JsonOptions = ApiJson.SocketOptions(),
            Engine = new EngineIOOptions
            {
                PingInterval = options.PingInterval,
                PingTimeout = options.PingTimeout,
                MaxBufferedBytes = options.MaxBufferedBytes,
                AllowEIO3 = options.AllowEIO3,
                Cors = options.CorsOrigins.Count > 0 ? new CorsPolicy(options.CorsOrigins) : null,
                SidPrefix = options.Routing?.SidPrefix ?? "",
            },
        };
        if (FleetHosting.AdapterFactory(options, () => bus!) is { } adapters)
        {
            socketIO = socketIO with { AdapterFactory = adapters }; // rooms across the fleet's nodes
        }
        builder.Services.AddSocketIO(socketIO);
        // Registered after AddSocketIO so that it stops first: runs are stopped and their last
        // events sent while the clients are still connected, then the sessions are closed.
        builder.Services.AddHostedService<RunsLifetime>();
        builder.Services.AddFleet(options, nodes);
        if (options.CorsOrigins.Count > 0)
        {
            builder.Services.AddCors(cors => cors.AddDefaultPolicy(policy =>
            {
                policy.AllowAnyHeader().AllowAnyMethod();
                if (options.CorsOrigins.Contains("*"))
                {
                    policy.SetIsOriginAllowed(_ => true);
                    var listed = options.CorsOrigins.Where(o => o != "*").ToArray();
                    if (listed.Length == 0)
                    {
                        policy.AllowAnyOrigin();
                    }
                    else
                    {
                        policy.WithOrigins(listed).AllowCredentials();
                    }
                }
                else
                {
                    policy.WithOrigins(options.CorsOrigins.ToArray()).AllowCredentials();
                }
            }));
        }

        var app = builder.Build();
        if (options.Fleet is not null)
        {
            bus = app.Services.GetRequiredService<RedisRunBus>();
            app.Services.GetRequiredService<FleetNode>(); // joins the runs domain to the fleet before any request
        }
        var io = app.Services.GetRequiredService<SocketIOServer>();
        var handlers = app.Services.GetRequiredService<RunsSocketHandlers>();
        foreach (var name in RunNamespaces)
        {
            handlers.Attach(io.Of(name));
        }

        app.UseMiddleware<ErrorResponseMiddleware>();
        TlsListener.UseRedirect(app, options);
        // Before everything that could answer an Engine.IO request: another node's session is served there.
        app.UseSessionRouting(options, io);
        // The built web terminal (RunsStream.Web, bundled into wwwroot); it needs no token.
        var webRoot = options.WebRoot ?? Path.Combine(AppContext.BaseDirectory, "wwwroot");
        if (Directory.Exists(webRoot))
        {
            var files = new Microsoft.Extensions.FileProviders.PhysicalFileProvider(Path.GetFullPath(webRoot));
            app.UseDefaultFiles(new DefaultFilesOptions { FileProvider = files });
            app.UseStaticFiles(new StaticFileOptions { FileProvider = files });
        }
        if (options.CorsOrigins.Count > 0)
        {
            app.UseCors();
        }
        app.UseRouting();
        app.UseMiddleware<RestAuthMiddleware>();
        app.MapSocketIO(io);
        app.MapRunsEndpoints();
        app.MapMetrics();
        return app;
    }
}
