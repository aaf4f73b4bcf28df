using System.Text.Json;
using Microsoft.AspNetCore.Http;
using RunsStream.Server.Runs;

namespace RunsStream.Server.Http;

/// <summary>Reads a JSON request body within the size limit: 413 past it, 400 when it is not strict JSON (<see cref="StrictJson"/>).</summary>
internal static class JsonBody
{
    public static async Task<JsonElement> ReadAsync(HttpContext context, long maxBytes)
    {
        if (context.Request.ContentLength > maxBytes)
        {
            throw new RunsException(RunsErrorCode.PayloadTooLarge, $"The request body is larger than {maxBytes} bytes");
        }
        var reader = context.Request.BodyReader;
        while (true)
        {
            var result = await reader.ReadAsync(context.RequestAborted);
            if (result.Buffer.Length > maxBytes)
            {
                reader.AdvanceTo(result.Buffer.End);
                throw new RunsException(RunsErrorCode.PayloadTooLarge, $"The request body is larger than {maxBytes} bytes");
            }
            if (result.IsCompleted)
            {
                try
                {
                    return StrictJson.Parse(result.Buffer);
                }
                finally
                {
                    reader.AdvanceTo(result.Buffer.End);
                }
            }
            reader.AdvanceTo(result.Buffer.Start, result.Buffer.End);
        }
    }
}
