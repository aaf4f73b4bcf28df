namespace RunsStream.Server.Auth;

/// <summary>
/// Who is calling, made once per request or socket from its token: the user (<c>sub</c>), the
/// workspaces the token opens (null: all, the claim's <c>*</c>), its scopes and when it expires.
/// </summary>
internal sealed record RunsPrincipal(string User, IReadOnlySet<string>? Workspaces, RunScopes Scopes, DateTimeOffset? ExpiresAt)
{
    /// <summary>The workspace of a run created without one (docs/api.md section 3).</summary>
    public const string DefaultWorkspace = "default";

    /// <summary>The user name recorded for the shared WS_AUTH_TOKEN.</summary>
    public const string AdminUser = "admin";

    /// <summary>The holder of WS_AUTH_TOKEN: every workspace, every scope, no expiry.</summary>
    public static readonly RunsPrincipal Admin = new(AdminUser, null, RunScopes.Admin, null);

    /// <summary>Key of the principal in HttpContext.Items and SocketIOSocket.Data.</summary>
    public const string ItemKey = "runsstream.principal";

    public bool AllWorkspaces => Workspaces is null;

    public bool Has(RunScopes scope) => (Scopes & scope) == scope;

    /// <summary>Whether a run of <paramref name="workspaceId"/> (null: "default") is visible to this token.</summary>
    public bool Sees(string? workspaceId) => Workspaces is null || Workspaces.Contains(workspaceId ?? DefaultWorkspace);
}
