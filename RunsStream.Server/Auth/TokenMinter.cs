using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace RunsStream.Server.Auth;

/// <summary>Signs tokens with the configured AUTH_JWT_SECRET (HS256): for `RunsStream.Server token` and for tests.</summary>
internal static class TokenMinter
{
    /// <summary>A signed token for <paramref name="user"/>, valid from <paramref name="now"/> for <paramref name="lifetime"/>.</summary>
    public static string Mint(byte[] secret, string user, IReadOnlyCollection<string> workspaces, string scopes, TimeSpan lifetime, DateTimeOffset now, string? issuer = null, string? audience = null)
    {
        var descriptor = new SecurityTokenDescriptor
        {
            Claims = new Dictionary<string, object>
            {
                [JwtRegisteredClaimNames.Sub] = user,
                ["workspaces"] = workspaces.ToArray(),
                ["scope"] = scopes,
            },
            IssuedAt = now.UtcDateTime,
            NotBefore = now.UtcDateTime,
            Expires = (now + lifetime).UtcDateTime,
            Issuer = issuer,
            Audience = audience,
            SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(secret), SecurityAlgorithms.HmacSha256),
        };
        return new JsonWebTokenHandler().CreateToken(descriptor);
    }
}
