using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using RunsStream.Server.Runs;

namespace RunsStream.Server.Http;

/// <summary>
/// Gives every error a JSON body: an unknown route 404, a known route with the wrong method
/// 405, an exception 500; a domain refusal its own code. Nothing crashes the server.
/// </summary>
internal sealed partial class ErrorResponseMiddleware(RequestDelegate next, ILogger<ErrorResponseMiddleware> logger)
{
    public async Task InvokeAsync(HttpContext context)
    {
        try
        {
            await next(context);
        }
        catch (RunsException ex)
        {
            await ApiErrors.WriteAsync(context, ex.Code, ex.Message);
            return;
        }
        catch (BadHttpRequestException ex)
        {
            var code = ex.StatusCode == StatusCodes.Status413PayloadTooLarge ? RunsErrorCode.PayloadTooLarge : RunsErrorCode.BadRequest;
            await ApiErrors.WriteAsync(context, code, ex.Message);
            return;
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            return;
        }
        catch (Exception ex)
        {
            LogUnhandled(logger, context.Request.Method, context.Request.Path, ex);
            await ApiErrors.WriteAsync(context, RunsErrorCode.Internal, "Internal server error");
            return;
        }

        if (context.Response.HasStarted || context.Response.ContentLength > 0 || context.Response.ContentType is not null)
        {
            return;
        }
        switch (context.Response.StatusCode)
        {
            case StatusCodes.Status404NotFound:
                await ApiErrors.WriteAsync(context, RunsErrorCode.NotFound, $"No route for {context.Request.Method} {context.Request.Path}");
                break;
            case StatusCodes.Status405MethodNotAllowed:
                await ApiErrors.WriteAsync(context, RunsErrorCode.MethodNotAllowed, $"{context.Request.Method} is not allowed on {context.Request.Path}");
                break;
        }
    }

    [LoggerMessage(4001, LogLevel.Error, "Unhandled error in {Method} {Path}")]
    private static partial void LogUnhandled(ILogger logger, string method, string path, Exception exception);
}
