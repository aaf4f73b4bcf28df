using Microsoft.AspNetCore.Http;

namespace RunsStream.Protocol.EngineIO;

/// <summary>What the request that opened a session carried, kept for the layers above.</summary>
public sealed record HandshakeRequest(
    IReadOnlyDictionary<string, string> Query,
    IReadOnlyDictionary<string, string> Headers,
    string? RemoteAddress,
    string Url,
    bool Secure,
    DateTimeOffset Issued)
{
    /// <summary>Captures what the layers above need of <paramref name="context"/>, received at <paramref name="now"/>.</summary>
    public static HandshakeRequest From(HttpContext context, DateTimeOffset now)
    {
        var query = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in context.Request.Query)
        {
            query[key] = value.ToString();
        }
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (key, value) in context.Request.Headers)
        {
            headers[key] = value.ToString();
        }
        return new HandshakeRequest(
            query,
            headers,
            context.Connection.RemoteIpAddress?.ToString(),
            context.Request.Path + context.Request.QueryString,
            context.Request.IsHttps,
            now);
    }
}
