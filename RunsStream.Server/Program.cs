using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using RunsStream.Server;
using RunsStream.Server.Configuration;
using RunsStream.Server.Diagnostics;
using RunsStream.Server.Security;

var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
RunsStreamOptions options;
try
{
    options = OptionsLoader.Load(builder.Configuration);
}
catch (OptionsException ex)
{
    Console.Error.WriteLine($"runsstream: configuration error: {ex.Message}");
    return 2;
}

// A run executes as another user when the server is root, and as this one otherwise: either
// way it must not read this process's environment (the token), memory or open files.
ProcessHardening.Apply();

WebApplication app;
try
{
    app = RunsStreamApp.Build(options, builder);
}
catch (OptionsException ex)
{
    Console.Error.WriteLine($"runsstream: configuration error: {ex.Message}");
    return 2;
}
try
{
    await app.StartAsync();
}
catch (IOException ex)
{
    Console.Error.WriteLine($"runsstream: cannot listen on {options.Url}: {ex.Message}");
    return 1;
}

var url = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault() ?? options.Url;
var json = options.Observability.JsonLogs;
StartupBanner.Write(Console.Out, json, $"RunsStream listening on {url}");
StartupBanner.Write(Console.Out, json, options.AuthTokenGenerated
    ? $"Token (generated; set WS_AUTH_TOKEN to choose one): {options.AuthToken}"
    : "Token: from WS_AUTH_TOKEN");
StartupBanner.Write(Console.Out, json, $"Open {url}/?token={Uri.EscapeDataString(options.AuthToken)}");
await app.WaitForShutdownAsync();
return 0;
