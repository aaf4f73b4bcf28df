using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace RunsStream.Tests.Support;

/// <summary>A Kestrel app on a free loopback port, stopped and disposed with the test.</summary>
public sealed class TestServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private TestServer(WebApplication app, Uri baseUri)
    {
        _app = app;
        BaseUri = baseUri;
        Http = new HttpClient { BaseAddress = baseUri, Timeout = TimeSpan.FromSeconds(30) };
    }

    public Uri BaseUri { get; }

    public string Url => BaseUri.ToString().TrimEnd('/');

    public string WebSocketUrl => "ws" + Url[4..];

    public IServiceProvider Services => _app.Services;

    /// <summary>An HttpClient on <see cref="BaseUri"/>, disposed with the server.</summary>
    public HttpClient Http { get; }

    /// <summary>Builds the app with <paramref name="configure"/> and starts it on 127.0.0.1 with a free port.</summary>
    public static async Task<TestServer> StartAsync(Action<WebApplicationBuilder> configureServices, Action<WebApplication> configureApp)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Services.AddRouting();
        configureServices(builder);
        var app = builder.Build();
        app.UseRouting();
        configureApp(app);
        await app.StartAsync().WaitAsync(TimeSpan.FromSeconds(60));
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new TestServer(app, new Uri(address));
    }

    /// <summary>Starts an already built app (for example the compliance host) and reads its port.</summary>
    public static async Task<TestServer> StartAsync(WebApplication app)
    {
        await app.StartAsync().WaitAsync(TimeSpan.FromSeconds(60));
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new TestServer(app, new Uri(address.Replace("localhost", "127.0.0.1")));
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            await _app.StopAsync(cts.Token);
        }
        finally
        {
            await _app.DisposeAsync();
        }
    }
}
