using Microsoft.AspNetCore.Http;

namespace RunsStream.Protocol.EngineIO;

/// <summary>
/// Which browser origins may call the server cross-origin. "*" allows any origin without
/// credentials; a listed origin is echoed back with credentials allowed.
/// </summary>
public sealed class CorsPolicy
{
    private readonly HashSet<string> _origins;

    /// <summary>Allows <paramref name="origins"/> (trailing slashes and case ignored); "*" allows any origin.</summary>
    public CorsPolicy(IEnumerable<string> origins)
    {
        _origins = new HashSet<string>(origins.Select(o => o.Trim().TrimEnd('/')).Where(o => o.Length > 0), StringComparer.OrdinalIgnoreCase);
        AllowAny = _origins.Contains("*");
    }

    /// <summary>True when "*" is listed: any origin, without credentials.</summary>
    public bool AllowAny { get; }

    /// <summary>The origins listed, normalized.</summary>
    public IReadOnlyCollection<string> Origins => _origins;

    /// <summary>Whether <paramref name="origin"/> is listed by name (not through "*").</summary>
    public bool IsListed(string origin) => _origins.Contains(origin);

    /// <summary>Adds the CORS response headers; returns true when the request was a preflight that is now answered.</summary>
    public bool Apply(HttpContext context)
    {
        var request = context.Request;
        var response = context.Response;
        var origin = request.Headers.Origin.ToString();
        if (origin.Length == 0)
        {
            return false;
        }

        if (IsListed(origin))
        {
            response.Headers.AccessControlAllowOrigin = origin;
            response.Headers.AccessControlAllowCredentials = "true";
            response.Headers.Vary = "Origin";
        }
        else if (AllowAny)
        {
            response.Headers.AccessControlAllowOrigin = "*";
        }
        else
        {
            return false;
        }

        if (!HttpMethods.IsOptions(request.Method) || request.Headers.AccessControlRequestMethod.Count == 0)
        {
            return false;
        }

        response.Headers.AccessControlAllowMethods = "GET,HEAD,PUT,PATCH,POST,DELETE";
        var requestedHeaders = request.Headers.AccessControlRequestHeaders.ToString();
        if (requestedHeaders.Length > 0)
        {
            response.Headers.AccessControlAllowHeaders = requestedHeaders;
        }
        response.Headers.AccessControlMaxAge = "86400";
        response.StatusCode = StatusCodes.Status204NoContent;
        response.ContentLength = 0;
        return true;
    }
}
