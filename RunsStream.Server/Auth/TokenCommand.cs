using Microsoft.Extensions.Configuration;
using RunsStream.Server.Configuration;

namespace RunsStream.Server.Auth;

/// <summary>
/// <c>RunsStream.Server token --user u --workspaces a,b --scopes "runs:read runs:write" --ttl 1h</c>
/// (issue 15 item 3): prints a token signed with AUTH_JWT_SECRET, with AUTH_JWT_ISSUER and
/// AUTH_JWT_AUDIENCE when set, so that this server accepts it. Exit 0, or 2 with the reason.
/// </summary>
internal static class TokenCommand
{
    public const string Name = "token";

    private const string Usage = "usage: RunsStream.Server token --user NAME --workspaces a,b|* [--scopes \"runs:read runs:write admin\"] [--ttl 1h]";

    public static int Run(IReadOnlyList<string> args, IConfiguration configuration, TextWriter output, TextWriter error)
    {
        try
        {
            output.WriteLine(Mint(args, configuration, DateTimeOffset.UtcNow));
            return 0;
        }
        catch (OptionsException ex)
        {
            error.WriteLine($"runsstream token: {ex.Message}");
            return 2;
        }
    }

    /// <exception cref="OptionsException">A bad or missing argument, or no AUTH_JWT_SECRET.</exception>
    public static string Mint(IReadOnlyList<string> args, IConfiguration configuration, DateTimeOffset now)
    {
        var values = Parse(args);
        var jwt = JwtOptions.Load(name => OptionsLoader.Setting(configuration, name));
        if (jwt?.Secret is not { } secret)
        {
            throw new OptionsException("AUTH_JWT_SECRET must be set to mint tokens (a public-key server verifies tokens its issuer signs).");
        }
        var user = values.GetValueOrDefault("user") ?? throw new OptionsException("--user is required. " + Usage);
        var workspaces = (values.GetValueOrDefault("workspaces") ?? throw new OptionsException("--workspaces is required. " + Usage))
            .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (workspaces.Length == 0 || workspaces.Any(w => w != "*" && !Runs.RunIds.IsValid(w)))
        {
            throw new OptionsException("--workspaces must be workspace ids separated by commas, or *.");
        }
        var scopes = values.GetValueOrDefault("scopes") ?? $"{RunScopeNames.Read} {RunScopeNames.Write}";
        var unknown = scopes.Split(' ', StringSplitOptions.RemoveEmptyEntries).Where(s => RunScopeNames.Parse([s]) == RunScopes.None).ToArray();
        if (unknown.Length > 0)
        {
            throw new OptionsException($"--scopes takes runs:read, runs:write and admin; unknown: {string.Join(", ", unknown)}.");
        }
        var ttl = OptionsLoader.ParseDuration("--ttl", values.GetValueOrDefault("ttl"), TimeSpan.FromHours(1));
        return TokenMinter.Mint(secret, user, workspaces, scopes, ttl, now, jwt.Issuer, jwt.Audience);
    }

    private static Dictionary<string, string> Parse(IReadOnlyList<string> args)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < args.Count; i++)
        {
            var name = args[i];
            if (name is not ("--user" or "--workspaces" or "--scopes" or "--ttl"))
            {
                throw new OptionsException($"unknown argument \"{name}\". {Usage}");
            }
            if (i + 1 >= args.Count)
            {
                throw new OptionsException($"{name} needs a value. {Usage}");
            }
            values[name[2..]] = args[++i];
        }
        return values;
    }
}
