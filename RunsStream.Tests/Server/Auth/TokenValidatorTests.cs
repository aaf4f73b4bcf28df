using System.Security.Cryptography;
using System.Text;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using RunsStream.Server.Auth;
using RunsStream.Server.Configuration;

namespace RunsStream.Tests.Server.Auth;

/// <summary>
/// Issue 15 item 1 against the real JsonWebTokenHandler: signatures, pinned algorithms (alg none,
/// HS/RS confusion), exp and nbf to the second unless AUTH_CLOCK_SKEW, iss and aud when set.
/// </summary>
[TestFixture]
public sealed class TokenValidatorTests
{
    private const string Admin = "shared-admin-token";

    private static TokenValidator Hs(TimeSpan? skew = null, string? issuer = null, string? audience = null) => new(Admin, AuthFixture.Jwt(skew, issuer, audience));

    private static TokenValidator FromSettings(params (string Name, string Value)[] settings) =>
        new(Admin, JwtOptions.Load(name => settings.FirstOrDefault(s => s.Name == name).Value));

    private static string Sign(SigningCredentials credentials, Dictionary<string, object>? claims = null, DateTimeOffset? notBefore = null, DateTimeOffset? expires = null, string? issuer = null, string? audience = null)
    {
        var now = DateTimeOffset.UtcNow;
        return new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(new SecurityTokenDescriptor
        {
            Claims = claims ?? new Dictionary<string, object> { ["sub"] = "alice", ["workspaces"] = new[] { "a" }, ["scope"] = "runs:read" },
            NotBefore = (notBefore ?? now.AddMinutes(-1)).UtcDateTime,
            Expires = (expires ?? now.AddHours(1)).UtcDateTime,
            Issuer = issuer,
            Audience = audience,
            SigningCredentials = credentials,
        });
    }

    private static SigningCredentials HsCredentials(byte[]? key = null) => new(new SymmetricSecurityKey(key ?? AuthFixture.SecretBytes), SecurityAlgorithms.HmacSha256);

    [Test]
    public async Task A_signed_token_gives_its_user_workspaces_scopes_and_expiry()
    {
        var expires = DateTimeOffset.UtcNow.AddMinutes(10);
        var token = Sign(HsCredentials(), new Dictionary<string, object> { ["sub"] = "alice", ["workspaces"] = new[] { "a", "b" }, ["scope"] = "runs:read admin unknown:scope" }, expires: expires);
        var principal = (await Hs().AuthenticateAsync(token)).Principal!;
        Assert.That(principal.User, Is.EqualTo("alice"));
        Assert.That(principal.Workspaces, Is.EquivalentTo(new[] { "a", "b" }));
        Assert.That(principal.Has(RunScopes.Admin), Is.True);
        Assert.That(principal.ExpiresAt!.Value.ToUnixTimeSeconds(), Is.EqualTo(expires.ToUnixTimeSeconds()));
        var all = Sign(HsCredentials(), new Dictionary<string, object> { ["sub"] = "root", ["workspaces"] = "*", ["scope"] = "runs:read" });
        Assert.That((await Hs().AuthenticateAsync(all)).Principal!.AllWorkspaces, Is.True);
    }

    [Test]
    public async Task The_shared_token_is_the_admin_and_a_wrong_one_is_refused()
    {
        Assert.That((await Hs().AuthenticateAsync(Admin)).Principal, Is.SameAs(RunsPrincipal.Admin));
        Assert.That((await Hs().AuthenticateAsync("shared-admin-tokeN")).Error, Is.EqualTo(TokenValidator.InvalidMessage));
        Assert.That((await new TokenValidator(Admin).AuthenticateAsync(Sign(HsCredentials()))).Principal, Is.Null, "without a key no JWT is accepted");
    }

    [Test]
    public async Task A_tampered_payload_or_signature_is_refused()
    {
        var token = Sign(HsCredentials());
        var parts = token.Split('.');
        var payload = Encoding.UTF8.GetString(Base64UrlEncoder.DecodeBytes(parts[1])).Replace("\"a\"", "\"b\"");
        var widened = $"{parts[0]}.{Base64UrlEncoder.Encode(payload)}.{parts[2]}";
        Assert.That((await Hs().AuthenticateAsync(widened)).Principal, Is.Null, "workspace a changed to b, signature kept");
        var signature = parts[2].ToCharArray();
        signature[5] = signature[5] == 'A' ? 'B' : 'A';
        Assert.That((await Hs().AuthenticateAsync($"{parts[0]}.{parts[1]}.{new string(signature)}")).Principal, Is.Null);
        Assert.That((await Hs().AuthenticateAsync(Sign(HsCredentials(Encoding.UTF8.GetBytes("another-secret-of-at-least-32-bytes-xx"))))).Principal, Is.Null, "another secret");
        Assert.That((await Hs().AuthenticateAsync(token)).Principal, Is.Not.Null, "the untouched token is fine");
    }

