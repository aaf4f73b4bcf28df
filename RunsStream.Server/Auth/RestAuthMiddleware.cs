using Microsoft.AspNetCore.Http;
using RunsStream.Server.Http;
using RunsStream.Server.Runs;

namespace RunsStream.Server.Auth;

/// <summary>
/// Every REST route under /runs needs "Authorization: Bearer &lt;token&gt;" (docs/api.md section 2),
/// and so does /metrics unless METRICS_PUBLIC=true.
/// </summary>
internal sealed class RestAuthMiddleware(RequestDelegate next, TokenValidator tokens, Configuration.RunsStreamOptions options)
{
    public async Task InvokeAsync(HttpContext context)
    {
        var path = context.Request.Path;
        if ((path.StartsWithSegments("/runs") || path.StartsWithSegments("/api")
                || (path.StartsWithSegments(Diagnostics.TelemetryRegistration.MetricsPath) && !options.Observability.MetricsPublic))
            && !HttpMethods.IsOptions(context.Request.Method)
            && !tokens.IsValid(TokenValidator.FromBearerHeader(context.Request)))
        {
            context.Response.Headers.WWWAuthenticate = "Bearer";
            await ApiErrors.WriteAsync(context, RunsErrorCode.Unauthorized, "Missing or invalid bearer token");
            return;
        }
        await next(context);
    }
}
