using System.Text.Json;
using Microsoft.AspNetCore.Http;
using RunsStream.Server.Runs;

namespace RunsStream.Server.Http;

/// <summary>Writes <c>{"error": {"code": "...", "message": "..."}}</c> (docs/api.md section 4).</summary>
internal static class ApiErrors
{
    public static IResult Result(RunsErrorCode code, string message) =>
        Results.Json(new ErrorEnvelope(new ErrorBody(code.ToWire(), message)), ApiJson.Context.ErrorEnvelope, statusCode: code.HttpStatus());

    public static async Task WriteAsync(HttpContext context, RunsErrorCode code, string message)
    {
        if (context.Response.HasStarted)
        {
            return;
        }
        context.Response.StatusCode = code.HttpStatus();
        context.Response.ContentType = "application/json; charset=utf-8";
        await context.Response.WriteAsync(JsonSerializer.Serialize(new ErrorEnvelope(new ErrorBody(code.ToWire(), message)), ApiJson.Context.ErrorEnvelope));
    }
}
