using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using RunsStream.Server;
using RunsStream.Server.Auth;
using RunsStream.Server.Configuration;
using RunsStream.Server.Diagnostics;
using RunsStream.Server.Security;

var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = args.Length > 0 && args[0] == TokenCommand.Name ? [] : args, ContentRootPath = AppContext.BaseDirectory });
if (args.Length > 0 && args[0] == TokenCommand.Name)
{
    // `RunsStream.Server token ...` mints a token with the configured secret (scripts/token).
    return TokenCommand.Run(args[1..], builder.Configuration, Console.Out, Console.Error);
}
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
if (options.Jwt is not null)
{
    StartupBanner.Write(Console.Out, json, "Signed tokens: accepted (mint one with scripts/token); WS_AUTH_TOKEN is the admin token");
}
StartupBanner.Write(Console.Out, json, options.AuthTokenGenerated
    ? $"Token (generated; set WS_AUTH_TOKEN to choose one): {options.AuthToken}"
    : "Token: from WS_AUTH_TOKEN");
StartupBanner.Write(Console.Out, json, $"Open {url}/?token={Uri.EscapeDataString(options.AuthToken)}");
await app.WaitForShutdownAsync();
return 0;
