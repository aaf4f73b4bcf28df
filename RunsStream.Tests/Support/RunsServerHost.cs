using System.Net.Http.Headers;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using RunsStream.Server;
using RunsStream.Server.Configuration;
using RunsStream.Server.Runs;

namespace RunsStream.Tests.Support;

/// <summary>
/// The real RunsStream server (the same composition as Program.cs) on a free loopback port,
/// with its own data directory, stopped and deleted with the test.
/// </summary>
public sealed class RunsServerHost : IRunsServer, IAsyncDisposable
{
    public const string Token = "test-token-0123456789";

    private readonly WebApplication _app;

    private RunsServerHost(WebApplication app, string url, RunsStreamOptions options, string dataDirectory)
    {
        _app = app;
        Url = url;
        Options = options;
        DataDirectory = dataDirectory;
        Http = new HttpClient { BaseAddress = new Uri(url), Timeout = TimeSpan.FromSeconds(120) };
        Http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token);
    }

    public string Url { get; }

    public RunsStreamOptions Options { get; }

    public string DataDirectory { get; }

    /// <summary>An HttpClient that sends the bearer token.</summary>
    public HttpClient Http { get; }

    public RunsService Runs => _app.Services.GetRequiredService<RunsService>();

    /// <summary>The app's services (the Socket.IO server, the fleet routing's forwarder, ...).</summary>
    public IServiceProvider Services => _app.Services;

    /// <param name="configureBuilder">Adds to the host's services before the app is built (e.g. a test's trace exporter).</param>
    public static async Task<RunsServerHost> StartAsync(Func<RunsStreamOptions, RunsStreamOptions>? configure = null, Action<WebApplicationBuilder>? configureBuilder = null)
    {
        var dataDirectory = Path.Combine(Path.GetTempPath(), "runsstream-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dataDirectory);
        var options = new RunsStreamOptions
        {
            Host = "127.0.0.1",
            Port = 0,
            AuthToken = Token,
            DataDirectory = dataDirectory,
            WorkspaceRoot = Path.Combine(dataDirectory, "workspaces"),
            MaxConcurrentRuns = 4,
            CancelGrace = TimeSpan.FromSeconds(5),
        };
        options = configure?.Invoke(options) ?? options;
        if (FleetUnderTest.Enabled && options.Fleet is null && options.Store != "memory")
        {
            return await FleetUnderTest.StartAsync(options, dataDirectory, configureBuilder);
        }
        return await StartBuiltAsync(options, dataDirectory, configureBuilder);
    }

    /// <summary>The server for exactly <paramref name="options"/>.</summary>
    internal static async Task<RunsServerHost> StartBuiltAsync(RunsStreamOptions options, string dataDirectory, Action<WebApplicationBuilder>? configureBuilder = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        configureBuilder?.Invoke(builder);
        var app = RunsStreamApp.Build(options, builder);
        await app.StartAsync().WaitAsync(TimeSpan.FromSeconds(60));
        var url = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new RunsServerHost(app, url, options, dataDirectory);
    }

    public async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string? body = null, bool withToken = true, string contentType = "application/json")
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8, contentType);
        }
        if (!withToken)
        {
            request.Headers.Authorization = null;
            using var anonymous = new HttpClient { BaseAddress = new Uri(Url), Timeout = TimeSpan.FromSeconds(60) };
            return await anonymous.SendAsync(request);
        }
        return await Http.SendAsync(request);
    }

    /// <summary>What else this host stops with itself (the fleet under test's other node and services).</summary>
    internal List<IAsyncDisposable> Companions { get; } = [];

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await using var companions = new CompanionsDisposer(Companions);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            await _app.StopAsync(cts.Token);
        }
        finally
        {
            await _app.DisposeAsync();
            try
            {
                Directory.Delete(DataDirectory, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    /// <summary>Stops the companions after the host (in reverse order), whatever happens.</summary>
    private sealed class CompanionsDisposer(List<IAsyncDisposable> companions) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            for (var i = companions.Count - 1; i >= 0; i--)
            {
                await companions[i].DisposeAsync();
            }
        }
    }
}
