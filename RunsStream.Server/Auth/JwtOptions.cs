using System.Security.Cryptography;
using System.Text;
using Microsoft.IdentityModel.Tokens;
using RunsStream.Server.Configuration;

namespace RunsStream.Server.Auth;

/// <summary>
/// How signed tokens are checked (issue 15): the keys, the one algorithm family they allow, and
/// the optional issuer, audience and clock skew. Null on <see cref="RunsStreamOptions.Jwt"/>
/// when no key is set: then only WS_AUTH_TOKEN opens the server, as before.
/// </summary>
/// <param name="Secret">AUTH_JWT_SECRET's UTF-8 bytes (HS256), which can also mint tokens; null for public keys.</param>
internal sealed record JwtOptions(IReadOnlyList<SecurityKey> Keys, IReadOnlyList<string> Algorithms, byte[]? Secret, string? Issuer, string? Audience, TimeSpan ClockSkew)
{
    /// <summary>An HS256 key shorter than the hash is weak, and the library refuses it.</summary>
    public const int MinSecretBytes = 32;

    /// <summary>The settings' JWT options, or null when none of the three key settings is set.</summary>
    /// <exception cref="OptionsException">A key cannot be read or more than one is set.</exception>
    public static JwtOptions? Load(Func<string, string?> get)
    {
        var secret = get("AUTH_JWT_SECRET");
        var publicKey = get("AUTH_JWT_PUBLIC_KEY");
        var jwks = get("AUTH_JWKS");
        var set = new[] { secret, publicKey, jwks }.Count(v => v is not null);
        var issuer = get("AUTH_JWT_ISSUER");
        var audience = get("AUTH_JWT_AUDIENCE");
        var skewText = get("AUTH_CLOCK_SKEW");
        if (set == 0)
        {
            if (issuer is not null || audience is not null || skewText is not null)
            {
                throw new OptionsException("AUTH_JWT_ISSUER, AUTH_JWT_AUDIENCE and AUTH_CLOCK_SKEW need a key: set AUTH_JWT_SECRET, AUTH_JWT_PUBLIC_KEY or AUTH_JWKS.");
            }
            return null;
        }
        if (set > 1)
        {
            // One key family per server: an HS256 secret beside an RSA key is how algorithm confusion starts.
            throw new OptionsException("Set only one of AUTH_JWT_SECRET, AUTH_JWT_PUBLIC_KEY and AUTH_JWKS.");
        }
        var skew = OptionsLoader.ParseDuration("AUTH_CLOCK_SKEW", skewText, TimeSpan.Zero, allowZero: true);
        if (secret is not null)
        {
            var bytes = Encoding.UTF8.GetBytes(secret);
            if (bytes.Length < MinSecretBytes)
            {
                throw new OptionsException($"AUTH_JWT_SECRET must be at least {MinSecretBytes} bytes (UTF-8) for HS256; got {bytes.Length}.");
            }
            return new JwtOptions([new SymmetricSecurityKey(bytes)], [SecurityAlgorithms.HmacSha256], bytes, issuer, audience, skew);
        }
        var (keys, algorithms) = publicKey is not null ? FromPem(publicKey) : FromJwks(jwks!);
        return new JwtOptions(keys, algorithms, null, issuer, audience, skew);
    }

    /// <summary>AUTH_JWT_PUBLIC_KEY: PEM text, or the path of a PEM file. RSA allows RS256, EC (P-256) ES256.</summary>
    private static (SecurityKey[], string[]) FromPem(string value)
    {
        var pem = value.Contains("-----BEGIN", StringComparison.Ordinal) ? value : ReadFile("AUTH_JWT_PUBLIC_KEY", value);
        try
        {
            var rsa = RSA.Create();
            try
            {
                rsa.ImportFromPem(pem);
                return ([new RsaSecurityKey(rsa)], [SecurityAlgorithms.RsaSha256]);
            }
            catch (Exception ex) when (ex is ArgumentException or CryptographicException)
            {
                rsa.Dispose(); // not RSA: try EC
            }
            var ec = ECDsa.Create();
            ec.ImportFromPem(pem);
            return ([new ECDsaSecurityKey(ec)], [SecurityAlgorithms.EcdsaSha256]);
        }
        catch (Exception ex) when (ex is ArgumentException or CryptographicException)
        {
            throw new OptionsException($"AUTH_JWT_PUBLIC_KEY holds no RSA or EC public key in PEM: {ex.Message}");
        }
    }

    /// <summary>AUTH_JWKS: a JWKS file; each key's type decides the algorithm it allows.</summary>
    private static (SecurityKey[], string[]) FromJwks(string path)
    {
        JsonWebKeySet set;
        try
        {
            set = new JsonWebKeySet(ReadFile("AUTH_JWKS", path));
        }
        catch (ArgumentException ex)
        {
            throw new OptionsException($"AUTH_JWKS {path} is not a JWKS document: {ex.Message}");
        }
        var keys = set.GetSigningKeys();
        if (keys.Count == 0)
        {
            throw new OptionsException($"AUTH_JWKS {path} has no RSA or EC signing key.");
        }
        if (set.Keys.Any(k => k.Kty == JsonWebAlgorithmsKeyTypes.Octet))
        {
            throw new OptionsException($"AUTH_JWKS {path} holds a symmetric (oct) key: use AUTH_JWT_SECRET for HS256.");
        }
        var algorithms = set.Keys.Select(k => k.Kty switch
        {
            JsonWebAlgorithmsKeyTypes.RSA => SecurityAlgorithms.RsaSha256,
            JsonWebAlgorithmsKeyTypes.EllipticCurve => SecurityAlgorithms.EcdsaSha256,
            _ => null,
        }).OfType<string>().Distinct().ToArray();
        return ([.. keys], algorithms);
    }

    private static string ReadFile(string name, string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new OptionsException($"{name} {path} cannot be read: {ex.Message}");
        }
    }
}