    [Test]
    public async Task An_unsigned_alg_none_token_is_refused()
    {
        var header = Base64UrlEncoder.Encode("{\"alg\":\"none\",\"typ\":\"JWT\"}");
        var exp = DateTimeOffset.UtcNow.AddHours(1).ToUnixTimeSeconds();
        var payload = Base64UrlEncoder.Encode($"{{\"sub\":\"mallory\",\"workspaces\":\"*\",\"scope\":\"admin\",\"exp\":{exp}}}");
        Assert.That((await Hs().AuthenticateAsync($"{header}.{payload}.")).Error, Is.EqualTo(TokenValidator.InvalidMessage));
        Assert.That((await Hs().AuthenticateAsync($"{header}.{payload}")).Error, Is.EqualTo(TokenValidator.InvalidMessage));
    }

    [Test]
    public async Task HS256_signed_with_the_RSA_public_key_is_refused_by_an_RS256_server()
    {
        using var rsa = RSA.Create(2048);
        var publicPem = rsa.ExportSubjectPublicKeyInfoPem();
        var validator = FromSettings(("AUTH_JWT_PUBLIC_KEY", publicPem));
        var rs256 = Sign(new SigningCredentials(new RsaSecurityKey(rsa), SecurityAlgorithms.RsaSha256));
        Assert.That((await validator.AuthenticateAsync(rs256)).Principal, Is.Not.Null, "the real RS256 token");
        // The classic confusion: the public key (known to all) used as an HMAC secret.
        var confused = Sign(HsCredentials(Encoding.UTF8.GetBytes(publicPem)));
        Assert.That((await validator.AuthenticateAsync(confused)).Principal, Is.Null);
    }

    [Test]
    public async Task RS256_is_refused_by_an_HS256_server_and_HS256_with_another_length_too()
    {
        using var rsa = RSA.Create(2048);
        Assert.That((await Hs().AuthenticateAsync(Sign(new SigningCredentials(new RsaSecurityKey(rsa), SecurityAlgorithms.RsaSha256)))).Principal, Is.Null);
        var hs512 = Sign(new SigningCredentials(new SymmetricSecurityKey(AuthFixture.SecretBytes.Concat(AuthFixture.SecretBytes).ToArray()), SecurityAlgorithms.HmacSha512));
        Assert.That((await Hs().AuthenticateAsync(hs512)).Principal, Is.Null, "only HS256 is allowed");
    }

