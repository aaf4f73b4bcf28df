using Microsoft.Extensions.Configuration;
using RunsStream.Server.Auth;
using RunsStream.Server.Configuration;

namespace RunsStream.Tests.Server.Auth;

/// <summary>Issue 15 item 3: `RunsStream.Server token` mints what the server with the same secret accepts.</summary>
[TestFixture]
public sealed class TokenCommandTests
{
    private static IConfiguration Config(string? secret = AuthFixture.Secret) =>
        new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["AUTH_JWT_SECRET"] = secret }).Build();

    [Test]
    public async Task A_minted_token_carries_the_user_workspaces_scopes_and_lifetime()
    {
        var output = new StringWriter();
        var code = TokenCommand.Run(["--user", "alice", "--workspaces", "a,b", "--scopes", "runs:read runs:write", "--ttl", "90s"], Config(), output, new StringWriter());
        Assert.That(code, Is.EqualTo(0));
        var principal = (await new TokenValidator("admin-token", AuthFixture.Jwt()).AuthenticateAsync(output.ToString().Trim())).Principal!;
        Assert.That(principal.User, Is.EqualTo("alice"));
        Assert.That(principal.Workspaces, Is.EquivalentTo(new[] { "a", "b" }));
        Assert.That(principal.Has(RunScopes.Read | RunScopes.Write), Is.True);
        Assert.That(principal.Has(RunScopes.Admin), Is.False);
        Assert.That(principal.ExpiresAt!.Value - DateTimeOffset.UtcNow, Is.InRange(TimeSpan.FromSeconds(80), TimeSpan.FromSeconds(91)));
    }

    [TestCase(new[] { "--workspaces", "a" }, "--user is required")]
    [TestCase(new[] { "--user", "u" }, "--workspaces is required")]
    [TestCase(new[] { "--user", "u", "--workspaces", "a", "--scopes", "runs:delete" }, "unknown: runs:delete")]
    [TestCase(new[] { "--user", "u", "--workspaces", "../etc" }, "--workspaces must be")]
    [TestCase(new[] { "--user", "u", "--workspaces", "a", "--ttl", "forever" }, "--ttl must be a duration")]
    [TestCase(new[] { "--user" }, "--user needs a value")]
    [TestCase(new[] { "--role", "x" }, "unknown argument")]
    public void Bad_arguments_are_refused_with_exit_2_and_a_reason(string[] args, string message)
    {
        var error = new StringWriter();
        Assert.That(TokenCommand.Run(args, Config(), new StringWriter(), error), Is.EqualTo(2));
        Assert.That(error.ToString(), Does.Contain(message));
    }

    [Test]
    public void Without_a_secret_there_is_nothing_to_sign_with()
    {
        Assert.That(() => TokenCommand.Mint(["--user", "u", "--workspaces", "a"], Config(null), DateTimeOffset.UtcNow),
            Throws.TypeOf<OptionsException>().With.Message.Contains("AUTH_JWT_SECRET must be set"));
    }
}
