using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace RunsStream.Server.Auth;

/// <summary>
/// Checks the shared WS_AUTH_TOKEN in constant time: both sides are hashed first, so neither
/// the content nor the length of the token leaks through timing.
/// </summary>
internal sealed class TokenValidator(string token)
{
    private readonly byte[] _expected = SHA256.HashData(Encoding.UTF8.GetBytes(token));

    public bool IsValid(string? candidate)
    {
        if (string.IsNullOrEmpty(candidate))
        {
            return false;
        }
        Span<byte> actual = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(candidate), actual);
        return CryptographicOperations.FixedTimeEquals(actual, _expected);
    }

    /// <summary>The token of an "Authorization: Bearer &lt;token&gt;" header, or null.</summary>
    public static string? FromBearerHeader(HttpRequest request) => FromBearer(request.Headers.Authorization.ToString());

    public static string? FromBearer(string? header)
    {
        if (string.IsNullOrWhiteSpace(header))
        {
            return null;
        }
        const string prefix = "Bearer ";
        return header.StartsWith(prefix, StringComparison.OrdinalIgnoreCase) ? header[prefix.Length..].Trim() : null;
    }
}
