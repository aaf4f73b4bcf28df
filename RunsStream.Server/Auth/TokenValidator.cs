using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace RunsStream.Server.Auth;

/// <summary>
/// Turns a presented token into a <see cref="RunsPrincipal"/>: the shared WS_AUTH_TOKEN (checked
/// in constant time: both sides are hashed first, so neither its content nor its length leaks
/// through timing) is the admin; anything else must be a JWT that <see cref="JwtOptions"/>
/// accepts, checked by Microsoft's JsonWebTokenHandler with the algorithms pinned to the key's.
/// </summary>
internal sealed class TokenValidator
{
    /// <summary>The refusal for a missing, malformed or badly signed token.</summary>
    public const string InvalidMessage = "Missing or invalid bearer token";

    /// <summary>The refusal for a well-signed token past its exp; the web terminal asks for a new one on it.</summary>
    public const string ExpiredMessage = "Token expired";

    private readonly byte[] _expected;
    private readonly JsonWebTokenHandler _handler = new();
    private readonly TokenValidationParameters? _parameters;

    public TokenValidator(string token, JwtOptions? jwt = null)
    {
        _expected = SHA256.HashData(Encoding.UTF8.GetBytes(token));
        Jwt = jwt;
        if (jwt is not null)
        {
            _parameters = new TokenValidationParameters
            {
                IssuerSigningKeys = jwt.Keys,
                // Pinned: "none", and an HS256 token signed with the public key's bytes, fail here.
                ValidAlgorithms = jwt.Algorithms,
                ValidateIssuerSigningKey = true,
                RequireSignedTokens = true,
                RequireExpirationTime = true,
                ValidateLifetime = true,
                // The library's default of 5 minutes would keep an expired socket open for minutes.
                ClockSkew = jwt.ClockSkew,
                ValidateIssuer = jwt.Issuer is not null,
                ValidIssuer = jwt.Issuer,
                ValidateAudience = jwt.Audience is not null,
                ValidAudience = jwt.Audience,
            };
        }
    }

    public JwtOptions? Jwt { get; }

    /// <summary>True for the shared WS_AUTH_TOKEN.</summary>
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

    /// <summary>The principal of <paramref name="candidate"/>, or why it is refused.</summary>
    public async ValueTask<AuthResult> AuthenticateAsync(string? candidate)
    {
        if (IsValid(candidate))
        {
            return new AuthResult(RunsPrincipal.Admin, null);
        }
        if (_parameters is null || string.IsNullOrEmpty(candidate) || candidate.Length > MaxTokenLength)
        {
            return new AuthResult(null, InvalidMessage);
        }
        var result = await _handler.ValidateTokenAsync(candidate, _parameters);
        if (!result.IsValid)
        {
            return new AuthResult(null, result.Exception is SecurityTokenExpiredException ? ExpiredMessage : InvalidMessage);
        }
        return FromToken((JsonWebToken)result.SecurityToken);
    }

    /// <summary>A bound on what is parsed: a token is a header line, not a body.</summary>
    private const int MaxTokenLength = 16 * 1024;

    private static AuthResult FromToken(JsonWebToken token)
    {
        var user = token.Subject;
        if (string.IsNullOrWhiteSpace(user))
        {
            return new AuthResult(null, "Token has no sub (the user)");
        }
        if (!TryReadWords(token, "workspaces", out var workspaces))
        {
            return new AuthResult(null, "Token has no workspaces claim");
        }
        TryReadWords(token, "scope", out var scopeWords);
        var scopes = RunScopeNames.Parse(scopeWords);
        var all = workspaces.Contains("*");
        return new AuthResult(new RunsPrincipal(user, all ? null : workspaces.ToHashSet(StringComparer.Ordinal), scopes, new DateTimeOffset(token.ValidTo, TimeSpan.Zero)), null);
    }

    /// <summary>A claim as words: a JSON array of strings, or one string split on spaces and commas.</summary>
    private static bool TryReadWords(JsonWebToken token, string claim, out List<string> words)
    {
        words = [];
        if (token.TryGetPayloadValue<JsonElement>(claim, out var element))
        {
            if (element.ValueKind == JsonValueKind.Array)
            {
                words.AddRange(element.EnumerateArray().Where(e => e.ValueKind == JsonValueKind.String).Select(e => e.GetString()!));
            }
            else if (element.ValueKind == JsonValueKind.String)
            {
                words.AddRange(element.GetString()!.Split([' ', ','], StringSplitOptions.RemoveEmptyEntries));
            }
        }
        else if (token.TryGetPayloadValue<string>(claim, out var text))
        {
            words.AddRange(text.Split([' ', ','], StringSplitOptions.RemoveEmptyEntries));
        }
        else if (token.TryGetPayloadValue<string[]>(claim, out var array))
        {
            words.AddRange(array);
        }
        return words.Count > 0;
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

/// <summary>A principal, or the message that refuses the token.</summary>
internal readonly record struct AuthResult(RunsPrincipal? Principal, string? Error);
