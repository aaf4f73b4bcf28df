using Microsoft.AspNetCore.Http;
using RunsStream.Server.Http;
using RunsStream.Server.Runs;

namespace RunsStream.Server.Auth;

/// <summary>
/// Every REST route under /runs and /auth needs "Authorization: Bearer &lt;token&gt;" (docs/api.md
/// section 2), and so does /metrics unless METRICS_PUBLIC=true; the principal it makes is kept
/// in HttpContext.Items for <see cref="RunAccess"/>.
/// </summary>
internal sealed class RestAuthMiddleware(RequestDelegate next, TokenValidator tokens, Configuration.RunsStreamOptions options)
{
    public async Task InvokeAsync(HttpContext context)
    {
        var path = context.Request.Path;
        if ((path.StartsWithSegments("/runs") || path.StartsWithSegments("/api") || path.StartsWithSegments("/auth")
                || (path.StartsWithSegments(Diagnostics.TelemetryRegistration.MetricsPath) && !options.Observability.MetricsPublic))
            && !HttpMethods.IsOptions(context.Request.Method))
        {
            var result = await tokens.AuthenticateAsync(TokenValidator.FromBearerHeader(context.Request));
            if (result.Principal is null)
            {
                context.Response.Headers.WWWAuthenticate = result.Error == TokenValidator.ExpiredMessage
                    ? "Bearer error=\"invalid_token\", error_description=\"The token expired\""
                    : "Bearer";
                await ApiErrors.WriteAsync(context, RunsErrorCode.Unauthorized, result.Error!);
                return;
            }
            context.Items[RunsPrincipal.ItemKey] = result.Principal;
        }
        await next(context);
    }
}
