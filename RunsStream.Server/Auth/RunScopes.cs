namespace RunsStream.Server.Auth;

/// <summary>
/// What a token may do (the JWT "scope" claim, space-separated as in OAuth). <c>runs:read</c>:
/// list, get, log, subscribe; <c>runs:write</c>: start, cancel, publish, resize; <c>admin</c>:
/// both. Workspaces limit every scope, admin included (docs/api.md section 2).
/// </summary>
[Flags]
internal enum RunScopes
{
    None = 0,
    Read = 1,
    Write = 2,
    Admin = 4 | Read | Write,
}

internal static class RunScopeNames
{
    public const string Read = "runs:read";
    public const string Write = "runs:write";
    public const string Admin = "admin";

    /// <summary>The scopes a claim's words grant; words it does not know grant nothing.</summary>
    public static RunScopes Parse(IEnumerable<string> words)
    {
        var scopes = RunScopes.None;
        foreach (var word in words)
        {
            scopes |= word switch
            {
                Read => RunScopes.Read,
                Write => RunScopes.Write,
                Admin => RunScopes.Admin,
                _ => RunScopes.None,
            };
        }
        return scopes;
    }

    public static string Name(RunScopes scope) => scope switch
    {
        RunScopes.Read => Read,
        RunScopes.Write => Write,
        _ => Admin,
    };

    /// <summary>The names of the scopes granted, for GET /auth/me.</summary>
    public static string[] Names(RunScopes scopes)
    {
        if (scopes.HasFlag(RunScopes.Admin))
        {
            return [Admin, Read, Write];
        }
        var names = new List<string>(2);
        if (scopes.HasFlag(RunScopes.Read))
        {
            names.Add(Read);
        }
        if (scopes.HasFlag(RunScopes.Write))
        {
            names.Add(Write);
        }
        return [.. names];
    }
}
