using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace RunsStream.Protocol.EngineIO;

/// <summary>The reference server's JSON error answer: <c>{"code": n, "message": "..."}</c>.</summary>
internal static class EngineResponses
{
    public static async Task WriteErrorAsync(HttpContext context, EngineErrorCode code)
    {
        if (context.Response.HasStarted)
        {
            return;
        }
        context.Response.StatusCode = EngineErrors.StatusCode(code);
        context.Response.ContentType = "application/json";
        var body = JsonSerializer.SerializeToUtf8Bytes(new ErrorBody((int)code, EngineErrors.Message(code)), EngineJsonContext.Default.ErrorBody);
        context.Response.ContentLength = body.Length;
        try
        {
            await context.Response.Body.WriteAsync(body);
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException)
        {
        }
    }

    /// <summary>The same answer as a complete HTTP/1.1 response that closes the connection.</summary>
    public static byte[] RawError(EngineErrorCode code)
    {
        var body = JsonSerializer.SerializeToUtf8Bytes(new ErrorBody((int)code, EngineErrors.Message(code)), EngineJsonContext.Default.ErrorBody);
        var status = EngineErrors.StatusCode(code);
        var head = System.Text.Encoding.ASCII.GetBytes(
            $"HTTP/1.1 {status} {(status == 403 ? "Forbidden" : "Bad Request")}\r\n" +
            "Content-Type: application/json\r\n" +
            $"Content-Length: {body.Length}\r\n" +
            "Connection: close\r\n\r\n");
        return [.. head, .. body];
    }
}

internal sealed record ErrorBody(int Code, string Message);

[System.Text.Json.Serialization.JsonSourceGenerationOptions(PropertyNamingPolicy = System.Text.Json.Serialization.JsonKnownNamingPolicy.CamelCase)]
[System.Text.Json.Serialization.JsonSerializable(typeof(ErrorBody))]
internal sealed partial class EngineJsonContext : System.Text.Json.Serialization.JsonSerializerContext;
