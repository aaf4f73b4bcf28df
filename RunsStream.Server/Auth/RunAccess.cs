using Microsoft.AspNetCore.Http;
using RunsStream.Server.Runs;

namespace RunsStream.Server.Auth;

/// <summary>
/// The one place that decides what a principal may do (issue 15), for REST routes and socket
/// events alike. The scope is checked first, whatever the run: a 403 then says nothing about
/// any run. A run of a workspace the token does not open is answered exactly as an unknown id
/// (404 "Run 'x' not found"), and so is one deleted by retention (no 410 that would confirm it).
/// </summary>
internal static class RunAccess
{
    /// <summary>The principal RestAuthMiddleware made for this request.</summary>
    public static RunsPrincipal Of(HttpContext context) =>
        context.Items.TryGetValue(RunsPrincipal.ItemKey, out var principal) && principal is RunsPrincipal p
            ? p
            : throw new RunsException(RunsErrorCode.Unauthorized, TokenValidator.InvalidMessage);

    /// <summary>403 unless the token grants <paramref name="scope"/>.</summary>
    public static void Require(RunsPrincipal principal, RunScopes scope)
    {
        if (!principal.Has(scope))
        {
            throw new RunsException(RunsErrorCode.Forbidden, Refusal(scope));
        }
    }

    /// <summary>Why a token without <paramref name="scope"/> is refused.</summary>
    public static string Refusal(RunScopes scope) => $"This token lacks the {RunScopeNames.Name(scope)} scope";

    /// <summary>403 unless the token opens the workspace a new run goes to (null: "default").</summary>
    public static void RequireWorkspace(RunsPrincipal principal, string? workspaceId)
    {
        if (!principal.Sees(workspaceId))
        {
            throw new RunsException(RunsErrorCode.Forbidden, $"This token may not use workspace '{workspaceId ?? RunsPrincipal.DefaultWorkspace}'");
        }
    }

    /// <summary>
    /// The run, if the token has <paramref name="scope"/> and sees it; else 403 or 404 (or 410 for
    /// an all-workspaces token). At once unless the run is read from a fleet's store.
    /// </summary>
    public static async ValueTask<RunState> GetAsync(RunsService runs, RunsPrincipal principal, string runId, RunScopes scope, CancellationToken cancellationToken = default)
    {
        Require(principal, scope);
        if (principal.AllWorkspaces)
        {
            return await runs.GetAsync(runId, cancellationToken).ConfigureAwait(false);
        }
        return await runs.FindAsync(runId, cancellationToken).ConfigureAwait(false) is { } run && principal.Sees(run.WorkspaceId)
            ? run
            : throw RunsException.NotFound(runId);
    }

    /// <summary>
    /// Whether a socket of <paramref name="principal"/> may subscribe to <paramref name="runId"/>.
    /// Only a token of every workspace may wait for a run that does not exist yet: the workspace
    /// of a run not yet created is unknown, so another's token could otherwise be waiting on it.
    /// </summary>
    public static async ValueTask<bool> MaySubscribeAsync(RunsService runs, RunsPrincipal principal, string runId, CancellationToken cancellationToken = default) =>
        principal.AllWorkspaces
        || (await runs.FindAsync(runId, cancellationToken).ConfigureAwait(false) is { } run && principal.Sees(run.WorkspaceId));

    /// <summary>The workspaces a listing may show (null: all).</summary>
    public static IReadOnlyCollection<string>? Listable(RunsPrincipal principal) => principal.Workspaces?.ToArray();

    /// <summary>
    /// POST /runs/{id}/events: write scope, and a run the token sees; a publish that would create
    /// the run creates it in "default", so an unknown id needs that workspace (else 404 as unknown).
    /// </summary>
    public static async ValueTask RequirePublishAsync(RunsService runs, RunsPrincipal principal, string runId, CancellationToken cancellationToken = default)
    {
        Require(principal, RunScopes.Write);
        if (principal.AllWorkspaces)
        {
            return;
        }
        var visible = await runs.FindAsync(runId, cancellationToken).ConfigureAwait(false) is { } run ? principal.Sees(run.WorkspaceId) : principal.Sees(null);
        if (!visible)
        {
            throw RunsException.NotFound(runId);
        }
    }
}