    [Test]
    public async Task ES256_keys_and_a_JWKS_file_are_accepted()
    {
        using var ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var es = FromSettings(("AUTH_JWT_PUBLIC_KEY", ec.ExportSubjectPublicKeyInfoPem()));
        Assert.That((await es.AuthenticateAsync(Sign(new SigningCredentials(new ECDsaSecurityKey(ec), SecurityAlgorithms.EcdsaSha256)))).Principal, Is.Not.Null);

        using var rsa = RSA.Create(2048);
        var key = new RsaSecurityKey(rsa.ExportParameters(false)) { KeyId = "k1" };
        var jwk = JsonWebKeyConverter.ConvertFromRSASecurityKey(key);
        var path = Path.Combine(Path.GetTempPath(), $"jwks-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, $"{{\"keys\":[{{\"kty\":\"RSA\",\"kid\":\"k1\",\"n\":\"{jwk.N}\",\"e\":\"{jwk.E}\"}}]}}");
        try
        {
            var jwks = FromSettings(("AUTH_JWKS", path));
            var token = Sign(new SigningCredentials(new RsaSecurityKey(rsa) { KeyId = "k1" }, SecurityAlgorithms.RsaSha256));
            Assert.That((await jwks.AuthenticateAsync(token)).Principal, Is.Not.Null);
            Assert.That((await jwks.AuthenticateAsync(Sign(HsCredentials()))).Principal, Is.Null);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Test]
    public async Task Exp_is_honoured_to_the_second_without_AUTH_CLOCK_SKEW()
    {
        var expired = Sign(HsCredentials(), expires: DateTimeOffset.UtcNow.AddSeconds(-2), notBefore: DateTimeOffset.UtcNow.AddMinutes(-5));
        Assert.That((await Hs().AuthenticateAsync(expired)).Error, Is.EqualTo(TokenValidator.ExpiredMessage), "the library's 5 minutes would accept it");
        Assert.That((await Hs(skew: TimeSpan.FromSeconds(30)).AuthenticateAsync(expired)).Principal, Is.Not.Null, "within AUTH_CLOCK_SKEW");
        var longExpired = Sign(HsCredentials(), expires: DateTimeOffset.UtcNow.AddSeconds(-60), notBefore: DateTimeOffset.UtcNow.AddMinutes(-5));
        Assert.That((await Hs(skew: TimeSpan.FromSeconds(30)).AuthenticateAsync(longExpired)).Error, Is.EqualTo(TokenValidator.ExpiredMessage));
    }

    [Test]
    public async Task Nbf_in_the_future_is_refused_unless_within_AUTH_CLOCK_SKEW()
    {
        var early = Sign(HsCredentials(), notBefore: DateTimeOffset.UtcNow.AddSeconds(10));
        Assert.That((await Hs().AuthenticateAsync(early)).Principal, Is.Null);
        Assert.That((await Hs(skew: TimeSpan.FromSeconds(30)).AuthenticateAsync(early)).Principal, Is.Not.Null);
    }

    [Test]
    public async Task Issuer_and_audience_are_checked_only_when_set()
    {
        var token = Sign(HsCredentials(), issuer: "https://idp.example", audience: "runsstream");
        Assert.That((await Hs().AuthenticateAsync(token)).Principal, Is.Not.Null, "unset: not checked");
        Assert.That((await Hs(issuer: "https://idp.example", audience: "runsstream").AuthenticateAsync(token)).Principal, Is.Not.Null);
        Assert.That((await Hs(issuer: "https://other.example").AuthenticateAsync(token)).Principal, Is.Null);
        Assert.That((await Hs(audience: "another-api").AuthenticateAsync(token)).Principal, Is.Null);
        Assert.That((await Hs(issuer: "https://idp.example").AuthenticateAsync(Sign(HsCredentials()))).Principal, Is.Null, "set, and the token has none");
    }

    [Test]
    public async Task A_token_without_sub_workspaces_or_exp_is_refused_clearly()
    {
        var noSub = Sign(HsCredentials(), new Dictionary<string, object> { ["workspaces"] = "a", ["scope"] = "runs:read" });
        Assert.That((await Hs().AuthenticateAsync(noSub)).Error, Is.EqualTo("Token has no sub (the user)"));
        var noWorkspaces = Sign(HsCredentials(), new Dictionary<string, object> { ["sub"] = "alice", ["scope"] = "runs:read" });
        Assert.That((await Hs().AuthenticateAsync(noWorkspaces)).Error, Is.EqualTo("Token has no workspaces claim"));
        var noExp = new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(new SecurityTokenDescriptor
        {
            Claims = new Dictionary<string, object> { ["sub"] = "alice", ["workspaces"] = "a" },
            SigningCredentials = HsCredentials(),
        });
        Assert.That((await Hs().AuthenticateAsync(noExp)).Principal, Is.Null, "a token that never expires is refused");
    }

    [TestCase("AUTH_JWT_SECRET=short", "at least 32 bytes")]
    [TestCase("AUTH_JWT_SECRET=test-secret-of-at-least-32-bytes-0123456789;AUTH_JWKS=/x.json", "only one of")]
    [TestCase("AUTH_JWT_PUBLIC_KEY=-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----", "no RSA or EC public key")]
    [TestCase("AUTH_JWT_PUBLIC_KEY=/no/such/key.pem", "cannot be read")]
    [TestCase("AUTH_JWKS=/no/such/jwks.json", "cannot be read")]
    [TestCase("AUTH_CLOCK_SKEW=5s", "need a key")]
    [TestCase("AUTH_JWT_SECRET=test-secret-of-at-least-32-bytes-0123456789;AUTH_CLOCK_SKEW=soon", "AUTH_CLOCK_SKEW must be a duration")]
    public void A_bad_key_setting_stops_the_start_with_a_message_naming_it(string settings, string message)
    {
        var values = settings.Split(';').Select(s => s.Split('=', 2)).ToDictionary(p => p[0], p => p[1]);
        Assert.That(() => JwtOptions.Load(name => values.GetValueOrDefault(name)), Throws.TypeOf<OptionsException>().With.Message.Contains(message));
    }
}
